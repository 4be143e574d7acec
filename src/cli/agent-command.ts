import { parseArgs } from 'node:util';
import { createAgent, resolveAgentConfig, type AgentOptions } from '../agent/index.js';
import { BreakwaterError } from '../protocol/index.js';
import { keyValues, untilSignal } from './daemon-support.js';
import type { Io } from './io.js';

interface FlagSpec {
  readonly flag: string;
  readonly value: string;
  readonly help: string;
  readonly repeat?: true;
  /** A switch: takes no value. */
  readonly boolean?: true;
}

/**
 * The agent's flags, read with node:util's parseArgs rather than commander: the agent binary loads
 * nothing it does not need (see agent-main.ts).
 */
const AGENT_FLAGS: readonly FlagSpec[] = [
  { flag: 'server', value: '<url>', help: 'control plane URL (default: $BREAKWATER_SERVER)' },
  { flag: 'token', value: '<token>', help: 'join token for the first start (default: $BREAKWATER_JOIN_TOKEN; prefer it: every local user can read a command line)' },
  { flag: 'name', value: '<name>', help: "host name to register as (default: the machine's)" },
  { flag: 'tag', value: '<key=value>', help: 'a tag; repeat for more', repeat: true },
  { flag: 'data', value: '<dir>', help: 'where the agent keeps its credential' },
  { flag: 'mount', value: '<path=alias>', help: 'report only these mounts, under these names; repeat for more', repeat: true },
  { flag: 'collect-interval', value: '<duration>', help: 'metric collection interval (default 1s)' },
  { flag: 'env', value: '<key=value>', help: 'environment for every command; repeat for more', repeat: true },
  { flag: 'file-root', value: '<dir>', help: "where the host's filesystem is mounted, for file definitions (e.g. /host)" },
  { flag: 'process-root', value: '<dir>', help: 'report only processes working under this folder (lab hosts sharing one machine)' },
  { flag: 'ca', value: '<file>', help: "trust the control plane's CA from this PEM file (its <data>/tls/ca.pem; default: $BREAKWATER_CA)" },
  { flag: 'ca-fingerprint', value: '<sha256>', help: "or trust the CA whose SHA-256 fingerprint the control plane printed (default: $BREAKWATER_CA_FINGERPRINT)" },
  { flag: 'client-cert', value: '<file>', help: 'mutual TLS: a client certificate of your own (PEM; default: the one issued at enrollment, if any)' },
  { flag: 'client-key', value: '<file>', help: "that certificate's private key (PEM)" },
  { flag: 'insecure', value: '', help: 'allow plain http:// to a control plane that is not on loopback (behind a TLS proxy)', boolean: true },
  { flag: 'bus', value: '<nats-url>', help: 'scaled mode: talk to the control plane over NATS (nats://HOST:PORT; enrollment still uses --server)' },
  { flag: 'nats-creds', value: '<file>', help: 'NATS credentials file (default: <data>/nats.creds when enrollment left one, else none)' },
  { flag: 'nats-prefix', value: '<prefix>', help: 'NATS subject prefix of the fleet (default bw)' },
  { flag: 'nats-ca', value: '<file>', help: "trust the NATS server's CA from this PEM file" },
  { flag: 'log-level', value: '<level>', help: 'debug, info, warn or error' },
];

/** The options part of the agent's help. */
export function agentUsage(): string {
  const width = Math.max(...AGENT_FLAGS.map((f) => f.flag.length + f.value.length + 3));
  const lines = AGENT_FLAGS.map((f) => `  ${`--${f.flag} ${f.value}`.padEnd(width)}  ${f.help}`);
  return `Options:\n${lines.join('\n')}\n  ${'-h, --help'.padEnd(width)}  show this help\n`;
}

/**
 * Reads the agent's command line; a flag that is unknown, lacks its value or is repeated when it
 * may not be is a BW_ERR_CONFIG naming it.
 *
 * @example
 * parseAgentFlags(['--server', 'http://cp:7070', '--tag', 'role=web']) // { server: 'http://cp:7070', tag: ['role=web'] }
 */
