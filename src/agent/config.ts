import { isIP } from 'node:net';
import { z } from 'zod/mini';
import { parseDuration } from '../lang/index.js';
import { BreakwaterError, MAX_TIMER_MS, NATS_PREFIX, TagMap, describeIssue } from '../protocol/index.js';
import { normalizeFingerprint, requireEncrypted } from '../transport/index.js';

/** What a person or a file may set; everything optional except the server. */
export interface AgentOptions {
  /** The control plane, e.g. `https://10.0.0.5:7070`. */
  server: string;
  /** A join token (`breakwater token create --role agent`), needed only to enroll the first time. */
  token?: string;
  /** Host name to register as; defaults to the machine's. */
  name?: string;
  tags?: Record<string, string>;
  /** Where the agent keeps its credential; defaults to /var/lib/breakwater-agent as root, else ~/.local/state/breakwater-agent. */
  dataDir?: string;
  /** Durations as text (`1s`) or milliseconds. */
  collectInterval?: string | number;
  drainTimeout?: string | number;
  commandTimeout?: string | number;
  maxOutputBytes?: number;
  maxConcurrentCommands?: number;
  /** Report only these mounts, renamed: `{ '/srv/lab/web-1/data': '/data' }`. Others are hidden when set. */
  mounts?: Record<string, string>;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Where the host's filesystem is mounted, for file definitions: `/host` in a container. */
  fileRoot?: string;
  /** Extra environment for every command (site settings such as a data directory). */
  env?: Record<string, string>;
  /** Report only processes whose working directory is under this folder (lab hosts sharing a machine). */
  processRoot?: string;
  /** Where the host's /proc is mounted (default /proc): `/host/proc` in a Kubernetes pod with `hostPID`, mounted read-only. */
  hostProc?: string;
  /** Where the host's cgroup tree is mounted (default /sys/fs/cgroup): `/host/sys/fs/cgroup` in a Kubernetes pod, read-only. */
  hostCgroup?: string;
  /** A file kept with the agent's state and touched after each collection pass, for exec probes (see health-file.ts). */
  healthFile?: string;
  /** Discover the host's containers and pods (default: yes, unless `processRoot` makes this a lab host sharing a machine). */
  containers?: boolean;
  /** The container runtime's API socket (Docker Engine API: Docker, or podman's `podman system service`); default: the first of /run/docker.sock, /var/run/docker.sock, /run/podman/podman.sock. */
  containerSocket?: string;
  /** The container runtime's CRI socket (containerd, CRI-O); default: the first of /run/containerd/containerd.sock, /run/crio/crio.sock, /var/run/crio/crio.sock. */
  criSocket?: string;
  /** PEM file of the CA that signed the control plane's certificate (its generated `tls/ca.pem`). */
  ca?: string;
  /** Or: the SHA-256 fingerprint of that CA, as the control plane printed it. */
  caFingerprint?: string;
  /** Allow plain http:// to a host that is not loopback (a TLS-terminating proxy, a private link). */
  insecure?: boolean;
  /** Mutual TLS with a client certificate provisioned by you (PEM files); otherwise one issued at enrollment, if any. */
  clientCert?: string;
  clientKey?: string;
  /** Scaled mode: the NATS server(s) to speak over instead of the WebSocket, e.g. `nats://10.0.0.5:4222`. */
  bus?: string;
  /** NATS credentials file (default: `<dataDir>/nats.creds` when it exists, else none). Only with `bus`. */
  natsCreds?: string;
  /** NATS subject prefix of the fleet (default `bw`). Only with `bus`. */
  natsPrefix?: string;
  /** PEM file of the CA that signed the NATS server's certificate. Only with `bus`. */
  natsCa?: string;
  /**
   * Serve the agent's own metrics for Prometheus at `http://HOST:PORT/metrics` (e.g.
   * `127.0.0.1:9464`). Loopback only, unless `metricsAllowRemote`: the endpoint has no token.
   */
  metricsListen?: string;
  /** Let `metricsListen` be an address other hosts reach (a Prometheus elsewhere; firewall it). */
  metricsAllowRemote?: boolean;
}

/** How the agent reaches NATS in the scaled mode. */
export interface AgentBusConfig {
  /** NATS URLs (several with commas in the option). */
  readonly servers: readonly string[];
  /** Undefined: `<dataDir>/nats.creds` when it exists, else none. */
  readonly creds: string | undefined;
  readonly prefix: string;
  readonly ca: string | undefined;
}

