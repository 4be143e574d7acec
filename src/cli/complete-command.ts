/**
 * `breakwater __complete <words…>`: what the shell completion scripts (completion-command.ts) call
 * at each Tab, as cobra's `__complete` does for kubectl. The words are the command line after
 * `breakwater`, the last one being the word under the cursor (empty after a space). It prints the
 * candidates, one a line (`candidate<TAB>description`), then a directive line `:N`, N the sum of
 * NO_SPACE (1: the word is not finished, add no space) and FILES (2: complete file names instead).
 * bash's script also sends the line up to the cursor in BREAKWATER_COMPLETE_LINE, read in place
 * of the words (its COMP_WORDS are also split at `=` and `:`, and keep the quotes of each word).
 *
 * Sub-commands and flags come from the commander program itself; a pipeline argument is completed
 * by lang's `complete` (what the web Console offers), with the fleet's tags and catalogue from the
 * control plane when one is configured (--server on the line, or BREAKWATER_SERVER), asked with a
 * short timeout: offline, or when it does not answer in time, the built-in catalogue alone.
 *
 * @example
 * // breakwater __complete run 'host | role = "w
 * // web"
 * // :1
 */
import type { Command, Option } from 'commander';
import type { Catalogue, FleetValues, ResourceValues } from '../lang/index.js';
import { BUILTIN_CATALOGUE, NO_FLEET, complete, fleetValues, resourceValues, resourcesNamed } from '../lang/index.js';
import type { ResultRow } from '../protocol/index.js';
import { BY_NAME, RESOURCE_VALUES_STATEMENTS, completionValues } from '../protocol/index.js';
import type { Endpoint } from './api.js';
import { endpointFrom, getJson, queryLines, request } from './api.js';
import { explainEntries } from './explain-entries.js';
import type { Io } from './io.js';
import { shellWord, splitLine } from './shell-words.js';
import type { Quoting } from './shell-words.js';

export const NO_SPACE = 1;
export const FILES = 2;

/** How long a Tab waits for the control plane before completing without the fleet's tags. */
const FLEET_TIMEOUT_MS = 2000;

interface Candidate {
  readonly value: string;
  readonly description?: string;
}

interface Answer {
  readonly candidates: readonly Candidate[];
  readonly directive: number;
}

/** Prints the candidates for the last of `words`; always exit 0 (a Tab never shows an error). */
export async function completeCommand(program: Command, words: readonly string[], io: Io): Promise<number> {
  const quoting: Quoting = io.env.BREAKWATER_COMPLETE_SHELL === 'bash' ? 'bash' : 'plain';
  let answer: Answer;
  try {
    answer = await candidatesFor(program, wordsOf(words, io.env.BREAKWATER_COMPLETE_LINE), io.env, quoting);
  } catch {
    answer = { candidates: [], directive: 0 };
  }
  const line = (c: Candidate) => (c.description ? `${c.value}\t${c.description.replace(/[\s\p{Cc}]+/gu, ' ')}` : c.value);
  // A tag value may hold any character; one with a line break or a control character cannot be a line here, nor typed at a prompt.
  const printable = answer.candidates.filter((c) => !/\p{Cc}/u.test(c.value));
  io.stdout.write([...printable.map(line), `:${answer.directive}`].join('\n') + '\n');
  return 0;
}

/** The words after `breakwater`: from the line up to the cursor when the script sent it (bash), else as given. */
function wordsOf(given: readonly string[], line: string | undefined): readonly string[] {
  if (line === undefined) return given;
  const split = splitLine(line);
  return [...split.words.slice(1), split.current];
}

async function candidatesFor(program: Command, words: readonly string[], env: NodeJS.ProcessEnv, quoting: Quoting): Promise<Answer> {
  const current = words.at(-1) ?? '';
  const line = parseLine(program, words.slice(0, -1));
  const help = line.command.createHelp();
  const starting = (cs: readonly Candidate[], prefix: string, directive = 0): Answer => ({ candidates: cs.filter((c) => c.value.startsWith(prefix)), directive });

  if (line.pendingOption) {
    const choices = line.pendingOption.argChoices;
    if (choices) return starting(choices.map((value) => ({ value })), current);
    return { candidates: [], directive: /<(file|dir)>/.test(line.pendingOption.flags) ? FILES : 0 };
  }
  if (current.startsWith('-') && !line.afterDashes) {
    const flags = help.visibleOptions(line.command).flatMap((o) => [o.long, o.short].filter((f): f is string => !!f).map((value) => ({ value, description: o.description })));
    return starting(flags, current);
  }
  const subcommands = help.visibleCommands(line.command);
  if (subcommands.length && line.positionals.length === 0) {
    return starting(subcommands.map((c) => ({ value: c.name(), description: c.description() })), current);
  }
  const args = line.command.registeredArguments;
  const arg = args[line.positionals.length] ?? (args.at(-1)?.variadic ? args.at(-1) : undefined);
  if (!arg) return { candidates: [], directive: 0 };
  if (arg.name() === 'pipeline') return pipelineCandidates(current, line.connection, env, quoting);
  if (arg.name() === 'entry') return starting(uniqueNames(explainEntries(BUILTIN_CATALOGUE)), current);
  if (arg.argChoices) return starting(arg.argChoices.map((value) => ({ value })), current);
  return { candidates: [], directive: arg.name() === 'file' || arg.name() === 'dir' ? FILES : 0 };
}