export function parseAgentFlags(argv: readonly string[]): AgentFlags | 'help' {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const f of AGENT_FLAGS) options[f.flag] = { type: f.boolean ? 'boolean' : 'string', ...(f.repeat ? { multiple: true } : {}) };
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  let given: string[];
  try {
    const parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false, tokens: true });
    values = parsed.values;
    given = parsed.tokens.flatMap((t) => (t.kind === 'option' ? [t.name] : []));
  } catch (err) {
    throw new BreakwaterError('BW_ERR_CONFIG', `${(err as Error).message.split('. To specify')[0]} (flags: ${AGENT_FLAGS.map((f) => `--${f.flag}`).join(', ')})`, {}, { cause: err });
  }
  if (values.help) return 'help';
  for (const f of AGENT_FLAGS) {
    if (!f.repeat && given.filter((name) => name === f.flag).length > 1) throw new BreakwaterError('BW_ERR_CONFIG', `--${f.flag} was given more than once`);
  }
  const flags: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) if (k !== 'help' && v !== undefined) flags[k.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())] = v;
  return flags as AgentFlags;
}

/** The flags by their camel-cased names: the agent's options where a flag sets one as it is, text and lists of text for the others. */
export type AgentFlags = Partial<Pick<AgentOptions, 'server' | 'token' | 'name' | 'fileRoot' | 'processRoot' | 'ca' | 'caFingerprint' | 'insecure' | 'clientCert' | 'clientKey' | 'bus' | 'natsCreds' | 'natsPrefix' | 'natsCa'>> & {
  tag?: string[];
  data?: string;
  mount?: string[];
  logLevel?: string;
  collectInterval?: string;
  env?: string[];
};

/** `breakwater agent`: runs the agent daemon until SIGINT/SIGTERM, then drains. */
export async function agentCommand(flags: AgentFlags, io: Io): Promise<number> {
  const server = flags.server ?? io.env.BREAKWATER_SERVER;
  if (!server) throw new BreakwaterError('BW_ERR_CONFIG', 'no control plane: pass --server URL or set BREAKWATER_SERVER');
  const token = flags.token ?? io.env.BREAKWATER_JOIN_TOKEN;
  const mounts = keyValues('--mount', flags.mount);
  const ca = flags.ca ?? (flags.caFingerprint ? undefined : io.env.BREAKWATER_CA);
  const caFingerprint = flags.caFingerprint ?? (flags.ca ? undefined : io.env.BREAKWATER_CA_FINGERPRINT);
  const config = resolveAgentConfig(
    {
      server,
      ...(token ? { token } : {}),
      ...(flags.name ? { name: flags.name } : {}),
      tags: keyValues('--tag', flags.tag),
      ...(flags.data ? { dataDir: flags.data } : {}),
      ...(Object.keys(mounts).length ? { mounts } : {}),
      ...(flags.logLevel ? { logLevel: flags.logLevel as 'info' } : {}),
      ...(flags.collectInterval ? { collectInterval: flags.collectInterval } : {}),
      ...(flags.env?.length ? { env: keyValues('--env', flags.env) } : {}),
      ...(flags.fileRoot ? { fileRoot: flags.fileRoot } : {}),
      ...(flags.processRoot ? { processRoot: flags.processRoot } : {}),
      ...(ca ? { ca } : {}),
      ...(caFingerprint ? { caFingerprint } : {}),
      ...(flags.insecure ? { insecure: true } : {}),
      ...(flags.clientCert ? { clientCert: flags.clientCert } : {}),
      ...(flags.clientKey ? { clientKey: flags.clientKey } : {}),
      ...(flags.bus ? { bus: flags.bus } : {}),
      ...(flags.natsCreds ? { natsCreds: flags.natsCreds } : {}),
      ...(flags.natsPrefix ? { natsPrefix: flags.natsPrefix } : {}),
      ...(flags.natsCa ? { natsCa: flags.natsCa } : {}),
    },
    io.env,
  );
  const agent = await createAgent(config);
  await agent.start();
  const signal = await untilSignal();
  io.stderr.write(`${signal}: draining\n`);
  await agent.stop();
  return 0;
}
