import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, statfsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BreakwaterError } from '../protocol/index.js';
import { refuseRealDiskFill } from './disk-guard.js';
import { makeLabHost, type HostExtra, type HostFolders } from './lab-hosts.js';
import { readServerBanner, stopChild } from './processes.js';
import type { ScaledBacking } from './scaled.js';
import { createScaledBacking } from './scaled.js';
import type { LabProgress } from './staggered-start.js';
import { startConcurrency, startStaggered, startTimeoutMs } from './staggered-start.js';
import type { FetchInit } from '../transport/index.js';
import { fetchTrusting } from '../transport/index.js';

/** The CLI entry, so the lab's processes are exactly what an operator runs. */
const BIN = fileURLToPath(new URL('../../bin/breakwater.js', import.meta.url));
const AGENT_BIN = fileURLToPath(new URL('../../bin/breakwater-agent.js', import.meta.url));
/** The lab's service (compiled): health endpoint, hanging workers, a leak. */
const APP = fileURLToPath(new URL('../../dist/lab/faults/app.js', import.meta.url));

export interface LabOptions {
  readonly hosts: number;
  /** Control plane port; 0 or undefined picks a free one. */
  readonly port?: number;
  /** Working directory; a fresh temporary one (removed on stop) when not given. */
  readonly dir?: string;
  /** Give each host its own tmpfs (`size`), shown to queries as `/data`. Default: when running as root. */
  readonly tmpfs?: boolean;
  readonly tmpfsSize?: string;
  /** Extra tags per host index. */
  readonly tags?: (index: number) => Record<string, string>;
  readonly collectInterval?: string;
  /** Run the lab service (`bw-app`) on every host, restarted when it exits, like systemd would (`lab --services`; the demo's faults need it). Default: none. */
  readonly apps?: boolean;
  /**
   * Port of the first host's lab service; host i gets base + i (default 18080). Labs that run at
   * the same time on one machine (test files in parallel) need bases far enough apart.
   */
  readonly appPortBase?: number;
  /**
   * Each host sees only the processes working under its folder (default), since lab hosts share
   * one machine. False: every agent sees every process, as on a real host (for benchmarks).
   */
  readonly isolateProcesses?: boolean;
  /**
   * Discover the machine's containers (off by default: lab hosts share one machine, so each would
   * list all of them). `socket`: the runtime's Docker Engine API socket (`--container-socket`);
   * `criSocket`: its CRI socket (`--cri-socket`); `hosts`: only the first this many hosts discover
   * them (the others run with discovery off).
   */
  readonly containers?: { readonly socket?: string; readonly criSocket?: string; readonly hosts?: number };
  /** More flags for host i's agent (e.g. `--metrics-listen 127.0.0.1:PORT`). */
  readonly agentArgs?: (index: number) => readonly string[];
  /** Blast radius of the control plane (its --max-targets). */
  readonly maxTargets?: number;
  readonly webhooks?: readonly string[];
  /** The control plane's --pagerduty-url (a receiver on loopback in tests). */
  readonly pagerdutyUrl?: string;
  /** The control plane's --store (`postgres://...`); default: SQLite in its data directory. */
  readonly store?: string;
  /** Pass extra environment to every process (tests). */
  readonly env?: NodeJS.ProcessEnv;
  /** Serve plain HTTP (the control plane's --no-tls): `server` is http://, and there is no CA. */
  readonly noTls?: boolean;
  /** Told after each look at the control plane while the agents start (twice a second). */
  readonly onProgress?: (progress: LabProgress) => void;
  /**
   * Told the control plane's URL as soon as it answers, before the agents start: work that needs
   * only the control plane (a browser that trusts its certificate) can start alongside the agents.
   */
  readonly onServer?: (server: string) => void;
  /**
   * The scaled mode: `replicas` control planes (1 to 9) on a PostgreSQL database and a NATS subject
   * prefix of the lab's own (made at start, dropped on stop), agents on NATS. `postgres` is a URL
   * of a user who may create databases (default the machine's, 127.0.0.1:5432), `nats` the NATS
   * with JetStream (default 127.0.0.1:4222).
   */
  readonly scaled?: { readonly replicas: number; readonly postgres?: string; readonly nats?: string };
}

