// @ts-check
/**
 * An idle agent with 50 running containers on its host (issue 14: "RSS increase ≤ 5 MB and CPU ≤
 * 0.6 % of a core at one-second collection"), end to end: real podman + runc containers (busybox
 * `sleep`, src/lab/podman.ts) and real agent processes (`bin/breakwater-agent.js`, as a lab starts
 * them), each seeing every process of the machine as on a real host.
 *
 * Two labs of one host run side by side for the whole suite: one agent with container discovery
 * and metering on (with podman's Docker Engine API socket, so it also fetches names and labels),
 * one with it off (`--containers off`, the only switch: discovery and metering go together). Both
 * are measured over the same windows — first with none of the suite's containers on the machine,
 * then with 50 (25 pods of 2, with the kubelet's labels) — so that the machine's load and its
 * process count hit both alike. Only same-run differences are compared; the load average and the
 * tasks are recorded with each window, and a busy machine is warned about. procps `top -b -d 1` runs
 * over the same windows as the baseline: native code reading every process each second.
 *
 * The containers carry the label `bw-bench=<folder of the run>` and are removed at the end, also
 * when the suite fails, is interrupted (SIGINT, SIGTERM) or the process exits early.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { PODMAN, PodmanContainers, podmanMissing, startLab } from '../../dist/lab/index.js';
import { round2, sleep } from '../support/latency.js';
import { Children, clockTicks, machineLoad, usageOver } from '../support/processes.js';
import { Client } from '../support/query-client.js';

export const name = 'containers-idle';
export const description = 'an idle real agent with 0 and 50 real podman containers on the host, container discovery and metering on beside off, 1 s collection: CPU (% of a core) and RSS increase';

const CPU_TARGET = 0.6;
const RSS_INCREASE_TARGET_MB = 5;
/** Containers started at once: podman run takes about a second each on a busy machine. */
const START_CONCURRENCY = 5;

/** @typedef {import('../run.js').Measurement} Measurement */
/** @typedef {import('../support/processes.js').Usage} Usage */
/** @typedef {{ on: Usage, off: Usage, top: Usage | undefined, floor: Usage | undefined, load: { start: number, end: number }, tasks: string, otherContainers: number }} Window */

const READ_FLOOR_C = fileURLToPath(new URL('../support/read-floor.c', import.meta.url));

/**
 * The read floor (bench/support/read-floor.c), built with the machine's C compiler into `dir`: the
 * files an idle agent reads each second, read by native code that does nothing else. The binary,
 * or why there is none.
 * @param {string} dir @returns {{ binary: string } | { missing: string }}
 */
