import { z } from 'zod';
import { parseDuration } from '../lang/index.js';
import { BreakwaterError, MAX_TIMER_MS, NATS_PREFIX, describeIssue } from '../protocol/index.js';
import { probeAllowProblem } from './query/probes.js';
import type { AgentQuotaLimits } from './agent-quota.js';
import { AGENT_QUOTA_DEFAULTS } from './agent-quota.js';
import type { HttpLimits } from './connection-limits.js';
import { HTTP_LIMITS } from './connection-limits.js';
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
  /** The Authorization header sent to the webhooks (`breakwater server` takes it from $BREAKWATER_WEBHOOK_AUTHORIZATION). */
  webhookAuthorization?: string;
  /** PagerDuty's Events API v2 endpoint for `type: pagerduty` integrations (default https://events.pagerduty.com/v2/enqueue). */
  pagerdutyUrl?: string;
  /** The web UI's address as people reach it (behind a proxy or load balancer), for links in Slack messages; default this server's own address. */
  publicUrl?: string;
  /** Targets a viewer's `http_ok`/`tcp_ok` may probe: CIDR ranges (`10.0.0.0/8`) or `host:port`. Default none. */
  probeAllow?: readonly string[];
  /** Who reads the output of runs: `operator` (operators, admins and the principal who ran it; the default) or `all` (viewers too). */
  runOutputVisibility?: 'operator' | 'all';
  /**
   * Who may scrape `GET /metrics`: `token` (the default: any valid token, viewer or above, as
   * Prometheus's `authorization` sends it: `Authorization: Bearer <token>`) or `none` (no token).
   */
  metricsAuth?: 'token' | 'none';
  /** What one agent may send per minute; each left out keeps its default (AGENT_QUOTA_DEFAULTS). */
  agentQuotas?: Partial<AgentQuotaLimits>;
  /** Events kept per host; older ones are deleted as new ones arrive. Default 100,000. */
  maxEventsPerHost?: number;
  /** Timeouts and caps of the HTTP port (docs/security.md); each defaults to HTTP_LIMITS. */
  httpLimits?: Partial<HttpLimits>;
  /**
   * HTTPS and WSS: `{}` generates a private CA and server certificate in dataDir/tls; `cert`/`key`
   * are files of your own. Absent: plain HTTP (tests; the CLI's `--no-tls`, behind a TLS proxy).
   */
  tls?: ServerTlsOptions;
  /**
   * The scaled mode's NATS account signing key (the account-signing-key.json `breakwater nats-setup`
   * wrote): enrollment then signs each agent's NATS user JWT for the public nkey it sends.
   */
  natsAccountSeed?: string;
  /** Scaled mode: `nats://HOST:PORT` (or `tls://`) of NATS with JetStream; needs a postgres:// store. */
  bus?: string;
  /** A NATS credentials file (JWT and nkey seed) for the bus. */
  natsCreds?: string;
  /** The bus's subject prefix (default `bw`): one NATS account can hold several fleets. */
  natsPrefix?: string;
  /** A CA file the NATS server's certificate is checked against (turns TLS on). */
  natsCa?: string;
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
  readonly webhookAuthorization: string | undefined;
  readonly pagerdutyUrl: string | undefined;
  readonly publicUrl: string | undefined;
  readonly probeAllow: readonly string[];
  readonly runOutputVisibility: 'operator' | 'all';
  readonly metricsAuth: 'token' | 'none';
  readonly agentQuotas: AgentQuotaLimits;
  readonly maxEventsPerHost: number;
  readonly httpLimits: HttpLimits;
  readonly tls: ServerTlsOptions | undefined;
  readonly natsAccountSeed: string | undefined;
  readonly bus: string | undefined;
  readonly natsCreds: string | undefined;
  readonly natsPrefix: string;
  readonly natsCa: string | undefined;
}

export const SERVER_DEFAULTS = { port: 7070, host: '127.0.0.1', dataDir: '.breakwater', heartbeat: '5s', queryTimeout: '65s', logLevel: 'info', maxTargets: 10, maxEventsPerHost: 100_000 } as const;

const perMinute = z.number().int().min(1).max(100_000_000);

/*
 * A password in a webhook URL would be in the command line (ps), the unit file and every log line
 * that names the webhook; the header comes from the environment instead. The message does not
 * repeat the URL.
 */
const WEBHOOK_USERINFO = 'a webhook URL must not carry a user name or password: put the Authorization header value in $BREAKWATER_WEBHOOK_AUTHORIZATION instead (e.g. "Basic <base64 of user:password>" or "Bearer <token>")';

