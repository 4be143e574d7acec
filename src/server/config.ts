import { z } from 'zod';
import { parseDuration } from '../lang/index.js';
import { BreakwaterError, MAX_TIMER_MS, describeIssue } from '../protocol/index.js';
import type { ServerTlsOptions } from './tls/index.js';

export interface ServerOptions {
  /** Default 7070; 0 picks a free port (tests, the lab). */
  port?: number;
  /** Default 127.0.0.1: listening on every interface is a choice, not an accident. */
  host?: string;
  /** Where the SQLite store lives; default ./.breakwater. */
  dataDir?: string;
  /** `postgres://...` to use PostgreSQL instead of SQLite in dataDir. */
  store?: string;
  heartbeat?: string | number;
  queryTimeout?: string | number;
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Blast radius: an ad-hoc command or action reaching more resources needs confirmation. Default 10. */
  maxTargets?: number;
  /** URLs that receive fired/cleared/escalated/approval events as JSON. */
  webhooks?: readonly string[];
  /**
   * HTTPS and WSS: `{}` generates a private CA and server certificate in dataDir/tls; `cert`/`key`
   * are files of your own. Absent: plain HTTP (tests; the CLI's `--no-tls`, behind a TLS proxy).
   */
  tls?: ServerTlsOptions;
}

export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly store: string | undefined;
  readonly heartbeatMs: number;
  readonly queryTimeoutMs: number;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  readonly maxTargets: number;
  readonly webhooks: readonly string[];
  readonly tls: ServerTlsOptions | undefined;
}

export const SERVER_DEFAULTS = { port: 7070, host: '127.0.0.1', dataDir: '.breakwater', heartbeat: '5s', queryTimeout: '65s', logLevel: 'info', maxTargets: 10 } as const;

const Schema = z.object({
  port: z.number().int().min(0).max(65535).default(SERVER_DEFAULTS.port),
  host: z.string().min(1).default(SERVER_DEFAULTS.host),
  dataDir: z.string().min(1).default(SERVER_DEFAULTS.dataDir),
  store: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL (omit it for the embedded SQLite store)').optional(),
  logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default(SERVER_DEFAULTS.logLevel),
  maxTargets: z.number().int().min(1).max(1_000_000).default(SERVER_DEFAULTS.maxTargets),
  webhooks: z.array(z.string().regex(/^https?:\/\//, 'expected an http:// or https:// URL')).default([]),
  tls: z.object({ cert: z.string().min(1).optional(), key: z.string().min(1).optional(), sans: z.array(z.string().min(1)).optional(), clientCa: z.string().min(1).optional() }).strict().optional(),
});

function ms(option: string, value: string | number): number {
  const seconds = typeof value === 'number' ? value / 1000 : parseDuration(value);
  if (seconds === undefined || !(seconds > 0) || !Number.isFinite(seconds)) throw new BreakwaterError('BW_ERR_CONFIG', `${option}: expected a duration such as 5s or 1m, found ${JSON.stringify(value)}`, { option });
  if (seconds * 1000 > MAX_TIMER_MS) throw new BreakwaterError('BW_ERR_CONFIG', `${option}: ${JSON.stringify(value)} is longer than the longest supported duration (24 days)`, { option });
  return seconds * 1000;
}

/** Options -> defaults -> validated, frozen config; every problem names its option. */
export function resolveServerConfig(options: ServerOptions): ServerConfig {
  const parsed = Schema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => describeIssue(i, 'options'));
    throw new BreakwaterError('BW_ERR_CONFIG', `invalid server configuration: ${problems.join('; ')}`, { problems });
  }
  return Object.freeze({
    ...parsed.data,
    store: parsed.data.store,
    tls: parsed.data.tls,
    heartbeatMs: ms('heartbeat', options.heartbeat ?? SERVER_DEFAULTS.heartbeat),
    queryTimeoutMs: ms('queryTimeout', options.queryTimeout ?? SERVER_DEFAULTS.queryTimeout),
  });
}