function buildReadFloor(dir) {
  const binary = path.join(dir, 'read-floor');
  try {
    execFileSync('cc', ['-O2', '-o', binary, READ_FLOOR_C], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    return { binary };
  } catch (err) {
    const e = /** @type {{ code?: string, stderr?: string, message: string }} */ (err);
    return { missing: e.code === 'ENOENT' ? 'no C compiler (cc) on this machine' : `cc could not build ${READ_FLOOR_C}: ${(e.stderr || e.message).trim().split('\n')[0]}` };
  }
}

/**
 * A baseline's process, added to the set stopped at the end; a process that cannot be started is
 * logged, not thrown (its measurements are then left out).
 * @param {Children} children @param {(line: string) => void} log @param {string} command @param {string[]} args @param {NodeJS.ProcessEnv} [env]
 */
function startBaseline(children, log, command, args, env) {
  const child = spawn(command, args, { stdio: 'ignore', ...(env ? { env } : {}) });
  child.on('error', (err) => log(`⚠  ${path.basename(command)} did not start: ${err.message}`));
  return children.add(child);
}

/**
 * The baseline: procps `top` in batch mode at the agent's cadence (`top -b -d 1`), output thrown
 * away. A native program that reads every process's /proc files each second, as the agent does
 * (and nothing of cgroups, and stores nothing): what per-second process metrics cost on this
 * machine without Node. With HOME in the run's folder, so that no ~/.toprc changes what it shows.
 * Undefined when top is not installed.
 * @param {Children} children @param {(line: string) => void} log @param {string} dir
 */
function startTop(children, log, dir) {
  try {
    execFileSync('top', ['-v'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  return startBaseline(children, log, 'top', ['-b', '-d', '1'], { ...process.env, HOME: dir });
}

/** Every running container on the machine (other runs' and other users' included): what each agent sees. */
function runningContainers() {
  return execFileSync(PODMAN, ['ps', '-q'], { encoding: 'utf8' }).split('\n').filter(Boolean).length;
}

/**
 * Removes the containers if the process ends without reaching the suite's `finally`: an uncaught
 * error (`exit`: the containers only, synchronously; the labs' processes are killed by
 * {@link Children}) or an interrupt (SIGINT, SIGTERM: the labs are stopped first, which also
 * unmounts their tmpfs). Returns the function that takes the handlers back.
 * @param {PodmanContainers} podman @param {Children} children
 */
function removeOnExit(podman, children) {
  const atExit = () => podman.removeSync();
  const onSignal = (/** @type {NodeJS.Signals} */ signal) => {
    void children.stopAll().finally(() => {
      podman.removeSync();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  };
  process.once('exit', atExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => {
    process.off('exit', atExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/**
 * @param {import('../run.js').Context} ctx
 * @returns {Promise<Measurement[]>}
 */
export async function run(ctx) {
  const missing = podmanMissing();
  if (missing) {
    ctx.log(`⚠  NOT MEASURED: ${missing}`);
    return [{ name: 'not measured', unit: 'containers', value: 0, note: `no real containers on this machine: ${missing}` }];
  }
  const windowS = Number(process.env.BENCH_CONTAINERS_IDLE_WINDOW_S ?? 60);
  if (!(windowS >= 10 && windowS <= 3600)) throw new Error(`BENCH_CONTAINERS_IDLE_WINDOW_S must be 10 to 3600 (seconds), not ${process.env.BENCH_CONTAINERS_IDLE_WINDOW_S}`);
  const t = ctx.quick ? { containers: 6, warmupMs: 5000, windowMs: 10_000 } : { containers: 50, warmupMs: 20_000, windowMs: windowS * 1000 };
  const dir = await mkdtemp(path.join(tmpdir(), 'breakwater-bench-containers-idle-'));
  const children = new Children();
  let finished = false;
  ctx.log(`logs in ${dir}`);
  const podman = await PodmanContainers.start('bw-bench');
  const restoreHandlers = removeOnExit(podman, children);
  /** @type {Client | undefined} */
  let client;
  try {
    // One after the other, each in the set to stop as soon as it is up.
    const on = await startLab({ hosts: 1, dir: path.join(dir, 'on'), isolateProcesses: false, collectInterval: '1s', containers: { socket: podman.socket }, appPortBase: 28880 });
    children.labs.add(on);
    const off = await startLab({ hosts: 1, dir: path.join(dir, 'off'), isolateProcesses: false, collectInterval: '1s', appPortBase: 28890 });
    children.labs.add(off);
    const top = startTop(children, ctx.log, dir);
    if (!top) ctx.log('⚠  no `top` on this machine (procps): the baseline is not measured');
    const floorBuild = buildReadFloor(dir);
    if ('missing' in floorBuild) ctx.log(`⚠  ${floorBuild.missing}: the read floor is not measured`);
    /** The read floor over these containers' init pids, stopped after its window. @param {number[]} initPids */
    const startFloor = (initPids) => ('binary' in floorBuild ? startBaseline(children, ctx.log, floorBuild.binary, initPids.map(String)) : undefined);
    const agents = [on, off].map((lab) => /** @type {number} */ (lab.hosts[0]?.process.pid));
    client = new Client(on.server, on.token, await readFile(/** @type {string} */ (on.ca), 'utf8'));
    const query = client.query.bind(client);
    const run = `b${Date.now().toString(36)}`;

    /** @param {string} label @param {number[]} initPids the window's containers' @returns {Promise<Window>} */
    const measure = async (label, initPids) => {
      ctx.log(`${label}: warm-up ${t.warmupMs / 1000} s, then ${t.windowMs / 1000} s measured, both agents at once`);
      const floor = startFloor(initPids);
      await sleep(t.warmupMs);
      const start = await machineLoad();
      // The baselines apart: one that ends early loses its own measurement, not the agents'.
      /** @param {import('node:child_process').ChildProcess | undefined} child */
      const baseline = (child) => (child?.pid ? usageOver([child.pid], t.windowMs, 2000).then(([u]) => u, (err) => void ctx.log(`⚠  a baseline ended during the window: ${err.message}`)) : Promise.resolve(undefined));
      const [[u1, u2], topUsage, floorUsage] = await Promise.all([usageOver(agents, t.windowMs, 2000), baseline(top), baseline(floor)]);
      floor?.kill('SIGTERM');
      const end = await machineLoad();
      const w = { on: /** @type {Usage} */ (u1), off: /** @type {Usage} */ (u2), top: topUsage, floor: floorUsage, load: { start: start.load1, end: end.load1 }, tasks: `${start.total}–${end.total}`, otherContainers: 0 };
      const baselines = `${w.top ? `, top -b -d 1 ${round2(w.top.cpuPercent)} %` : ''}${w.floor ? `, read floor ${round2(w.floor.cpuPercent)} %` : ''}`;
      ctx.log(`${label}: on ${round2(w.on.cpuPercent)} % and ${round2(w.on.rssMedian / 1e6)} MB, off ${round2(w.off.cpuPercent)} % and ${round2(w.off.rssMedian / 1e6)} MB${baselines}; load ${w.load.start} → ${w.load.end}, ${w.tasks} tasks`);
      if (Math.max(w.load.start, w.load.end) > availableParallelism() / 2) ctx.log(`⚠  ${label}: the machine is busy (load average ${Math.max(w.load.start, w.load.end)} on ${availableParallelism()} cores): the CPU figures are noisy; compare on with off, not with other runs`);
      return w;
    };
    /** @param {number} expected */
    const seen = async (expected) => {
      // Metered too: cpu_usage is a rate, so it has a value from a container's second pass on.
      const { rows } = await query(`container | bench = "${run}" | cpu_usage > -1 | count`);
      return Number(rows[0]?.values?.count ?? 0) === expected;
    };

    const others = runningContainers();
    const none = { ...(await measure('0 containers', [])), otherContainers: others };
    /** @type {number[]} */
    const initPids = [];

    ctx.log(`starting ${t.containers} containers (${t.containers / 2} pods of 2), ${START_CONCURRENCY} at a time`);
    for (let i = 0; i < t.containers; i += START_CONCURRENCY) {
      await Promise.all(
        Array.from({ length: Math.min(START_CONCURRENCY, t.containers - i) }, (_, k) => {
          const n = i + k;
          const pod = `bench-${run}-${Math.floor(n / 2)}`;
          const container = n % 2 ? 'sidecar' : 'app';
          const labels = { bench: run, 'io.kubernetes.pod.name': pod, 'io.kubernetes.pod.namespace': 'bench', 'io.kubernetes.pod.uid': `${run}-${Math.floor(n / 2)}`, 'io.kubernetes.container.name': container };
          return podman.run(`${pod}-${container}`, labels, pod, { command: ['sleep', '86400'] }).then((c) => initPids.push(c.pid));
        }),
      );
    }
    const deadline = Date.now() + 30_000;
    while (!(await seen(t.containers))) {
      if (Date.now() > deadline) throw new Error(`the agent with discovery on does not list the ${t.containers} containers with a cpu_usage after 30 s (logs in ${dir})`);
      await sleep(500);
    }
    const fifty = { ...(await measure(`${t.containers} containers`, initPids)), otherContainers: runningContainers() - t.containers };
    finished = true;
    return measurements(t.containers, none, fifty);
  } finally {
    client?.close();
    await children.stopAll();
    try {
      await podman.stop();
    } finally {
      restoreHandlers();
    }
    if (finished) await rm(dir, { recursive: true, force: true });
    else ctx.log(`stopped every process and removed the containers; logs kept in ${dir}`);
  }
}

/**
 * @param {number} n The suite's containers in the second window.
 * @param {Window} none @param {Window} full
 * @returns {Measurement[]}
 */
function measurements(n, none, full) {
  const mb = (/** @type {number} */ bytes) => round2(bytes / 1e6);
  /** @param {Window} w */
  const context = (w) => `${Math.round(w.on.wallS)} s, load average ${w.load.start} → ${w.load.end} on ${availableParallelism()} cores, ${w.tasks} tasks on the machine, ${w.otherContainers} other running containers`;
  /** @param {Usage} u */
  const ticks = (u) => `${u.userTicks} user + ${u.systemTicks} system ticks at ${clockTicks()}/s`;
  const rssGrowth = full.on.rssMedian - none.on.rssMedian;
  const rssGrowthOff = full.off.rssMedian - none.off.rssMedian;
  return [
    { name: `discovery on · ${n} containers · cpu`, unit: '% of a core', value: round2(full.on.cpuPercent), target: { op: '<=', value: CPU_TARGET }, note: `utime+stime of all its threads, ${ticks(full.on)}; ${context(full)}` },
    { name: `discovery off · ${n} containers · cpu`, unit: '% of a core', value: round2(full.off.cpuPercent), note: `the same window, ${ticks(full.off)}: what the ${n} containers' processes cost an agent that does not look for containers` },
    { name: `${n} containers · cpu on − off`, unit: '% of a core', value: round2(full.on.cpuPercent - full.off.cpuPercent), note: 'discovery (a listing of /proc each second, the new pids’ cgroup files), metering (a container’s CPU time, I/O and net/dev each second, its gauges when it ran or every 5th second), the runtime API, the container and pod series: the containers’ own cost, same window' },
    ...(full.floor && none.floor
      ? [
          { name: `baseline read floor · ${n} containers · cpu`, unit: '% of a core', value: round2(full.floor.cpuPercent), note: `the same window, ${ticks(full.floor)}: native code reading each second the files an idle agent reads (every process's stat, each container's CPU and I/O files and net/dev, the host's /proc files) and doing nothing else (bench/support/read-floor.c; with 0 containers: ${round2(none.floor.cpuPercent)} %)` },
        ]
      : []),
    ...(full.top && none.top
      ? [
          { name: `baseline top -b -d 1 · ${n} containers · cpu`, unit: '% of a core', value: round2(full.top.cpuPercent), note: `the same window, ${ticks(full.top)}: procps top reading every process's /proc files each second, native code, no cgroups, nothing stored (with 0 containers: ${round2(none.top.cpuPercent)} %)` },
          { name: `discovery on · ${n} containers · cpu / top`, unit: '×', value: round2(full.on.cpuPercent / full.top.cpuPercent), note: `the agent with discovery and metering on over the baseline, same window (with 0 containers: ${round2(none.on.cpuPercent / none.top.cpuPercent)} ×)` },
        ]
      : []),
    { name: 'discovery on · 0 containers · cpu', unit: '% of a core', value: round2(none.on.cpuPercent), note: `${ticks(none.on)}; ${context(none)}` },
    { name: 'discovery off · 0 containers · cpu', unit: '% of a core', value: round2(none.off.cpuPercent), note: ticks(none.off) },
    { name: `discovery on · rss increase with ${n} containers`, unit: 'MB', value: mb(rssGrowth), target: { op: '<=', value: RSS_INCREASE_TARGET_MB }, note: `median VmRSS over the window with ${n} containers (${mb(full.on.rssMedian)} MB, max ${mb(full.on.rssMax)}) − with 0 (${mb(none.on.rssMedian)} MB, max ${mb(none.on.rssMax)}), the same process; includes what any agent grows by meanwhile (the off line) and only ${Math.round(full.on.wallS / 60)} min of the containers' 10 min of per-second history` },
    { name: `discovery off · rss increase meanwhile`, unit: 'MB', value: mb(rssGrowthOff), note: `${mb(none.off.rssMedian)} → ${mb(full.off.rssMedian)} MB median VmRSS: the history of the host and of the containers' processes filling, and the machine's other processes` },
    { name: `${n} containers · rss increase on − off`, unit: 'MB', value: mb(rssGrowth - rssGrowthOff), note: 'the increase with discovery on less the increase with it off over the same time: the containers’ own memory' },
    { name: `discovery on · ${n} containers · private memory`, unit: 'MB', value: mb(full.on.anonEnd), note: `RssAnon at the end of the window (off: ${mb(full.off.anonEnd)} MB; with 0 containers ${mb(none.on.anonEnd)} and ${mb(none.off.anonEnd)} MB)` },
  ];
}
