import { countOf, cpuMaxOf, key, keyedCount, memLimitOf, sumAfter } from './cgroup-parse.js';
import type { CgroupCounters, CgroupLayout, ContainerFiles } from './cgroup-stats.js';

const FILES = ['cpu.stat', 'memory.stat', 'memory.current', 'memory.events', 'pids.current', 'io.stat', 'cpu.max', 'memory.max'] as const;
const [CPU_STAT, MEMORY_STAT, MEMORY_CURRENT, MEMORY_EVENTS, PIDS_CURRENT, IO_STAT, CPU_MAX, MEMORY_MAX] = FILES.map((_, i) => i) as number[] as [number, number, number, number, number, number, number, number];
const USAGE_USEC = key('usage_usec');
const ANON = key('anon');
const INACTIVE_FILE = key('inactive_file');
const OOM_KILL = key('oom_kill');
const RBYTES = Buffer.from(' rbytes=');
const WBYTES = Buffer.from(' wbytes=');

/** A cgroup v2 container: every controller's files in its one directory of the unified tree at `root`. */
export const cgroupV2: CgroupLayout = {
  paths: (root, path) => FILES.map((name) => `${root}${path}/${name}`),

  cpuNs(f: ContainerFiles): number | undefined {
    const n = f.read(CPU_STAT);
    const usec = n < 0 ? undefined : keyedCount(f.buf, n, USAGE_USEC);
    return usec === undefined ? undefined : usec * 1000;
  },

  counters(f: ContainerFiles, gauges: boolean, limits: boolean): CgroupCounters {
    const k: CgroupCounters = {};
    // io.stat: `8:0 rbytes=1 wbytes=2 rios=…` a device a line.
    let n = f.read(IO_STAT);
    if (n >= 0) {
      k.ioReadBytes = sumAfter(f.buf, n, RBYTES);
      k.ioWriteBytes = sumAfter(f.buf, n, WBYTES);
    }
    if (gauges) {
      if ((n = f.read(MEMORY_STAT)) >= 0) {
        k.memRss = keyedCount(f.buf, n, ANON);
        k.inactiveFile = keyedCount(f.buf, n, INACTIVE_FILE);
      }
      if ((n = f.read(MEMORY_CURRENT)) >= 0) k.memUsage = countOf(f.buf, n);
      if ((n = f.read(MEMORY_EVENTS)) >= 0) k.oomKills = keyedCount(f.buf, n, OOM_KILL);
      if ((n = f.read(PIDS_CURRENT)) >= 0) k.pids = countOf(f.buf, n);
    }
    if (limits) {
      // `max 100000` is no limit.
      if ((n = f.read(CPU_MAX)) >= 0) k.cpuLimitCores = cpuMaxOf(f.buf, n);
      if ((n = f.read(MEMORY_MAX)) >= 0) k.memLimit = memLimitOf(f.buf, n);
    }
    return k;
  },
};
