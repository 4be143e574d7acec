import { homedir } from 'node:os';
import { join } from 'node:path';
import { appendFile, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import type { Catalogue } from '../lang/index.js';
import { BreakwaterError } from '../protocol/index.js';
import type { Endpoint } from './api.js';
import { getJson } from './api.js';
import type { Io } from './io.js';
import { runCommand } from './run-command.js';
import { styleFor } from './style.js';

const HISTORY = join(homedir(), '.breakwater_history');

/** Words the REPL completes: stage words, metrics, attributes, functions, reductions, actions. */
export function completionWords(c: Catalogue): string[] {
  const words = new Set<string>(['events', 'rolling', 'and', 'or', 'not', 'in']);
  for (const r of Object.values(c.resources)) {
    words.add(r.name);
    for (const m of r.metrics) words.add(m.name);
    for (const a of r.attributes) words.add(a.name);
  }
  for (const f of Object.keys(c.functions)) words.add(f);
  for (const f of Object.keys(c.reductions)) words.add(f);
  for (const a of Object.keys(c.actions)) words.add(a);
  return [...words].sort();
}

/** `breakwater repl`: one pipeline per line; Tab completes; history in ~/.breakwater_history. */
export async function replCommand(ep: Endpoint, io: Io): Promise<number> {
  const catalogue = await getJson<Catalogue>(ep, '/api/v1/catalogue');
  const words = completionWords(catalogue);
  const history = (await readFile(HISTORY, 'utf8').catch(() => '')).split('\n').filter(Boolean).reverse().slice(0, 500);
  const rl = createInterface({
    input: io.stdin,
    output: io.stdout,
    history,
    historySize: 500,
    completer: (line: string): [string[], string] => {
      const word = /[A-Za-z_][A-Za-z0-9_]*$/.exec(line)?.[0] ?? '';
      const hits = words.filter((w) => w.startsWith(word));
      return [hits.length ? hits : words, word];
    },
  });
  const style = styleFor(io.stdout, io.env);
  io.stdout.write(style.dim(`connected to ${ep.server}; one pipeline per line, Tab completes, Ctrl-D quits\n`));
  rl.setPrompt('bw> ');
  // Input that ends (Ctrl-D, or a piped script) closes the interface while a line still runs, and
  // Node 24 throws on a prompt after that (Node 20 ignored it).
  let closed = false;
  rl.once('close', () => (closed = true));
  const prompt = () => {
    if (!closed) rl.prompt();
  };
  prompt();
  for await (const line of rl) {
    const statement = line.trim();
    if (statement === 'exit' || statement === 'quit') break;
    if (statement) {
      await appendFile(HISTORY, `${statement}\n`).catch(() => undefined);
      try {
        await runCommand(ep, statement, {}, io);
      } catch (err) {
        io.stderr.write(`${err instanceof BreakwaterError ? err.message : String(err)}\n`);
      }
    }
    prompt();
  }
  rl.close();
  return 0;
}