interface ParsedLine {
  readonly command: Command;
  readonly positionals: readonly string[];
  /** An option that takes a value, given last: the current word is its value. */
  readonly pendingOption?: Option;
  readonly afterDashes: boolean;
  /** --server, --token, --ca given on the line. */
  readonly connection: { server?: string; token?: string; ca?: string };
}

const CONNECTION_FLAGS = ['server', 'token', 'ca'] as const;

/** Walks the finished words the way commander would: sub-commands, options (and their values), positionals. */
function parseLine(program: Command, words: readonly string[]): ParsedLine {
  let command = program;
  const positionals: string[] = [];
  const connection: { -readonly [K in (typeof CONNECTION_FLAGS)[number]]?: string } = {};
  const remember = (option: Option, value: string) => {
    const key = CONNECTION_FLAGS.find((k) => k === option.attributeName());
    if (key) connection[key] = value;
  };
  let afterDashes = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    if (word === '--' && !afterDashes) afterDashes = true;
    else if (word.startsWith('-') && word !== '-' && !afterDashes) {
      const [flag = '', inline] = word.split(/=(.*)/s, 2);
      const option = command.options.find((o) => o.long === flag || o.short === flag);
      if (!option || !(option.required || option.optional)) continue;
      if (inline !== undefined) remember(option, inline);
      else if (i === words.length - 1) return { command, positionals, pendingOption: option, afterDashes, connection };
      else remember(option, words[++i] ?? '');
    } else {
      const sub = positionals.length === 0 ? command.commands.find((c) => c.name() === word || c.aliases().includes(word)) : undefined;
      if (sub) command = sub;
      else positionals.push(word);
    }
  }
  return { command, positionals, afterDashes, connection };
}

function uniqueNames(entries: readonly { name: string; kind: string }[]): Candidate[] {
  const seen = new Map<string, string[]>();
  for (const e of entries) seen.set(e.name, [...(seen.get(e.name) ?? []), e.kind]);
  return [...seen].map(([value, kinds]) => ({ value, description: kinds.join(', ') }));
}

/** The statement so far is the current word without its shell quoting; each candidate is the whole word again. */
async function pipelineCandidates(current: string, connection: ParsedLine['connection'], env: NodeJS.ProcessEnv, quoting: Quoting): Promise<Answer> {
  const word = shellWord(current);
  const { catalogue, fleet } = await fromControlPlane(connection, env, word.text);
  let found;
  try {
    found = complete(word.text, word.text.length, catalogue, fleet);
  } catch {
    // A catalogue the server sent in a shape this CLI does not know (another version, a proxy's page).
    found = complete(word.text, word.text.length, BUILTIN_CATALOGUE, fleet);
  }
  if (!found) return { candidates: [], directive: NO_SPACE };
  const head = word.text.slice(0, found.from);
  const candidates = found.candidates.flatMap((c) => {
    const value = word.requote(`${head}${c.insert}`, quoting);
    return value === undefined ? [] : [{ value, description: `${c.kind}: ${c.detail}` }];
  });
  return { candidates, directive: NO_SPACE };
}

/**
 * The fleet's catalogue and tags (and its containers' and pods' when the statement names them), or
 * the built-in catalogue alone when no control plane answers in time.
 */
async function fromControlPlane(connection: ParsedLine['connection'], env: NodeJS.ProcessEnv, statement: string): Promise<{ catalogue: Catalogue; fleet: FleetValues }> {
  let ep;
  try {
    ep = endpointFrom(connection, env);
  } catch {
    return { catalogue: BUILTIN_CATALOGUE, fleet: NO_FLEET };
  }
  const signal = AbortSignal.timeout(FLEET_TIMEOUT_MS);
  const types = resourcesNamed(statement);
  const [catalogue, agents, ...typed] = await Promise.allSettled([getJson<Catalogue>(ep, '/api/v1/catalogue', signal), getJson<unknown>(ep, '/api/v1/agents', signal), ...types.map((t) => valuesOf(ep, t, signal))]);
  const hosts = agents.status === 'fulfilled' && Array.isArray(agents.value) ? fleetValues(agents.value.filter(isAgentValues).map((a) => ({ tags: a.tags, attributes: a.attributes ?? {} })), BY_NAME.compare) : NO_FLEET;
  const resources = Object.fromEntries(types.flatMap((t, i) => (typed[i]?.status === 'fulfilled' ? [[t, typed[i].value]] : [])));
  return { catalogue: catalogue.status === 'fulfilled' ? catalogue.value : BUILTIN_CATALOGUE, fleet: { ...hosts, resources } };
}

/** What the fleet's containers or pods have, from the statement the web Console asks too. */
async function valuesOf(ep: Endpoint, type: 'container' | 'pod', signal: AbortSignal): Promise<ResourceValues> {
  const rows: ResultRow[] = [];
  for await (const line of queryLines(await request(ep, 'POST', '/api/v1/query', { statement: RESOURCE_VALUES_STATEMENTS[type] }, signal))) if (line.type === 'row' && line.row.status === 'ok') rows.push(line.row);
  return resourceValues(rows.map(completionValues), BY_NAME.compare);
}

/** An agents list entry with the two records completion reads (a hostile or older server may send less). */
const isAgentValues = (a: unknown): a is { tags: Record<string, unknown>; attributes?: Record<string, unknown> } => {
  const record = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  return record(a) && record((a as { tags?: unknown }).tags) && record((a as { attributes?: unknown }).attributes ?? {});
};
