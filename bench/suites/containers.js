// @ts-check
/**
 * Container discovery from the kernel (`ContainerDiscovery.scan()`), which every agent that
 * discovers containers runs once per collection: a listing of /proc plus /proc/PID/cgroup of the
 * pids not seen before. Measured on a /proc laid out in a temporary directory (5,000 processes, 50
 * containers of 4 processes each), cold (every pid new), steady (none new) and with churn (50 new
 * pids a pass), and on this machine's real /proc. Then the per-second metering of 50 containers
 * (`ContainerMeter.measure()`: ten cgroup v1 files and /proc/PID/net/dev each, from a tree laid out
 * like podman's on cgroupfs), and of this machine's running containers, if any.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerDiscovery } from '../../dist/agent/containers/discovery.js';
import { ContainerMeter } from '../../dist/agent/containers/meter.js';

export const name = 'containers';
export const description = 'ContainerDiscovery.scan() of /proc (5,000 processes, 50 containers) and ContainerMeter.measure() of 50 containers, against dist/';

const PROCESSES = 5000;
const CONTAINERS = 50;
const PER_CONTAINER = 4;
/**
 * A steady pass at one collection a second: 5 ms is 0.5 % of a core. Nearly all of it is the
 * listing of /proc itself (readdir of 5,000 entries), which the process collector also does each
 * second: sharing that listing is the next saving (docs/design-decisions.md).
 */
const STEADY_P50_TARGET_MS = 5;
/** Metering 50 containers at one collection a second within 2 ms: 0.2 % of a core, next to discovery's 0.4 % within the 0.6 %. */
const METER_P50_TARGET_MS = 2;

/** @param {string} root @param {number} pid @param {string} cgroup @param {number} ppid */
function proc(root, pid, cgroup, ppid) {
  mkdirSync(join(root, String(pid)));
  writeFileSync(join(root, String(pid), 'cgroup'), cgroup);
  writeFileSync(join(root, String(pid), 'stat'), `${pid} (sh) S ${ppid} ${pid} ${pid} 0 -1 4194560 100 0 0 0\n`);
}

/** @param {number} i */
const containerCgroup = (i) => {
  const id = i.toString(16).padStart(64, '0');
  return `12:memory:/kubepods/burstable/pod8f3a2b1c-4d5e-4f60-9a7b-0c1d2e3f4a5b/${id}\n0::/kubepods/burstable/pod8f3a2b1c-4d5e-4f60-9a7b-0c1d2e3f4a5b/${id}\n`;
};

/** A /proc with PROCESSES pids, CONTAINERS × PER_CONTAINER of them in containers. @param {string} root */
function fakeProc(root) {
  let pid = 1;
  for (let c = 0; c < CONTAINERS; c++) {
    const init = pid;
    for (let k = 0; k < PER_CONTAINER; k++, pid++) proc(root, pid, containerCgroup(c), k === 0 ? 1 : init);
  }
  while (pid <= PROCESSES) proc(root, pid++, '12:memory:/system.slice/cron.service\n0::/system.slice/cron.service\n', 1);
  return pid;
}

/** The cgroup v1 files the meter reads, with a running container's values. */
const CGROUP_V1 = {
  'cpu/cpu.cfs_quota_us': '50000\n',
  'cpu/cpu.cfs_period_us': '100000\n',
  'cpuacct/cpuacct.usage': '30301332\n',
  'memory/memory.usage_in_bytes': '524288\n',
  'memory/memory.limit_in_bytes': '268435456\n',
  'memory/memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n',
  'pids/pids.current': '1\n',
  'blkio/blkio.throttle.io_service_bytes': '8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 8192\n8:0 Async 4096\n8:0 Discard 0\n8:0 Total 12288\nTotal 12288\n',
};
/** memory.stat as cgroup v1 writes it: 36 lines (the largest file the meter reads). */
const MEMORY_STAT = ['cache', 'rss', 'rss_huge', 'shmem', 'mapped_file', 'dirty', 'writeback', 'swap', 'pgpgin', 'pgpgout', 'pgfault', 'pgmajfault', 'inactive_anon', 'active_anon', 'inactive_file', 'active_file', 'unevictable', 'hierarchical_memory_limit']
  .flatMap((k) => [`${k} 4096`, `total_${k} 4096`])
  .join('\n');
