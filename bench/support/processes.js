// @ts-check
/**
 * The processes a benchmark starts and what it reads of them: `breakwater server` and
 * `breakwater swarm` as child processes (resolving once they say they are ready), the set of
 * children to stop at the end (also when a case fails), and /proc readings (RSS, CPU times).
 */
import { spawn, execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { stopChild } from '../../dist/lab/index.js';
import { fetchTrusting } from '../../dist/transport/index.js';

/** @typedef {import('node:child_process').ChildProcess} ChildProcess */

/** Clock ticks per second, for /proc/<pid>/stat. */
export function clockTicks() {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** VmRSS of a process, bytes. @param {number} pid */
export async function rssBytes(pid) {
  return statusBytes(pid, 'VmRSS');
}

/**
 * A memory line of /proc/<pid>/status, bytes: VmRSS (all resident pages), RssAnon (the private
 * ones: heap, stacks), RssFile (mapped files, mostly the node binary, shared between processes).
 * @param {number} pid @param {'VmRSS' | 'RssAnon' | 'RssFile'} field
 */
export async function statusBytes(pid, field) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1];
  if (kb === undefined) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(kb) * 1024;
}

/** utime and stime of a process (all its threads), clock ticks. @param {number} pid */
export async function cpuTimes(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After `(comm)`: state is field 3, utime 14, stime 15 (1-based): here 0-based 11 and 12.
  return { user: Number(fields[11]), system: Number(fields[12]) };
}

/**
 * What a process used over a window: CPU (utime + stime of all its threads, start to end) and
 * memory (VmRSS sampled through the window, RssAnon at its end).
 * @typedef {object} Usage
 * @property {number} cpuPercent CPU time over wall time, % of one core.
 * @property {number} userTicks
 * @property {number} systemTicks
 * @property {number} wallS The window, seconds.
 * @property {number} rssEnd VmRSS at the end, bytes.
 * @property {number} rssMax The largest VmRSS sample, bytes.
 * @property {number} rssMedian The median VmRSS sample, bytes: steadier than one reading across garbage collections.
 * @property {number} anonEnd RssAnon at the end, bytes.
 */

/**
 * Measures processes side by side over the same window of `windowMs`, reading VmRSS every
 * `sampleMs`: several processes read at the same moments share whatever else the machine did.
 * @param {number[]} pids @param {number} windowMs @param {number} [sampleMs]
 * @returns {Promise<Usage[]>} In the order of `pids`.
 */
export async function usageOver(pids, windowMs, sampleMs = 5000) {
  const ticks = clockTicks();
  const cpu0 = await Promise.all(pids.map(cpuTimes));
  const t0 = process.hrtime.bigint();
  /** @type {number[][]} */
  const samples = pids.map(() => []);
  while (Number(process.hrtime.bigint() - t0) / 1e6 < windowMs) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(sampleMs, windowMs)));
    const rss = await Promise.all(pids.map(rssBytes));
    rss.forEach((r, i) => samples[i]?.push(r));
  }
  const cpu1 = await Promise.all(pids.map(cpuTimes));
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const anon = await Promise.all(pids.map((pid) => statusBytes(pid, 'RssAnon')));
  return pids.map((_, i) => {
    const [before, after, rss] = [/** @type {{ user: number, system: number }} */ (cpu0[i]), /** @type {{ user: number, system: number }} */ (cpu1[i]), /** @type {number[]} */ (samples[i])];
    const userTicks = after.user - before.user;
    const systemTicks = after.system - before.system;
    const sorted = [...rss].sort((a, b) => a - b);
    return {
      cpuPercent: ((userTicks + systemTicks) / ticks / wallS) * 100,
      userTicks,
      systemTicks,
      wallS,
      rssEnd: /** @type {number} */ (rss[rss.length - 1]),
      rssMax: /** @type {number} */ (sorted[sorted.length - 1]),
      rssMedian: /** @type {number} */ (sorted[Math.floor((sorted.length - 1) / 2)]),
      anonEnd: /** @type {number} */ (anon[i]),
    };
  });
}

