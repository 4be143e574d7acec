import type { CgroupCounters, FileReader } from './cgroup-stats.js';
import { cpuLimitCores, keyedValues, parseCount, parseMemLimit, readCgroupFile } from './cgroup-stats.js';

/** A cgroup v2 container's counters: every controller's files in its one directory of the unified tree at `root`. */
export function readCgroupV2(root: string, path: string, read: FileReader = readCgroupFile): CgroupCounters {
  const file = (name: string) => read(`${root}${path}/${name}`);
  const [usec] = keyedValues(file('cpu.stat'), ['usage_usec']);
  const [anon, inactiveFile] = keyedValues(file('memory.stat'), ['anon', 'inactive_file']);
  const [quota, period] = (file('cpu.max') ?? '').trim().split(' ', 2);
  return {
    cpuNs: usec === undefined ? undefined : usec * 1000,
    // `max 100000` is no limit: parseCount refuses `max`.
    cpuLimitCores: cpuLimitCores(parseCount(quota), parseCount(period)),
    memUsage: parseCount(file('memory.current')),
    memRss: anon,
    inactiveFile,
    memLimit: parseMemLimit(file('memory.max')),
    oomKills: keyedValues(file('memory.events'), ['oom_kill'])[0],
    pids: parseCount(file('pids.current')),
    ...parseIoStat(file('io.stat')),
  };
}

/** Bytes read and written over every device, from io.stat (`8:0 rbytes=1 wbytes=2 rios=…` lines). */
export function parseIoStat(text: string | undefined): Pick<CgroupCounters, 'ioReadBytes' | 'ioWriteBytes'> {
  if (text === undefined) return {};
  let read = 0;
  let write = 0;
  for (const line of text.split('\n', 1024)) {
    for (const field of line.split(' ', 16)) {
      const eq = field.indexOf('=');
      const n = parseCount(field.slice(eq + 1));
      if (eq < 0 || n === undefined) continue;
      const key = field.slice(0, eq);
      if (key === 'rbytes') read += n;
      else if (key === 'wbytes') write += n;
    }
  }
  return { ioReadBytes: read, ioWriteBytes: write };
}