/** One control-plane process of the lab (the only one, unless the lab is scaled). */
export interface LabReplica {
  readonly server: string;
  process: ChildProcess;
}

export interface LabHost {
  readonly name: string;
  /** The host's own root: its agent's working directory and file root. */
  readonly dir: string;
  /** The host's own filesystem (tmpfs as root, else a plain directory), `/data` to queries. */
  readonly dataDir: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Port of its lab service. */
  readonly port: number;
  process: ChildProcess;
  app: ChildProcess | undefined;
}

export interface Lab {
  /** `https://127.0.0.1:<port>`: the lab's control plane serves TLS with the CA it generated (`http://` with `noTls`). */
  readonly server: string;
  /** That CA's PEM file (`<dir>/server/tls/ca.pem`): what agents get as --ca, and BREAKWATER_CA for the CLI. None with `noTls`. */
  readonly ca: string | undefined;
  /** An admin token. */
  readonly token: string;
  /** The join token agents enrolled with. */
  readonly joinToken: string;
  readonly dir: string;
  readonly hosts: LabHost[];
  serverProcess: ChildProcess;
  /** Every control plane, the first being `server` and `serverProcess`. */
  readonly replicas: LabReplica[];
  /** The scaled lab's database and subject prefix; undefined in the embedded mode. */
  readonly scaled: Omit<ScaledBacking, 'drop'> | undefined;
  /** Starts (again) the agent of a host, e.g. after killing it. */
  startAgent(host: LabHost): ChildProcess;
  /** Adds a host that joins now; `readOnly` makes its /var/tmp refuse writes (a broken package). */
  addHost(options?: { readOnly?: boolean; tags?: Record<string, string> }): Promise<LabHost>;
  /** Waits until these hosts (default all) are connected. */
  waitConnected(names?: readonly string[], timeoutMs?: number): Promise<void>;
  /** Whether `fillDisk` can run: each host's /data is a tmpfs the lab mounted (as root). */
  readonly fillsDisks: boolean;
  /**
   * Fills the host's /data to `percent` with one write of a runaway log; resolves when the write is done (ms epoch).
   * Rejects with `BW_ERR_LAB_REAL_DISK` unless /data is a tmpfs the lab mounted (root only): never fills a real disk.
   */
  fillDisk(host: LabHost, percent: number, file?: string): Promise<number>;
  /** Turns the hung-workers fault of the host's service on or off. */
  hangWorkers(host: LabHost, on: boolean): Promise<void>;
  /** Turns the memory-leak fault of the host's service on or off (8 MiB more resident a second, up to 256 MiB; a restart frees it). */
  leakMemory(host: LabHost, on: boolean): Promise<void>;
  /** Restarts the host's service (the supervisor starts it again). */
  restartApp(host: LabHost): Promise<void>;
  /** Restarts the control plane process on the same port and data (after a kill, say). */
  restartServer(): Promise<void>;
  /** Calls the API with the admin token. */
  api<T = unknown>(path: string, body?: unknown): Promise<T>;
  /** `fetch` that trusts the lab's CA; `path` is a URL or a path on the control plane. */
  fetch(path: string, init?: Omit<FetchInit, 'ca'>): Promise<Response>;
  stop(): Promise<void>;
}


/**
 * Starts a control plane and N real agent processes on this machine, each
 * with its own name, tags and working directory (and, as root, its own small
 * tmpfs so disk metrics differ per host), plus optional per-host services and
 * fault injectors for the scenarios.
 *
 * @example
 * const lab = await startLab({ hosts: 3 });
 * // BREAKWATER_SERVER=lab.server BREAKWATER_TOKEN=lab.token breakwater run 'host | count'
 * await lab.stop();
 */