/** The machine's load: the 1-minute load average and the tasks (running and total) of /proc/loadavg. */
export async function machineLoad() {
  const [load1, , , tasks] = (await readFile('/proc/loadavg', 'utf8')).split(' ');
  const [running, total] = (tasks ?? '0/0').split('/').map(Number);
  return { load1: Number(load1), running: running ?? 0, total: total ?? 0 };
}

/**
 * The processes the suite started; `stopAll` ends the ones still running.
 */
export class Children {
  /** @type {Set<ChildProcess>} */
  set = new Set();
  /** @type {Set<import('../../dist/lab/index.js').Lab>} */
  labs = new Set();

  constructor() {
    // If the run dies without reaching its finally (an uncaught error), still end the children.
    this.onExit = () => {
      for (const c of this.set) c.kill('SIGTERM');
      for (const lab of this.labs) for (const c of [lab.serverProcess, ...lab.hosts.map((h) => h.process)]) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    };
    process.once('exit', this.onExit);
  }

  /** @param {ChildProcess} child */
  add(child) {
    this.set.add(child);
    child.once('exit', () => this.set.delete(child));
    return child;
  }

  async stopAll() {
    await Promise.allSettled([...this.set].map((c) => stopChild(c, 10_000)));
    await Promise.allSettled([...this.labs].map((l) => l.stop()));
    this.labs.clear();
    process.off('exit', this.onExit);
  }
}

/**
 * Runs `node bin/breakwater.js …args` with stdout and stderr copied to `log`.
 * @param {string} root @param {string[]} args @param {string} log @param {Children} children
 */
export function breakwater(root, args, log, children, env = {}) {
  const out = createWriteStream(log, { flags: 'a' });
  out.on('error', () => undefined); // a log that cannot be written must not end the run
  const child = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : []), path.join(root, 'bin', 'breakwater.js'), ...args], { cwd: root, env: { ...process.env, ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (d) => out.write(d));
  child.stderr?.on('data', (d) => out.write(d));
  child.on('error', (err) => out.write(`could not start: ${err.message}\n`)); // a child that cannot start must not end the run
  child.once('exit', () => out.end());
  return children.add(child);
}

/**
 * Waits until `test` matches the text a child has written to stdout or stderr (as src/lab/lab.ts
 * reads the server's banner); rejects when it exits first or after `timeoutMs`.
 * @param {ChildProcess} child @param {'stdout' | 'stderr'} stream @param {RegExp} test @param {number} timeoutMs @param {string} what
 * @returns {Promise<RegExpExecArray>}
 */
export function waitFor(child, stream, test, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    let text = '';
    let other = '';
    const onData = (/** @type {string} */ d) => {
      text += d;
      const m = test.exec(text);
      if (m) finish(() => resolve(m));
    };
    const onOther = (/** @type {string} */ d) => {
      other = (other + d).slice(-4000);
    };
    const onExit = (/** @type {number | null} */ code) => finish(() => reject(new Error(`${what} exited (code ${code}) before it was ready: ${(other || text).slice(-2000)}`)));
    const timer = setTimeout(() => finish(() => reject(new Error(`${what} not ready within ${timeoutMs / 1000} s: ${(other || text).slice(-2000)}`))), timeoutMs);
    /** @param {() => void} f */
    const finish = (f) => {
      clearTimeout(timer);
      child[stream]?.off('data', onData);
      child[stream === 'stdout' ? 'stderr' : 'stdout']?.off('data', onOther);
      child.off('exit', onExit);
      f();
    };
    child[stream]?.on('data', onData);
    child[stream === 'stdout' ? 'stderr' : 'stdout']?.on('data', onOther);
    child.once('exit', onExit);
  });
}

/**
 * A control plane in a child process. Alone (the default), with a fresh data directory: it waits
 * for the admin token the first start prints and makes a join token. As a further replica of a
 * scaled control plane (`replicaOf` the first one's tokens), it shares the first one's data
 * directory (its TLS CA and certificate) and store, and prints no token.
 * @param {string} root @param {string} dir @param {Children} children
 * @param {{ args?: string[], env?: Record<string, string>, log?: string, replicaOf?: { token: string, joinToken: string } }} [o]
 *   args: extra arguments (e.g. `--store postgres://… --bus nats://… --nats-prefix p`); env: e.g. BREAKWATER_SECRET_KEY; log: the log's file name in `dir`
 */