export interface AgentConfig {
  readonly server: URL;
  readonly token: string | undefined;
  readonly name: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
  readonly dataDir: string;
  readonly collectIntervalMs: number;
  readonly drainTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly maxOutputBytes: number;
  readonly maxConcurrentCommands: number;
  readonly mounts: Readonly<Record<string, string>> | undefined;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  readonly fileRoot: string | undefined;
  readonly env: Readonly<Record<string, string>>;
  readonly processRoot: string | undefined;
  /** The host's /proc: processes, host metrics and container discovery are read there. */
  readonly hostProc: string;
  /** The host's cgroup tree: per-container metrics are read there. */
  readonly hostCgroup: string;
  readonly healthFile: string | undefined;
  readonly containers: boolean;
  readonly containerSocket: string | undefined;
  readonly criSocket: string | undefined;
  readonly ca: string | undefined;
  /** Normalised: 64 upper-case hex digits. */
  readonly caFingerprint: string | undefined;
  readonly insecure: boolean;
  readonly clientCert: string | undefined;
  readonly clientKey: string | undefined;
  /** Set: the agent talks to the control plane over NATS (it still enrolls over HTTPS with `server`). */
  readonly bus: AgentBusConfig | undefined;
  /** Where the agent's exporter listens (`--metrics-listen`); undefined: it does not. */
  readonly metricsListen: { readonly host: string; readonly port: number } | undefined;
}

export const AGENT_DEFAULTS = {
  collectInterval: '1s',
  drainTimeout: '10s',
  commandTimeout: '60s',
  maxOutputBytes: 1024 * 1024,
  maxConcurrentCommands: 16,
  logLevel: 'info',
} as const;

/** The longest delay Node's timers honour; beyond it they fire after 1 ms (a collection every millisecond). */

/**
 * Milliseconds from `30s`-style text or a number of milliseconds; the error names the option.
 * `max` (ms) bounds durations that become timers: pass {@link MAX_TIMER_MS}.
 */
export function durationMs(option: string, value: string | number, max = Infinity): number {
  const ms = typeof value === 'number' ? value : (parseDuration(value) ?? NaN) * 1000;
  if (Number.isFinite(ms) && ms > max) {
    throw new BreakwaterError('BW_ERR_CONFIG', `${option}: expected at most ${Math.floor(max / 86_400_000)}d, found ${JSON.stringify(value)}`, { option });
  }
  if (Number.isFinite(ms) && ms > 0) return ms;
  throw new BreakwaterError('BW_ERR_CONFIG', `${option}: expected a duration such as 500ms, 30s or 5m, found ${JSON.stringify(value)}`, { option });
}

const absolutePath = z.string().check(z.startsWith('/', 'expected an absolute path'));

// zod/mini (see src/protocol/messages.ts): the same rules and messages as classic zod's methods.
const Schema = z.object({
  server: z.string().check(z.refine((s) => /^https?:\/\/[^/]+/.test(s), 'expected an http:// or https:// URL of the control plane, e.g. http://127.0.0.1:7070')),
  token: z.optional(z.string().check(z.minLength(1))),
  name: z.optional(z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/, 'expected a host name: letters, digits, `.`, `-`, `_`'))),
  tags: z._default(TagMap, {}),
  dataDir: z.optional(z.string().check(z.minLength(1))),
  maxOutputBytes: z._default(z.int().check(z.minimum(1024), z.maximum(256 * 1024 * 1024)), AGENT_DEFAULTS.maxOutputBytes),
  maxConcurrentCommands: z._default(z.int().check(z.minimum(1), z.maximum(1024)), AGENT_DEFAULTS.maxConcurrentCommands),
  mounts: z.optional(z.record(z.string().check(z.startsWith('/')), z.string().check(z.startsWith('/')))),
  logLevel: z._default(z.enum(['debug', 'info', 'warn', 'error']), AGENT_DEFAULTS.logLevel),
  fileRoot: z.optional(absolutePath),
  processRoot: z.optional(absolutePath),
  hostProc: z.optional(absolutePath),
  hostCgroup: z.optional(absolutePath),
  healthFile: z.optional(absolutePath),
  containers: z.optional(z.boolean()),
  containerSocket: z.optional(absolutePath),
  criSocket: z.optional(absolutePath),
  ca: z.optional(z.string().check(z.minLength(1))),
  caFingerprint: z.optional(z.string()),
  insecure: z._default(z.boolean(), false),
  clientCert: z.optional(absolutePath),
  clientKey: z.optional(absolutePath),
  bus: z.optional(z.string().check(z.refine((s) => s.split(',').every((u) => /^(nats|tls):\/\/[^/\s]+\/?$/.test(u.trim())), 'expected nats://HOST:PORT (or tls://), several separated by commas'))),
  natsCreds: z.optional(z.string().check(z.minLength(1))),
  natsPrefix: z.optional(z.string().check(z.regex(NATS_PREFIX, 'expected tokens of letters, digits, `_` and `-`, separated by dots'))),
  natsCa: z.optional(z.string().check(z.minLength(1))),
  metricsListen: z.optional(z.string()),
  metricsAllowRemote: z._default(z.boolean(), false),
  env: z._default(
    z.record(
      z.string().check(
        z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'),
        z.refine((k) => !k.startsWith('BW_') && k !== 'PATH' && !k.startsWith('LD_'), 'BW_*, PATH and LD_* are set by the agent'),
      ),
      z.string(),
    ),
    {},
  ),
});

/**
 * Options -> defaults -> validated, frozen config. Every problem is reported
 * at once, each naming its option.
 *
 * @example
 * const config = resolveAgentConfig({ server: 'http://127.0.0.1:7070', token: 'bwt_...' }, process.env);
 */
