import { existsSync } from 'node:fs';

/**
 * What a container's cgroup counts besides its CPU time ({@link CgroupLayout.cpuNs}): counters
 * (I/O, OOM kills) become rates and deltas in {@link ContainerMeter}; gauges are reported as read. A
 * field the kernel does not offer (a controller not mounted, an old kernel) is undefined, and its
 * metric absent.
 */
export interface CgroupCounters {
  /** The CPU limit in cores (quota / period), undefined when unlimited. */
  cpuLimitCores?: number | undefined;
  memUsage?: number | undefined;
  /** Anonymous memory (v1 `total_rss`, v2 `anon`). */
  memRss?: number | undefined;
  /** Page cache the kernel may reclaim first: usage minus this is the working set. */
  inactiveFile?: number | undefined;
  /** Undefined when unlimited. */
  memLimit?: number | undefined;
  oomKills?: number | undefined;
  pids?: number | undefined;
  ioReadBytes?: number | undefined;
  ioWriteBytes?: number | undefined;
}

/** cgroup files are a few KB at most (io.stat grows with devices); longer text is not believed past this. */
export const MAX_CGROUP_STAT = 16 * 1024;

/**
 * A container's files, in the order its {@link CgroupLayout} listed them: each read whole (at most
 * {@link MAX_CGROUP_STAT} bytes) into one scratch buffer, to be parsed before the next read.
 */
export interface ContainerFiles {
  /** The bytes of the last read, `buf[0, n)`; may be another buffer after each read. */
  readonly buf: Buffer;
  /** Reads the file at `slot`: the byte count, or -1 when it cannot be read (gone, no such controller). */
  read(slot: number): number;
}

/**
 * Where a cgroup version keeps a container's counters, and how to read them.
 * @example
 * const files = openFiles(layout.paths('/sys/fs/cgroup', path));
 * const cpuNs = layout.cpuNs(files);
 * const counters = layout.counters(files, true, true);
 */
export interface CgroupLayout {
  /** The container's files under the hierarchy at `root`, for its cgroup `path`: the slots {@link cpuNs} and {@link counters} read. */
  paths(root: string, path: string): string[];
  /** CPU time used since the cgroup was created, in nanoseconds: one small file, read every pass. */
  cpuNs(files: ContainerFiles): number | undefined;
  /**
   * The other counters from the files: the I/O counters always, the gauges (memory, pids, OOM
   * kills) when `gauges`, the limits when `limits` (they change rarely); what is not read is undefined.
   */
  counters(files: ContainerFiles, gauges: boolean, limits: boolean): CgroupCounters;
}

/** The cgroup version of the hierarchy mounted at `root`: v2 when it is the unified tree (it has cgroup.controllers at its top). */
export function cgroupVersion(root: string): 1 | 2 {
  return existsSync(`${root}/cgroup.controllers`) ? 2 : 1;
}