export async function startServerProcess(root, dir, children, o = {}) {
  const child = breakwater(root, ['server', '--port', '0', '--data', path.join(dir, 'data'), '--log-level', 'warn', ...(o.args ?? [])], path.join(dir, o.log ?? 'server.log'), children, o.env);
  const [server, caFile, token] = await Promise.all([
    waitFor(child, 'stdout', /BREAKWATER_SERVER=(\S+)/, 30_000, 'the control plane').then((m) => /** @type {string} */ (m[1])),
    waitFor(child, 'stdout', /BREAKWATER_CA=(\S+)/, 30_000, 'the control plane').then((m) => /** @type {string} */ (m[1])),
    o.replicaOf ? o.replicaOf.token : waitFor(child, 'stderr', /BREAKWATER_TOKEN=(\S+)/, 30_000, 'the control plane').then((m) => /** @type {string} */ (m[1])),
  ]);
  const ca = await readFile(caFile, 'utf8');
  const joinToken = o.replicaOf ? o.replicaOf.joinToken : await createJoinToken(server, token, ca);
  return { child, server, caFile, ca, token, joinToken, pid: /** @type {number} */ (child.pid) };
}

/** A join token (role agent) through the API. @param {string} server @param {string} token @param {string} ca */
async function createJoinToken(server, token, ca) {
  const res = await fetchTrusting(`${server}/api/v1/tokens`, {
    ca,
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ role: 'agent', name: 'bench-join' }),
  });
  if (!res.ok) throw new Error(`creating a join token: HTTP ${res.status} ${await res.text()}`);
  return /** @type {{ token: string }} */ (await res.json()).token;
}

/**
 * `breakwater swarm` in a child process; resolves once it prints `ready: N agents connected`.
 * Agents are named `<name>-1` … (default name `swarm<N>`); with `bus` they speak over NATS (the
 * scaled mode) under `natsPrefix`, still enrolling through `server`. `timeoutMs` defaults to 60 s
 * plus 100 ms per agent; `collectInterval` (e.g. `10s`) how often each simulated agent collects.
 * @param {string} root @param {string} dir @param {Children} children
 * @param {{ server: string, caFile: string, joinToken: string, agents: number, log: (m: string) => void, name?: string, bus?: string, natsPrefix?: string, timeoutMs?: number, collectInterval?: string }} o
 */
export async function startSwarmProcess(root, dir, children, o) {
  const name = o.name ?? `swarm${o.agents}`;
  const bus = o.bus ? ['--bus', o.bus, ...(o.natsPrefix ? ['--nats-prefix', o.natsPrefix] : [])] : [];
  const child = breakwater(root, ['swarm', '--server', o.server, '--ca', o.caFile, '--agents', String(o.agents), '--prefix', name, ...bus, ...(o.collectInterval ? ['--collect-interval', o.collectInterval] : [])], path.join(dir, `${name}.log`), children, { BREAKWATER_JOIN_TOKEN: o.joinToken }); // not in argv, which ps shows
  let lastShown = 0;
  child.stderr?.on('data', (/** @type {string} */ d) => {
    const lines = d.split('\n').filter((l) => l.startsWith('swarm: enrolled'));
    const line = lines[lines.length - 1];
    if (line && Date.now() - lastShown > 2000) {
      lastShown = Date.now();
      o.log(`  ${name}: ${line}`);
    }
  });
  await waitFor(child, 'stdout', new RegExp(`ready: ${o.agents} agents connected`), o.timeoutMs ?? 60_000 + 100 * o.agents, `the swarm of ${o.agents}`);
  return child;
}

/**
 * The pid of the nats-server listening on `port` (this machine's, a separate process the suite
 * did not start), found by name in /proc; its command line names the port, or none for the
 * default 4222. Undefined when there is none.
 * @param {number} port
 */
export async function natsServerPid(port) {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if ((await readFile(`/proc/${entry}/comm`, 'utf8')).trim() !== 'nats-server') continue;
      const args = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0');
      const flag = args.findIndex((a) => a === '-p' || a === '--port' || a === '-port');
      const listens = flag < 0 ? port === 4222 : Number(args[flag + 1]) === port;
      if (listens) return Number(entry);
    } catch {
      // The process ended while we read it.
    }
  }
  return undefined;
}
