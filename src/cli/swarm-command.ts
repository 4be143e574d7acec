import { readFileSync } from 'node:fs';
import { durationMs } from '../agent/index.js';
import { MAX_TIMER_MS, NATS_PREFIX } from '../protocol/index.js';
import type { SwarmProgress } from '../lab/index.js';
import { startSwarm } from '../lab/index.js';
import { BreakwaterError } from '../protocol/index.js';
import { untilSignal } from './daemon-support.js';
import type { Io } from './io.js';

export interface SwarmFlags {
  server?: string;
  token?: string;
  ca?: string;
  agents: string;
  prefix?: string;
  retention?: string;
  concurrency?: string;
  collectInterval?: string;
  logLevel?: string;
  bus?: string;
  natsPrefix?: string;
  natsCreds?: string;
}

/** Progress lines at most this often (and always the last one). */
const PROGRESS_EVERY_MS = 1000;

/**
 * `breakwater swarm --server URL --token JOIN --agents N`: N simulated agents in this process,
 * each enrolled and connected like a real one. Progress goes to stderr; `ready: N agents
 * connected` goes to stdout once all are up; SIGINT/SIGTERM stops them all.
 */
export async function swarmCommand(flags: SwarmFlags, io: Io): Promise<number> {
  const server = flags.server ?? io.env.BREAKWATER_SERVER;
  if (!server) throw new BreakwaterError('BW_ERR_CONFIG', 'no control plane: pass --server URL or set BREAKWATER_SERVER');
  if (!/^https?:\/\/[^/]+/.test(server)) throw new BreakwaterError('BW_ERR_CONFIG', `--server: expected an http:// or https:// URL, found ${JSON.stringify(server)}`);
  const token = flags.token ?? io.env.BREAKWATER_JOIN_TOKEN;
  if (!token) throw new BreakwaterError('BW_ERR_CONFIG', 'no join token: pass --token or set BREAKWATER_JOIN_TOKEN (breakwater token create --role agent)');
  const agents = wholeNumber('--agents', flags.agents, 1, 100_000);
  const caFile = flags.ca ?? io.env.BREAKWATER_CA;
  let ca: string | undefined;
  try {
    ca = caFile ? readFileSync(caFile, 'utf8') : undefined;
  } catch (err) {
    throw new BreakwaterError('BW_ERR_CONFIG', `--ca: cannot read ${caFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if ((flags.natsPrefix !== undefined || flags.natsCreds !== undefined) && !flags.bus) throw new BreakwaterError('BW_ERR_CONFIG', '--nats-prefix and --nats-creds: only with --bus');
  if (flags.natsPrefix !== undefined && !NATS_PREFIX.test(flags.natsPrefix)) throw new BreakwaterError('BW_ERR_CONFIG', `--nats-prefix: expected tokens of letters, digits, _ and -, separated by dots, found ${JSON.stringify(flags.natsPrefix)}`);
  let creds: Uint8Array | undefined;
  try {
    creds = flags.natsCreds ? new Uint8Array(readFileSync(flags.natsCreds)) : undefined;
  } catch (err) {
    throw new BreakwaterError('BW_ERR_CONFIG', `--nats-creds: cannot read ${flags.natsCreds}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const concurrency = flags.concurrency === undefined ? undefined : wholeNumber('--concurrency', flags.concurrency, 1, 1000);
  const retentionSeconds = flags.retention === undefined ? undefined : Math.max(1, Math.round(durationMs('--retention', flags.retention) / 1000));
  const collectIntervalMs = flags.collectInterval === undefined ? undefined : durationMs('--collect-interval', flags.collectInterval, MAX_TIMER_MS);
  const logLevel = flags.logLevel ?? 'warn';
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(logLevel)) throw new BreakwaterError('BW_ERR_CONFIG', `--log-level: expected debug, info, warn, error or silent, found ${JSON.stringify(logLevel)}`);

  io.stderr.write(`swarm: starting ${agents} simulated agent${agents === 1 ? '' : 's'} against ${server}${flags.bus ? ` over NATS at ${flags.bus}` : ''}\n`);
  let last = 0;
  const started = Date.now();
  const report = (p: SwarmProgress) => {
    const now = Date.now();
    if (now - last < PROGRESS_EVERY_MS && p.connected < p.total) return;
    last = now;
    io.stderr.write(`swarm: enrolled ${p.enrolled}/${p.total}, connected ${p.connected}/${p.total} (${((now - started) / 1000).toFixed(1)} s)\n`);
  };
  const stopSignal = untilSignal();
  const interrupted = new AbortController();
  void stopSignal.then(() => interrupted.abort());
  const swarm = await startSwarm({
    signal: interrupted.signal,
    server,
    joinToken: token,
    agents,
    ...(ca ? { ca } : {}),
    ...(flags.prefix !== undefined ? { prefix: flags.prefix } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(retentionSeconds !== undefined ? { retentionSeconds } : {}),
    ...(collectIntervalMs !== undefined ? { collectIntervalMs } : {}),
    logLevel: logLevel as 'warn',
    onProgress: report,
    ...(flags.bus ? { bus: { servers: flags.bus, ...(flags.natsPrefix ? { prefix: flags.natsPrefix } : {}), ...(creds ? { creds } : {}) } } : {}),
  });
  io.stdout.write(`ready: ${swarm.connected} agents connected\n`);
  const signal = await stopSignal;
  io.stderr.write(`${signal}: stopping ${swarm.agents.length} agents\n`);
  await swarm.stop();
  return 0;
}

function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new BreakwaterError('BW_ERR_CONFIG', `${flag}: expected a whole number from ${min} to ${max}, found ${JSON.stringify(text)}`);
  return n;
}
