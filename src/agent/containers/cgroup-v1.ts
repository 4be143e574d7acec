import type { CgroupCounters, FileReader } from './cgroup-stats.js';
import { cpuLimitCores, keyedValues, parseCount, parseMemLimit, readCgroupFile } from './cgroup-stats.js';

/**
 * A cgroup v1 container's counters: one hierarchy per controller under `root`
 * (`/sys/fs/cgroup/cpuacct/<path>/cpuacct.usage`, `memory/<path>/memory.stat`, …). `cpu` and
 * `cpuacct` may be one mount (`cpu,cpuacct`, with both names as links) or two: both are asked by name.
 */
export function readCgroupV1(root: string, path: string, read: FileReader = readCgroupFile): CgroupCounters {
  const file = (controller: string, name: string) => read(`${root}/${controller}${path}/${name}`);
  const [totalRss, rss, totalInactive, inactive] = keyedValues(file('memory', 'memory.stat'), ['total_rss', 'rss', 'total_inactive_file', 'inactive_file']);
  const quota = file('cpu', 'cpu.cfs_quota_us')?.trim();
  const io = parseBlkio(file('blkio', 'blkio.throttle.io_service_bytes'));
  return {
    cpuNs: parseCount(file('cpuacct', 'cpuacct.usage')),
    // -1 is no quota; parseCount refuses the sign, so it reads as undefined.
    cpuLimitCores: cpuLimitCores(parseCount(quota), parseCount(file('cpu', 'cpu.cfs_period_us'))),
    memUsage: parseCount(file('memory', 'memory.usage_in_bytes')),
    // The container's cgroup is the top of its own hierarchy: the total_ counts include any child cgroups.
    memRss: totalRss ?? rss,
    inactiveFile: totalInactive ?? inactive,
    memLimit: parseMemLimit(file('memory', 'memory.limit_in_bytes')),
    // oom_kill is in memory.oom_control since Linux 4.13.
    oomKills: keyedValues(file('memory', 'memory.oom_control'), ['oom_kill'])[0],
    pids: parseCount(file('pids', 'pids.current')),
    ...io,
  };
}

/** Bytes read and written over every device, from blkio.throttle.io_service_bytes (`8:0 Read 4096` lines; the `Total` lines are skipped). */
export function parseBlkio(text: string | undefined): Pick<CgroupCounters, 'ioReadBytes' | 'ioWriteBytes'> {
  if (text === undefined) return {};
  let read = 0;
  let write = 0;
  for (const line of text.split('\n', 1024)) {
    const [device, op, value] = line.split(' ', 3);
    const n = parseCount(value);
    if (!device?.includes(':') || n === undefined) continue;
    if (op === 'Read') read += n;
    else if (op === 'Write') write += n;
  }
  return { ioReadBytes: read, ioWriteBytes: write };
}
