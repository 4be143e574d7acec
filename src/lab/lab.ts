import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BreakwaterError } from '../protocol/index.js';

/** The CLI entry, so the lab's processes are exactly what an operator runs. */
const BIN = fileURLToPath(new URL('../../bin/breakwater.js', import.meta.url));

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
  /** Pass extra environment to every process (tests). */
  readonly env?: NodeJS.ProcessEnv;
}

export interface LabHost {
  readonly name: string;
  readonly dir: string;
  /** The host's own filesystem (tmpfs as root, else a plain directory). */
  readonly dataDir: string;
  readonly tags: Readonly<Record<string, string>>;
  process: ChildProcess;
}

export interface Lab {
  readonly server: string;
  /** An admin token. */
  readonly token: string;
  /** The join token agents enrolled with. */
  readonly joinToken: string;
  readonly dir: string;
  readonly hosts: readonly LabHost[];
  serverProcess: ChildProcess;
  /** Starts (again) the agent of a host, e.g. after killing it. */
  startAgent(host: LabHost): ChildProcess;
  /** Waits until these hosts (default all) are connected. */
  waitConnected(names?: readonly string[], timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const ROLES = ['web', 'web', 'db', 'cache'];
const ZONES = ['a', 'b', 'c'];

/**
 * Starts a control plane and N real agent processes on this machine, each
 * with its own name, tags and working directory (and, as root, its own small
 * tmpfs so disk metrics differ per host).
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
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'breakwater-lab-')));
  await mkdir(join(dir, 'logs'), { recursive: true });
  const root = process.getuid?.() === 0;
  const useTmpfs = options.tmpfs ?? root;
  const env = { ...process.env, ...options.env, NO_COLOR: '1' };
  const mounted: string[] = [];
  const children = new Set<ChildProcess>();

  const spawnLogged = (name: string, args: string[], cwd: string): ChildProcess => {
    const log = createWriteStream(join(dir, 'logs', `${name}.log`), { flags: 'a' });
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };

  // The control plane: a real process too, so tests can kill and restart it.
  const serverDir = join(dir, 'server');
  await mkdir(serverDir, { recursive: true });
  const serverProcess = spawnLogged('server', ['server', '--port', String(options.port ?? 0), '--data', serverDir, '--log-level', 'warn'], dir);
  const { server, token } = await readServerBanner(serverProcess);

  const api = async (path: string, body?: unknown) => {
    const res = await fetch(`${server}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new BreakwaterError('BW_ERR_UNAVAILABLE', `lab: ${path} answered HTTP ${res.status}: ${await res.text()}`);
    return res.json() as Promise<unknown>;
  };
  const join_ = (await api('/api/v1/tokens', { role: 'agent', name: 'lab-join' })) as { token: string };

  const hosts: LabHost[] = [];
  for (let i = 0; i < options.hosts; i++) {
    const role = ROLES[i % ROLES.length] as string;
    const name = `${role}-${i + 1}`;
    const hostDir = join(dir, 'hosts', name);
    const dataDir = join(hostDir, 'data');
    await mkdir(dataDir, { recursive: true });
    if (useTmpfs) {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${options.tmpfsSize ?? '64m'}`, 'tmpfs', dataDir]);
      mounted.push(dataDir);
    }
    const tags = { role, zone: ZONES[i % ZONES.length] as string, env: 'lab', ...options.tags?.(i) };
    hosts.push({ name, dir: hostDir, dataDir, tags, process: undefined as unknown as ChildProcess });
  }

  const startAgent = (host: LabHost): ChildProcess => {
    const args = ['agent', '--server', server, '--token', join_.token, '--name', host.name, '--data', join(host.dir, 'agent'), '--log-level', 'warn'];
    for (const [k, v] of Object.entries(host.tags)) args.push('--tag', `${k}=${v}`);
    if (useTmpfs) args.push('--mount', `${host.dataDir}=/data`);
    if (options.collectInterval) args.push('--collect-interval', options.collectInterval);
    host.process = spawnLogged(host.name, args, host.dir);
    return host.process;
  };
  for (const h of hosts) startAgent(h);

  const waitConnected = async (names: readonly string[] = hosts.map((h) => h.name), timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const agents = (await api('/api/v1/agents')) as { name: string; status: string }[];
      const up = new Set(agents.filter((a) => a.status === 'connected').map((a) => a.name));
      const missing = names.filter((n) => !up.has(n));
      if (!missing.length) return;
      if (Date.now() > deadline) throw new BreakwaterError('BW_ERR_UNAVAILABLE', `lab: agents not connected after ${timeoutMs / 1000}s: ${missing.join(', ')} (logs in ${join(dir, 'logs')})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const lab: Lab = {
    server,
    token,
    joinToken: join_.token,
    dir,
    hosts,
    serverProcess,
    startAgent,
    waitConnected,
    async stop() {
      await Promise.all([...children].map((c) => stopChild(c)));
      for (const m of mounted) {
        try {
          execFileSync('umount', ['-l', m]);
        } catch {
          // already gone
        }
      }
      if (ownDir) await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitConnected();
  } catch (err) {
    await lab.stop();
    throw err;
  }
  return lab;
}

/** SIGTERM, then SIGKILL if it has not exited within a few seconds. */
export function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Reads BREAKWATER_SERVER from the server's stdout and the first-start admin token from its stderr. */
function readServerBanner(child: ChildProcess): Promise<{ server: string; token: string }> {
  return new Promise((resolve, reject) => {
    let server: string | undefined;
    let token: string | undefined;
    let stderr = '';
    const done = () => {
      if (server && token) {
        clearTimeout(timer);
        resolve({ server, token });
      }
    };
    const timer = setTimeout(() => reject(new BreakwaterError('BW_ERR_UNAVAILABLE', `lab: the control plane did not start within 20s: ${stderr.slice(-2000)}`)), 20_000);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      server ??= /BREAKWATER_SERVER=(\S+)/.exec(d)?.[1];
      done();
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      token ??= /BREAKWATER_TOKEN=(\S+)/.exec(stderr)?.[1];
      done();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new BreakwaterError('BW_ERR_UNAVAILABLE', `lab: the control plane exited with code ${code}: ${stderr.slice(-2000)}`));
    });
  });
}