const NET_DEV = 'Inter-|   Receive\n face |bytes\n    lo: 1000 10 0 0 0 0 0 0 1000 10 0 0 0 0 0 0\n  eth0: 52000 400 0 0 0 0 0 0 13000 100 0 0 0 0 0 0\n';

/** 50 containers' cgroups under `root/cgroup` and their init processes under `root/proc`. @param {string} root */
function fakeCgroups(root) {
  const containers = [];
  for (let c = 0; c < CONTAINERS; c++) {
    const id = c.toString(16).padStart(64, '0');
    const cgroupPath = `/libpod_parent/libpod-${id}`;
    for (const [file, text] of Object.entries({ ...CGROUP_V1, 'memory/memory.stat': MEMORY_STAT })) {
      const [controller, name] = file.split('/');
      mkdirSync(join(root, 'cgroup', controller ?? '', cgroupPath), { recursive: true });
      writeFileSync(join(root, 'cgroup', controller ?? '', cgroupPath, name ?? ''), text);
    }
    const initPid = 1000 + c;
    mkdirSync(join(root, 'proc', String(initPid), 'net'), { recursive: true });
    writeFileSync(join(root, 'proc', String(initPid), 'net', 'dev'), NET_DEV);
    containers.push({ id, cgroupPath, initPid });
  }
  return containers;
}

/** @param {number[]} xs */
const p50 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
/** @param {() => unknown} f */
function timed(f) {
  const start = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - start) / 1e6;
}
/** @param {number} ms */
const round = (ms) => Math.round(ms * 1000) / 1000;

/**
 * @param {import('../run.js').Context} ctx
 * @returns {Promise<import('../run.js').Measurement[]>}
 */
export async function run(ctx) {
  const passes = ctx.quick ? 10 : 100;
  const root = mkdtempSync(join(tmpdir(), 'bw-bench-proc-'));
  try {
    ctx.log(`laying out ${PROCESSES} processes`);
    let next = fakeProc(root);
    const discovery = new ContainerDiscovery(root);
    const cold = timed(() => {
      if (discovery.scan().length !== CONTAINERS) throw new Error('the bench /proc should show 50 containers');
    });
    const steady = Array.from({ length: passes }, () => timed(() => discovery.scan()));
    const churn = [];
    for (let i = 0; i < passes; i++) {
      for (let k = 0; k < 50; k++) proc(root, next++, '0::/user.slice/session-1.scope\n', 1);
      churn.push(timed(() => discovery.scan()));
    }
    const real = new ContainerDiscovery();
    const realCold = timed(() => real.scan());
    const realSteady = Array.from({ length: passes }, () => timed(() => real.scan()));

    ctx.log(`laying out ${CONTAINERS} containers' cgroups`);
    const containers = fakeCgroups(root);
    const meter = new ContainerMeter({ cgroupRoot: join(root, 'cgroup'), procRoot: join(root, 'proc') });
    const metered = Array.from({ length: passes }, () => timed(() => meter.measure(containers)));
    const running = real.scan();
    const realMeter = new ContainerMeter();
    const realMetered = Array.from({ length: passes }, () => timed(() => realMeter.measure(running)));
    return [
      { name: 'cold scan (5,000 new pids)', unit: 'ms', value: round(cold), note: 'the first pass: every /proc/PID/cgroup read once' },
      { name: 'steady scan · p50', unit: 'ms', value: round(p50(steady)), target: { op: '<', value: STEADY_P50_TARGET_MS }, note: `5,000 pids, none new, ${passes} passes` },
      { name: 'scan with 50 new pids · p50', unit: 'ms', value: round(p50(churn)), note: 'a busy host: 50 processes started a second' },
      { name: 'this machine’s /proc · cold', unit: 'ms', value: round(realCold) },
      { name: 'this machine’s /proc · steady p50', unit: 'ms', value: round(p50(realSteady)) },
      { name: 'metering 50 containers · p50', unit: 'ms', value: round(p50(metered)), target: { op: '<', value: METER_P50_TARGET_MS }, note: `11 files each (limits every 10th pass), ${passes} passes: ${round((p50(metered) * 1000) / CONTAINERS)} µs a container` },
      { name: `metering this machine’s ${running.length} containers · p50`, unit: 'ms', value: round(p50(realMetered)), note: 'real cgroup files' },
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
