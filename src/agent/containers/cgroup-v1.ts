import { countOf, cpuLimitCores, key, keyedCount, memLimitOf, sumAfter } from './cgroup-parse.js';
import type { CgroupCounters, CgroupLayout, ContainerFiles } from './cgroup-stats.js';

/** [controller, file] */
const FILES = [
  ['memory', 'memory.stat'],
  ['cpuacct', 'cpuacct.usage'],
  ['memory', 'memory.usage_in_bytes'],
  ['memory', 'memory.oom_control'],
  ['pids', 'pids.current'],
  ['blkio', 'blkio.throttle.io_service_bytes'],
  ['cpu', 'cpu.cfs_quota_us'],
  ['cpu', 'cpu.cfs_period_us'],
  ['memory', 'memory.limit_in_bytes'],
] as const;
const [MEMORY_STAT, CPUACCT_USAGE, MEMORY_USAGE, OOM_CONTROL, PIDS_CURRENT, BLKIO, CFS_QUOTA, CFS_PERIOD, MEMORY_LIMIT] = FILES.map((_, i) => i) as number[] as [number, number, number, number, number, number, number, number, number];
const TOTAL_RSS = key('total_rss');
const RSS = key('rss');
const TOTAL_INACTIVE_FILE = key('total_inactive_file');
const INACTIVE_FILE = key('inactive_file');
const OOM_KILL = key('oom_kill');
// `8:0 Read 4096` a device and operation a line; the `Total` lines are not summed.
const READ = Buffer.from(' Read ');
const WRITE = Buffer.from(' Write ');

/**
 * A cgroup v1 container: one hierarchy per controller under `root`
 * (`/sys/fs/cgroup/cpuacct/<path>/cpuacct.usage`, `memory/<path>/memory.stat`, …). `cpu` and
 * `cpuacct` may be one mount (`cpu,cpuacct`, with both names as links) or two: both are asked by name.
 */
export const cgroupV1: CgroupLayout = {
  paths: (root, path) => FILES.map(([controller, name]) => `${root}/${controller}${path}/${name}`),

  cpuNs(f: ContainerFiles): number | undefined {
    const n = f.read(CPUACCT_USAGE);
    return n < 0 ? undefined : countOf(f.buf, n);
  },

  counters(f: ContainerFiles, gauges: boolean, limits: boolean): CgroupCounters {
    const k: CgroupCounters = {};
    let n = f.read(BLKIO);
    if (n >= 0) {
      k.ioReadBytes = sumAfter(f.buf, n, READ);
      k.ioWriteBytes = sumAfter(f.buf, n, WRITE);
    }
    if (gauges) {
      if ((n = f.read(MEMORY_STAT)) >= 0) {
        // The container's cgroup is the top of its own hierarchy: the total_ counts include any child cgroups.
        k.memRss = keyedCount(f.buf, n, TOTAL_RSS) ?? keyedCount(f.buf, n, RSS);
        k.inactiveFile = keyedCount(f.buf, n, TOTAL_INACTIVE_FILE) ?? keyedCount(f.buf, n, INACTIVE_FILE);
      }
      if ((n = f.read(MEMORY_USAGE)) >= 0) k.memUsage = countOf(f.buf, n);
      // oom_kill is in memory.oom_control since Linux 4.13.
      if ((n = f.read(OOM_CONTROL)) >= 0) k.oomKills = keyedCount(f.buf, n, OOM_KILL);
      if ((n = f.read(PIDS_CURRENT)) >= 0) k.pids = countOf(f.buf, n);
    }
    if (limits) {
      // A quota of -1 is none: countOf refuses the sign.
      n = f.read(CFS_QUOTA);
      const quota = n < 0 ? undefined : countOf(f.buf, n);
      n = f.read(CFS_PERIOD);
      k.cpuLimitCores = cpuLimitCores(quota, n < 0 ? undefined : countOf(f.buf, n));
      if ((n = f.read(MEMORY_LIMIT)) >= 0) k.memLimit = memLimitOf(f.buf, n);
    }
    return k;
  },
};