export function resolveAgentConfig(options: AgentOptions, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const parsed = Schema.safeParse(options);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => describeIssue(i, 'options'));
  const duration = (option: 'collectInterval' | 'drainTimeout' | 'commandTimeout'): number => {
    try {
      return durationMs(option, options[option] ?? AGENT_DEFAULTS[option], MAX_TIMER_MS);
    } catch (err) {
      problems.push((err as Error).message);
      return 0;
    }
  };
  const collectIntervalMs = duration('collectInterval');
  const drainTimeoutMs = duration('drainTimeout');
  const commandTimeoutMs = duration('commandTimeout');
  const check = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch (err) {
      problems.push((err as Error).message);
      return undefined;
    }
  };
  const caFingerprint = options.caFingerprint === undefined ? undefined : check(() => normalizeFingerprint(options.caFingerprint as string));
  if (options.ca && options.caFingerprint) problems.push('--ca and --ca-fingerprint: give one of them');
  if (Boolean(options.clientCert) !== Boolean(options.clientKey)) problems.push('--client-cert and --client-key go together');
  const natsFlags = { natsCreds: '--nats-creds', natsPrefix: '--nats-prefix', natsCa: '--nats-ca' } as const;
  for (const [option, flag] of Object.entries(natsFlags)) if (options[option as keyof typeof natsFlags] !== undefined && !options.bus) problems.push(`${flag}: only with --bus`);
  if (parsed.success) check(() => requireEncrypted(new URL(parsed.data.server), parsed.data.insecure));
  const metricsListen = options.metricsListen === undefined ? undefined : check(() => listenAddress(options.metricsListen as string, options.metricsAllowRemote === true));
  if (options.metricsAllowRemote && options.metricsListen === undefined) problems.push('--metrics-allow-remote: only with --metrics-listen');
  if (!parsed.success || problems.length) {
    throw new BreakwaterError('BW_ERR_CONFIG', `invalid agent configuration: ${problems.join('; ')}`, { problems });
  }
  const o = parsed.data;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const home = env.HOME ?? '/tmp';
  return Object.freeze({
    server: new URL(o.server),
    token: o.token,
    name: o.name,
    tags: Object.freeze({ ...o.tags }),
    dataDir: o.dataDir ?? (root ? '/var/lib/breakwater-agent' : `${env.XDG_STATE_HOME ?? `${home}/.local/state`}/breakwater-agent`),
    collectIntervalMs,
    drainTimeoutMs,
    commandTimeoutMs,
    maxOutputBytes: o.maxOutputBytes,
    maxConcurrentCommands: o.maxConcurrentCommands,
    mounts: o.mounts ? Object.freeze({ ...o.mounts }) : undefined,
    logLevel: o.logLevel,
    fileRoot: o.fileRoot,
    processRoot: o.processRoot,
    hostProc: o.hostProc ?? '/proc',
    hostCgroup: o.hostCgroup ?? '/sys/fs/cgroup',
    healthFile: o.healthFile,
    containers: o.containers ?? o.processRoot === undefined,
    containerSocket: o.containerSocket,
    criSocket: o.criSocket,
    env: Object.freeze({ ...o.env }),
    ca: o.ca,
    caFingerprint,
    insecure: o.insecure,
    clientCert: o.clientCert,
    clientKey: o.clientKey,
    metricsListen,
    bus: o.bus ? Object.freeze({ servers: Object.freeze(o.bus.split(',').map((u) => u.trim())), creds: o.natsCreds, prefix: o.natsPrefix ?? 'bw', ca: o.natsCa }) : undefined,
  });
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/i;

/**
 * `HOST:PORT` (`[v6]:PORT` for IPv6) of the exporter: an IP address or `localhost`, never a name
 * to resolve; a non-loopback address only when `allowRemote` (the endpoint has no token: a host's
 * process names and load are for the Prometheus the site chose, not for anyone on the network).
 *
 * @example
 * listenAddress('127.0.0.1:9464', false) // { host: '127.0.0.1', port: 9464 }
 */
export function listenAddress(text: string, allowRemote: boolean): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]{2,45})\]|([^:[\]\s]{1,253})):(\d{1,5})$/.exec(text.trim());
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (!m || !host || !(host === 'localhost' || isIP(host)) || !(port >= 0 && port <= 65535)) {
    throw new BreakwaterError('BW_ERR_CONFIG', `--metrics-listen: expected HOST:PORT with an IP address or localhost, e.g. 127.0.0.1:9464 or [::1]:9464, found ${JSON.stringify(text.slice(0, 100))}`, { option: 'metricsListen' });
  }
  if (!LOOPBACK.test(host) && !allowRemote) {
    throw new BreakwaterError('BW_ERR_CONFIG', `--metrics-listen ${host}: not a loopback address, and the exporter has no token; add --metrics-allow-remote to serve it to other hosts (and let only your Prometheus reach that port)`, { option: 'metricsListen' });
  }
  return { host, port };
}