function withoutUserinfo(url: string): boolean {
  try {
    const u = new URL(url);
    return u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

const Schema = z.object({
  port: z.number().int().min(0).max(65535).default(SERVER_DEFAULTS.port),
  host: z.string().min(1).default(SERVER_DEFAULTS.host),
  dataDir: z.string().min(1).default(SERVER_DEFAULTS.dataDir),
  store: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL (omit it for the embedded SQLite store)').optional(),
  logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default(SERVER_DEFAULTS.logLevel),
  maxTargets: z.number().int().min(1).max(1_000_000).default(SERVER_DEFAULTS.maxTargets),
  webhooks: z.array(z.string().regex(/^https?:\/\//, 'expected an http:// or https:// URL').refine(withoutUserinfo, WEBHOOK_USERINFO)).default([]),
  webhookAuthorization: z.string().min(1).regex(/^[^\r\n]*$/, 'expected one line (an Authorization header value)').optional(),
  pagerdutyUrl: z.string().regex(/^https?:\/\/[^?#]*$/, 'expected an http:// or https:// URL without a query string').refine(withoutUserinfo, 'the PagerDuty URL must not carry a user name or password: the routing key authenticates').optional(),
  publicUrl: z.string().regex(/^https?:\/\/[^?#]*$/, 'expected an http:// or https:// URL without a query string').refine(withoutUserinfo, 'the public URL must not carry a user name or password').optional(),
  probeAllow: z
    .array(
      z.string().superRefine((entry, c) => {
        const problem = probeAllowProblem(entry);
        if (problem) c.addIssue({ code: 'custom', message: problem });
      }),
    )
    .default([]),
  runOutputVisibility: z.enum(['operator', 'all']).default('operator'),
  metricsAuth: z.enum(['token', 'none']).default('token'),
  agentQuotas: z
    .object({ eventsPerMinute: perMinute, rowsPerMinute: perMinute, permitsPerMinute: perMinute })
    .strict()
    .partial()
    .default({})
    .transform((q) => ({ ...AGENT_QUOTA_DEFAULTS, ...q })),
  maxEventsPerHost: z.number().int().min(1000).max(1_000_000_000).default(SERVER_DEFAULTS.maxEventsPerHost),
  httpLimits: z
    .object({
      headersTimeoutMs: z.number().int().min(1).max(MAX_TIMER_MS),
      requestTimeoutMs: z.number().int().min(1).max(MAX_TIMER_MS),
      keepAliveTimeoutMs: z.number().int().min(1).max(MAX_TIMER_MS),
      bodyLimitBytes: z.number().int().min(1024),
      maxUnauthenticatedPerAddress: z.number().int().min(1),
    })
    .partial()
    .default({})
    .transform((given) => ({ ...HTTP_LIMITS, ...given }))
    // node:http refuses to start otherwise; said here with the option's name.
    .refine((l) => l.headersTimeoutMs <= l.requestTimeoutMs, { message: 'headersTimeoutMs must not be longer than requestTimeoutMs', path: ['headersTimeoutMs'] }),
  tls: z.object({ cert: z.string().min(1).optional(), key: z.string().min(1).optional(), sans: z.array(z.string().min(1)).optional(), clientCa: z.string().min(1).optional() }).strict().optional(),
  natsAccountSeed: z.string().min(1).optional(),
  bus: z.string().regex(/^(nats|tls):\/\/[^\s,]+$/, 'expected one nats:// or tls:// URL').optional(),
  natsCreds: z.string().min(1).optional(),
  natsPrefix: z.string().regex(NATS_PREFIX, 'expected tokens of letters, digits, _ and -, separated by dots').default('bw'),
  natsCa: z.string().min(1).optional(),
});

/*
 * Replicas share their state through the store: a SQLite file belongs to one process, so several
 * control planes on one bus would each keep a fleet, schedules and approvals of their own.
 */
const BUS_NEEDS_POSTGRES = 'bus: the scaled mode (--bus) needs --store postgres://…: every replica shares one PostgreSQL store, and the embedded SQLite store belongs to one process';

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
  if (parsed.data.bus !== undefined && parsed.data.store === undefined) throw new BreakwaterError('BW_ERR_CONFIG', `invalid server configuration: ${BUS_NEEDS_POSTGRES}`, { option: 'bus' });
  if (parsed.data.bus === undefined && (options.natsCreds !== undefined || options.natsCa !== undefined || options.natsPrefix !== undefined)) {
    throw new BreakwaterError('BW_ERR_CONFIG', 'invalid server configuration: natsCreds, natsCa and natsPrefix configure the bus: give --bus nats://… too', { option: 'bus' });
  }
  return Object.freeze({
    ...parsed.data,
    bus: parsed.data.bus,
    natsCreds: parsed.data.natsCreds,
    natsCa: parsed.data.natsCa,
    store: parsed.data.store,
    webhookAuthorization: parsed.data.webhookAuthorization,
    pagerdutyUrl: parsed.data.pagerdutyUrl,
    publicUrl: parsed.data.publicUrl?.replace(/\/+$/, ''),
    tls: parsed.data.tls,
    natsAccountSeed: parsed.data.natsAccountSeed,
    heartbeatMs: ms('heartbeat', options.heartbeat ?? SERVER_DEFAULTS.heartbeat),
    queryTimeoutMs: ms('queryTimeout', options.queryTimeout ?? SERVER_DEFAULTS.queryTimeout),
  });
}
