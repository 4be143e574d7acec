import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ContainerMeasure } from './meter.js';
import { CONTAINER_METRICS, ContainerMeter, oomKillsOf, podValues } from './meter.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const ID = '1'.repeat(64);
const CGROUP = `/system.slice/docker-${ID}.scope`;
const container = { id: ID, cgroupPath: CGROUP, initPid: 4242 };
/** The metrics that have a value, by name. */
const byName = (m: Pick<ContainerMeasure, 'values'> | undefined) => Object.fromEntries(CONTAINER_METRICS.flatMap((name, i) => (m && !Number.isNaN(m.values[i]) ? [[name, m.values[i]]] : [])));

/* A private copy of the v2 and proc fixtures per test, rewritten between passes to move the counters. */
let dir: string;
let clock = 0;
let meter: ContainerMeter;
const cgroupFile = (name: string) => join(dir, 'cgroup-v2', CGROUP, name);
const netDev = () => join(dir, 'proc/4242/net/dev');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bw-meter-'));
  cpSync(join(FIXTURES, 'cgroup-v2'), join(dir, 'cgroup-v2'), { recursive: true });
  cpSync(join(FIXTURES, 'proc'), join(dir, 'proc'), { recursive: true, verbatimSymlinks: true });
  clock = 0;
  meter = new ContainerMeter({ cgroupRoot: join(dir, 'cgroup-v2'), procRoot: join(dir, 'proc'), monotonic: () => clock });
});
afterEach(() => {
  meter.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Adds to the first number after `key` in a file. */
function bump(path: string, key: string, by: number): void {
  writeFileSync(path, readFileSync(path, 'utf8').replace(new RegExp(`(${key}\\s+)(\\d+)`), (_, k: string, n: string) => `${k}${Number(n) + by}`));
}

describe('ContainerMeter', () => {
  it('gives gauges on the first pass, rates from the second', () => {
    expect(byName(meter.measure([container]).get(ID))).toEqual({
      mem_usage_bytes: 104857600,
      mem_working_set_bytes: 104857600 - 20971520,
      mem_rss_bytes: 52428800,
      mem_limit_bytes: 536870912,
      oom_kill_count: 1,
      pid_count: 4,
    });
    clock += 2000;
    bump(cgroupFile('cpu.stat'), 'usage_usec', 1_000_000); // one CPU-second in two seconds
    writeFileSync(cgroupFile('io.stat'), '8:0 rbytes=1052672 wbytes=2101248\n253:0 rbytes=4096 wbytes=0\n');
    bump(netDev(), 'eth0:', 4000);
    const second = byName(meter.measure([container]).get(ID));
    expect(second).toMatchObject({ cpu_usage: 50, cpu_limit_usage: 25, io_read_bytes_rate: 2048, io_write_bytes_rate: 2048, net_rx_bytes_rate: 2000, net_tx_bytes_rate: 0 });
    expect(meter.measure([container]).get(ID)?.netns).toBe('net:[4026532999]');
  });

  it('starts over when the container restarts (a new init pid) or its counter goes back', () => {
    meter.measure([container]);
    clock += 1000;
    bump(cgroupFile('cpu.stat'), 'usage_usec', 100_000);
    cpSync(join(dir, 'proc/4242'), join(dir, 'proc/5151'), { recursive: true, verbatimSymlinks: true });
    expect(byName(meter.measure([{ ...container, initPid: 5151 }]).get(ID)).cpu_usage).toBeUndefined();
    clock += 1000;
    writeFileSync(cgroupFile('cpu.stat'), 'usage_usec 5\n');
    expect(byName(meter.measure([{ ...container, initPid: 5151 }]).get(ID)).cpu_usage).toBeUndefined();
  });

  it('gives a measured container’s OOM-kill count, none for one not measured', () => {
    const measured = meter.measure([container]);
    expect(oomKillsOf(measured, ID)).toBe(1);
    expect(oomKillsOf(measured, '2'.repeat(64))).toBeUndefined();
    expect(oomKillsOf(undefined, ID)).toBeUndefined();
  });

  it('passes on the runtime’s restart count; none when the runtime did not say', () => {
    expect(byName(meter.measure([{ ...container, restartCount: 3 }]).get(ID)).restart_count).toBe(3);
    expect(byName(meter.measure([container]).get(ID)).restart_count).toBeUndefined();
  });

  it('reads an idle container\'s gauges every fifth pass only, and on a pass after it used CPU', () => {
    // An id whose place in the five-pass cycle is 0 (idle containers are spread over the passes by their id).
    const idle = { ...container, id: `${ID.slice(0, 63)}2` };
    meter.measure([idle]);
    writeFileSync(cgroupFile('memory.current'), '1000\n');
    const pass = () => {
      clock += 1000;
      return byName(meter.measure([idle]).get(idle.id));
    };
    const passes = Array.from({ length: 5 }, pass);
    expect(passes.map((p) => p.mem_usage_bytes)).toEqual([...Array(4).fill(104857600), 1000]);
    expect(passes.map((p) => p.cpu_usage)).toEqual(Array(5).fill(0));
    writeFileSync(cgroupFile('memory.current'), '2000\n');
    bump(cgroupFile('cpu.stat'), 'usage_usec', 10_000);
    expect(pass()).toMatchObject({ mem_usage_bytes: 2000, cpu_usage: 1 });
  });

  it('reads an idle container\'s I/O and network every pass: the kernel moves them for a sleeping container too', () => {
    meter.measure([container]);
    const seen = Array.from({ length: 4 }, (_, i) => {
      clock += 1000;
      if (i === 1) {
        // Written back or received while the container slept: no CPU of its own.
        writeFileSync(cgroupFile('io.stat'), '8:0 rbytes=1048576 wbytes=2102152\n253:0 rbytes=4096 wbytes=0\n');
        bump(netDev(), 'eth0:', 10_000);
      }
      const m = byName(meter.measure([container]).get(ID));
      return [m.cpu_usage, m.io_write_bytes_rate, m.net_rx_bytes_rate];
    });
    expect(seen).toEqual([[0, 0, 0], [0, 5000, 10_000], [0, 0, 0], [0, 0, 0]]);
  });

  it('starts over an idle container that restarted: its new init process\'s files are read whole', () => {
    const idle = { ...container, id: `${ID.slice(0, 63)}2` };
    meter.measure([idle]);
    writeFileSync(cgroupFile('memory.current'), '3000\n');
    cpSync(join(dir, 'proc/4242'), join(dir, 'proc/5151'), { recursive: true, verbatimSymlinks: true });
    clock += 1000;
    expect(byName(meter.measure([{ ...idle, initPid: 5151 }]).get(idle.id))).toMatchObject({ mem_usage_bytes: 3000 });
  });

  it('reads its limits again every tenth pass only (they change rarely), its usage every pass it ran', () => {
    meter.measure([container]);
    writeFileSync(cgroupFile('memory.max'), 'max\n');
    writeFileSync(cgroupFile('memory.current'), '1000\n');
    const passes = Array.from({ length: 10 }, () => {
      clock += 1000;
      bump(cgroupFile('cpu.stat'), 'usage_usec', 1000);
      return byName(meter.measure([container]).get(ID));
    });
    expect(passes.map((p) => p.mem_usage_bytes)).toEqual(Array(10).fill(1000));
    expect(passes.map((p) => p.mem_limit_bytes)).toEqual([...Array(9).fill(536870912), undefined]);
  });

  it('gives an idle container of a pod the network its namespace had this pass when a container listed after it ran', () => {
    const OTHER = '2'.repeat(64);
    const otherCgroup = `/system.slice/docker-${OTHER}.scope`;
    cpSync(join(dir, 'cgroup-v2', CGROUP), join(dir, 'cgroup-v2', otherCgroup), { recursive: true });
    const pod = [container, { id: OTHER, cgroupPath: otherCgroup, initPid: 4242 }];
    meter.measure(pod);
    clock += 1000;
    bump(join(dir, 'cgroup-v2', otherCgroup, 'cpu.stat'), 'usage_usec', 10_000);
    bump(netDev(), 'eth0:', 3000);
    const second = meter.measure(pod);
    expect([ID, OTHER].map((id) => byName(second.get(id)))).toEqual([expect.objectContaining({ cpu_usage: 0, net_rx_bytes_rate: 3000 }), expect.objectContaining({ cpu_usage: 1, net_rx_bytes_rate: 3000 })]);
  });

  it('from inside a cgroup namespace of its own (a pod\'s), reads a container\'s cgroup where the namespace-relative path leads', () => {
    // The agent (pid 777 in this process table) is in /kubepods.slice/agent.scope: its namespace's root.
    mkdirSync(join(dir, 'cgroup-v2/kubepods.slice/agent.scope'), { recursive: true });
    writeFileSync(join(dir, 'cgroup-v2/kubepods.slice/agent.scope/cgroup.procs'), '777\n');
    symlinkSync('777', join(dir, 'proc/self'));
    const relative = { ...container, cgroupPath: `/../..${CGROUP}` };
    expect(byName(meter.measure([relative]).get(ID))).toMatchObject({ mem_usage_bytes: 104857600, pid_count: 4 });
  });

  it('reads no cgroup for a namespace-relative path while its own cgroup is not found', () => {
    expect(byName(meter.measure([{ ...container, cgroupPath: `/../..${CGROUP}` }]).get(ID))).toEqual({});
  });

  it('measures nothing of a container whose cgroup and process are gone, and forgets it', () => {
    const gone = meter.measure([{ id: '2'.repeat(64), cgroupPath: '/gone', initPid: 99999 }]).get('2'.repeat(64));
    expect([byName(gone), gone?.netns]).toEqual([{}, undefined]);
  });
});

describe('ContainerMeter: files held open', () => {
  /** This process's descriptors open on files of the test's tree. */
  const openInTree = () => readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir);
    } catch {
      return false; // closed meanwhile (the listing's own descriptor)
    }
  }).length;
  const other = (n: number) => ({ id: String(n).repeat(64).slice(0, 64), cgroupPath: CGROUP, initPid: 4242 });

  it('holds a container’s files between passes and closes them when it goes, restarts or the meter closes', () => {
    meter.measure([container]);
    const one = openInTree();
    expect(one).toBe(9); // eight cgroup files and net/dev
    meter.measure([container, other(2)]);
    expect([meter.held, openInTree()]).toEqual([2, 17]); // net/dev read once for the namespace they share
    meter.measure([container, other(2)]);
    expect(openInTree()).toBe(17);
    meter.measure([container]);
    expect([meter.held, openInTree()]).toEqual([1, one]);
    cpSync(join(dir, 'proc/4242'), join(dir, 'proc/5151'), { recursive: true, verbatimSymlinks: true });
    meter.measure([{ ...container, initPid: 5151 }]);
    expect([meter.held, openInTree()]).toEqual([1, one]);
    meter.close();
    expect([meter.held, openInTree()]).toEqual([0, 0]);
  });

  it('past its limit of held containers, opens their files at each read and keeps none open', () => {
    const limited = new ContainerMeter({ cgroupRoot: join(dir, 'cgroup-v2'), procRoot: join(dir, 'proc'), monotonic: () => clock, holdMax: 1 });
    try {
      const first = limited.measure([container, other(2), other(3)]);
      const held = openInTree();
      expect(limited.held).toBe(1);
      for (const id of [ID, other(2).id, other(3).id]) expect(byName(first.get(id))).toMatchObject({ mem_usage_bytes: 104857600, pid_count: 4 });
      clock += 1000;
      bump(cgroupFile('cpu.stat'), 'usage_usec', 500_000);
      const second = limited.measure([container, other(2), other(3)]);
      expect([ID, other(2).id, other(3).id].map((id) => byName(second.get(id)).cpu_usage)).toEqual([50, 50, 50]);
      expect(openInTree()).toBe(held);
    } finally {
      limited.close();
    }
  });
});

describe('podValues', () => {
  const measure = (netns: string | undefined, values: Record<string, number>) => ({ netns, values: Float64Array.from(CONTAINER_METRICS, (name) => values[name] ?? NaN) });

  it('sums its containers, counting a shared network namespace once, and leaves limits out', () => {
    const a = measure('net:[1]', { cpu_usage: 30, mem_working_set_bytes: 100, net_rx_bytes_rate: 500, mem_limit_bytes: 1000, cpu_limit_usage: 60, restart_count: 2 });
    const b = measure('net:[1]', { cpu_usage: 12.5, mem_working_set_bytes: 50, net_rx_bytes_rate: 500, restart_count: 1 });
    const c = measure(undefined, { net_rx_bytes_rate: 7 });
    const out = new Float64Array(CONTAINER_METRICS.length);
    expect(byName({ values: podValues([a, b, undefined, c], out) })).toEqual({ cpu_usage: 42.5, mem_working_set_bytes: 150, net_rx_bytes_rate: 507, restart_count: 3 });
    // The array is written over: a pod whose containers have no value has none.
    expect(byName({ values: podValues([measure('net:[2]', {})], out) })).toEqual({});
  });
});