export async function startLab(options: LabOptions): Promise<Lab> {
  if (!Number.isInteger(options.hosts) || options.hosts < 1 || options.hosts > 500) {
    throw new BreakwaterError('BW_ERR_CONFIG', `--hosts: expected a whole number from 1 to 500, found ${options.hosts}`);
  }
  const replicaCount = options.scaled?.replicas ?? 1;
  const tls = !options.noTls;
  if (!Number.isInteger(replicaCount) || replicaCount < 1 || replicaCount > 9) {
    throw new BreakwaterError('BW_ERR_CONFIG', `--replicas: expected a whole number from 1 to 9, found ${replicaCount}`);
  }
  if (options.scaled && options.store) throw new BreakwaterError('BW_ERR_CONFIG', 'a scaled lab makes its own database: give it no store');
  const backing = options.scaled ? await createScaledBacking(options.scaled) : undefined;
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'breakwater-lab-')));
  await mkdir(join(dir, 'logs'), { recursive: true });
  const root = process.getuid?.() === 0;
  const useTmpfs = options.tmpfs ?? root;
  // The agent executable finds node on PATH (`#!/usr/bin/env node`): the one running this lab first.
  const env = { ...process.env, ...options.env, NO_COLOR: '1', PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` };
  // Replicas must read each other's secret values: one key for all, as in production.
  const replicaSecrets: NodeJS.ProcessEnv = backing ? { BREAKWATER_SECRET_KEY: randomBytes(32).toString('base64') } : {};
  const mounted: string[] = [];
  const children = new Set<ChildProcess>();
  let stopping = false;

  /** Starts `command` (program first) with its output in logs/<name>.log; `secrets` go in its environment. */
  const spawnLogged = (name: string, command: readonly string[], cwd: string, secrets: NodeJS.ProcessEnv = {}): ChildProcess => {
    const log = createWriteStream(join(dir, 'logs', `${name}.log`), { flags: 'a' });
    const [program, ...args] = command as [string, ...string[]];
    const child = spawn(program, args, { cwd, env: { ...env, ...secrets }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    // A log that cannot be written, or a program that cannot be started, must not end the lab:
    // the failure goes to the lab's own stderr, and the child shows as exited.
    log.on('error', (err) => process.stderr.write(`lab: cannot write logs/${name}.log: ${err.message}\n`));
    child.on('error', (err) => process.stderr.write(`lab: ${name}: ${err.message}\n`));
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };

  // The control plane: a real process too, so tests can kill and restart it.
  const serverDir = join(dir, 'server');
  await mkdir(serverDir, { recursive: true });
  const serverArgs = (port: number) => [
    'server',
    '--port',
    String(port),
    '--data',
    serverDir,
    '--log-level',
    'warn',
    ...(options.maxTargets ? ['--max-targets', String(options.maxTargets)] : []),
    ...(options.noTls ? ['--no-tls'] : []),
    ...(options.webhooks ?? []).flatMap((w) => ['--webhook', w]),
    ...(options.pagerdutyUrl ? ['--pagerduty-url', options.pagerdutyUrl] : []),
    ...(options.store ? ['--store', options.store] : []),
    ...(backing ? ['--store', backing.store, '--bus', backing.bus, '--nats-prefix', backing.prefix] : []),
  ];
  // Replicas share the data directory, one after the other: the first makes the TLS CA and
  // certificate, the others reuse them, so clients and agents trust one CA for every replica.
  let serverProcess = spawnLogged('server', [process.execPath, BIN, ...serverArgs(options.port ?? 0)], dir, replicaSecrets);
  // A replica that does not start ends the lab: no process, database or stream is left behind.
  const abandon = async (err: unknown): Promise<never> => {
    await Promise.all([...children].map((c) => stopChild(c)));
    await backing?.drop();
    throw err;
  };
  const banner = await readServerBanner(serverProcess, { tls }).catch(abandon);
  const replicas: LabReplica[] = [{ server: banner.server, process: serverProcess }];
  for (let i = 1; i < replicaCount; i++) {
    const child = spawnLogged(`server-${i + 1}`, [process.execPath, BIN, ...serverArgs(0)], dir, replicaSecrets);
    replicas.push({ server: (await readServerBanner(child, { firstStart: false, tls }).catch(abandon)).server, process: child });
  }
  const server = banner.server;
  options.onServer?.(server);
  const token = banner.token as string;
  const ca = banner.ca;
  const caPem = ca === undefined ? undefined : await readFile(ca, 'utf8');
  const labFetch = (path: string, init: Omit<FetchInit, 'ca'> = {}) => fetchTrusting(/^https?:/.test(path) ? path : `${server}${path}`, { ...init, ca: caPem });

  const api = async <T>(path: string, body?: unknown): Promise<T> => {
    const res = await labFetch(path, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new BreakwaterError('BW_ERR_UNAVAILABLE', `lab: ${path} answered HTTP ${res.status}: ${await res.text()}`);
    return res.json() as Promise<T>;
  };
  const join_ = await api<{ token: string }>('/api/v1/tokens', { role: 'agent', name: 'lab-join' });

  const hosts: LabHost[] = [];
  const folders: HostFolders = { dir, options, useTmpfs, root, mounted };
  const makeHost = (i: number, extra: HostExtra = {}) => makeLabHost(i, folders, extra);
  for (let i = 0; i < options.hosts; i++) hosts.push(await makeHost(i));

  const startAgent = (host: LabHost): ChildProcess => {
    // Scaled: each agent enrolls through one replica (spread over them, as behind a load balancer),
    // then speaks NATS only.
    const enrollAt = replicas[hosts.indexOf(host) % replicas.length]!.server;
    const args = ['--server', enrollAt, ...(ca === undefined ? [] : ['--ca', ca]), '--name', host.name, '--data', join(host.dir, 'agent'), '--log-level', 'warn'];
    if (backing) args.push('--bus', backing.bus, '--nats-prefix', backing.prefix);
    for (const [k, v] of Object.entries(host.tags)) args.push('--tag', `${k}=${v}`);
    if (useTmpfs) args.push('--mount', `${host.dataDir}=/data`);
    args.push('--file-root', host.dir, '--env', `HOST_ROOT=${host.dir}`);
    if (options.isolateProcesses !== false) args.push('--process-root', host.dir);
    if (options.collectInterval) args.push('--collect-interval', options.collectInterval);
    // Off said explicitly: an agent that sees every process (isolateProcesses false) would discover containers by default.
    const discovers = options.containers !== undefined && hosts.indexOf(host) < (options.containers.hosts ?? Infinity);
    args.push('--containers', discovers ? 'on' : 'off', ...(discovers && options.containers?.socket ? ['--container-socket', options.containers.socket] : []), ...(discovers && options.containers?.criSocket ? ['--cri-socket', options.containers.criSocket] : []));
    args.push(...(options.agentArgs?.(hosts.indexOf(host)) ?? []));
    // As on a real host: the breakwater-agent executable, whose first line carries the node flags
    // and environment that keep an agent small.
    // The join token through the environment: every local user can read a command line (ps),
    // only the process's own user can read its environment.
    host.process = spawnLogged(host.name, [AGENT_BIN, ...args], host.dir, { BREAKWATER_JOIN_TOKEN: join_.token });
    return host.process;
  };

  /** Like systemd's Restart=always: the service comes back 200 ms after it exits. */
  const superviseApp = (host: LabHost): void => {
    if (stopping) return;
    const app = spawnLogged(`${host.name}-app`, [process.execPath, APP, host.dir, String(host.port)], host.dir);
    host.app = app;
    app.once('exit', () => {
      if (host.app === app) setTimeout(() => superviseApp(host), 200).unref();
    });
  };

  const startHost = (host: LabHost): void => {
    if (options.apps) superviseApp(host);
    startAgent(host);
  };

  /** The agents connected now (none while the control plane does not answer). */
  const connectedNames = async (): Promise<ReadonlySet<string>> => {
    const agents = await api<{ name: string; status: string }[]>('/api/v1/agents').catch(() => []);
    return new Set(agents.filter((a) => a.status === 'connected').map((a) => a.name));
  };

  const waitConnected = async (names: readonly string[] = hosts.map((h) => h.name), timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const up = await connectedNames();
      const missing = names.filter((n) => !up.has(n));
      if (!missing.length) return;
      if (Date.now() > deadline) throw new BreakwaterError('BW_ERR_UNAVAILABLE', `lab: agents not connected after ${timeoutMs / 1000}s: ${missing.join(', ')} (logs in ${join(dir, 'logs')})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const lab: Lab = {
    server,
    ca,
    token,
    joinToken: join_.token,
    dir,
    hosts,
    fillsDisks: useTmpfs,
    serverProcess,
    replicas,
    scaled: backing && { store: backing.store, database: backing.database, bus: backing.bus, prefix: backing.prefix },
    startAgent,
    waitConnected,
    api,
    fetch: labFetch,
    async addHost(extra = {}) {
      const host = await makeHost(hosts.length, extra);
      hosts.push(host);
      startHost(host);
      return host;
    },
    async fillDisk(host, percent, file = 'runaway.log') {
      const st = statfsSync(host.dataDir);
      refuseRealDiskFill({ host: host.name, dataDir: host.dataDir, mountedByLab: mounted.includes(host.dataDir), fsType: st.type });
      const total = st.blocks * st.bsize;
      const used = (st.blocks - st.bfree) * st.bsize;
      const bytes = Math.max(0, Math.ceil((percent / 100) * total - used));
      await writeFile(join(host.dataDir, 'logs', file), Buffer.alloc(bytes, 120));
      return Date.now();
    },
    async hangWorkers(host, on) {
      if (on) await writeFile(join(host.dir, 'run', 'fault-hang'), 'the buggy shared library is installed\n');
      else await rm(join(host.dir, 'run', 'fault-hang'), { force: true });
    },
    async leakMemory(host, on) {
      if (on) await writeFile(join(host.dir, 'run', 'fault-leak'), 'the leaking release is installed\n');
      else await rm(join(host.dir, 'run', 'fault-leak'), { force: true });
    },
    async restartApp(host) {
      host.app?.kill('SIGTERM');
      const old = host.app;
      const deadline = Date.now() + 10_000;
      while ((host.app === old || !host.app) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    },
    async restartServer() {
      const port = new URL(server).port;
      await stopChild(lab.serverProcess, 5000);
      lab.serverProcess = serverProcess = spawnLogged('server', [process.execPath, BIN, ...serverArgs(Number(port))], dir, replicaSecrets);
      replicas[0]!.process = serverProcess;
      await readServerBanner(serverProcess, { firstStart: false, tls });
    },
    async stop() {
      stopping = true;
      await Promise.all([...children].map((c) => stopChild(c)));
      for (const m of mounted.reverse()) {
        try {
          execFileSync('umount', ['-l', m]);
        } catch {
          // already gone
        }
      }
      if (ownDir) await rm(dir, { recursive: true, force: true });
      await backing?.drop();
    },
  };
  try {
    // A few at a time: all at once, a lab of 200 overran the machine and the control plane's cap
    // on unauthenticated connections, and the agents backed off for up to 30 s each.
    await startStaggered({
      hosts,
      start: (i) => startHost(hosts[i]!),
      connected: connectedNames,
      concurrency: startConcurrency(),
      timeoutMs: startTimeoutMs(options.hosts),
      logs: join(dir, 'logs'),
      onProgress: options.onProgress,
    });
  } catch (err) {
    await lab.stop();
    throw err;
  }
  return lab;
}
