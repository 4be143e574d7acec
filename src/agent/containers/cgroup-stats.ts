import { existsSync } from 'node:fs';
import { readBounded } from './discovery.js';

/**
 * What a container's cgroup counts, read once a pass: counters (cpu, I/O, OOM kills) become
 * rates and deltas in {@link ContainerMeter}; gauges are reported as read. A field the kernel
 * does not offer (a controller not mounted, an old kernel) is undefined, and its metric absent.
 */
export interface CgroupCounters {
  /** CPU time used since the cgroup was created, in nanoseconds. */
  cpuNs?: number;
  /** The CPU limit in cores (quota / period), undefined when unlimited. */
  cpuLimitCores?: number;
  memUsage?: number;
  /** Anonymous memory (v1 `total_rss`, v2 `anon`). */
  memRss?: number;
  /** Page cache the kernel may reclaim first: usage minus this is the working set. */
  inactiveFile?: number;
  /** Undefined when unlimited. */
  memLimit?: number;
  oomKills?: number;
  pids?: number;
  ioReadBytes?: number;
  ioWriteBytes?: number;
}

/** cgroup files are a few KB at most (io.stat grows with devices); longer text is not believed past this. */
export const MAX_CGROUP_STAT = 16 * 1024;
/** v1 writes "no limit" as the largest page-aligned 64-bit count; anything this large is no limit. */
const UNLIMITED = 2 ** 62;

/** Reads a file's text (bounded), or undefined when it cannot be read. */
export type FileReader = (path: string) => string | undefined;

/** One cgroup file's text, bounded; undefined when it cannot be read (the container just exited, no such controller). */
export const readCgroupFile = (path: string): string | undefined => readBounded(path, MAX_CGROUP_STAT);

/** A non-negative integer from a file holding one (`pids.current`), or undefined for anything else. */
export function parseCount(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  return /^\d{1,20}$/.test(trimmed) ? Number(trimmed) : undefined;
}

/** A memory limit (`memory.max`, `memory.limit_in_bytes`): undefined for `max` and v1's huge "unlimited". */
export function parseMemLimit(text: string | undefined): number | undefined {
  const n = parseCount(text);
  return n === undefined || n >= UNLIMITED ? undefined : n;
}

/**
 * The values of the `key value` lines (memory.stat, cpu.stat, memory.events, memory.oom_control)
 * of these keys, in the order asked; undefined for a key that is absent or not a count. Only the
 * lines asked for are parsed: memory.stat has some forty and the meter reads it every second for
 * every container (an agent runs without an optimising compiler, so each line parsed counts).
 *
 * @example
 * const [rss, inactive] = keyedValues('rss 10\ninactive_file 3\n', ['rss', 'inactive_file']); // 10, 3
 */
export function keyedValues(text: string | undefined, keys: readonly string[]): (number | undefined)[] {
  if (text === undefined) return keys.map(() => undefined);
  const bounded = text.length > MAX_CGROUP_STAT ? text.slice(0, MAX_CGROUP_STAT) : text;
  return keys.map((key) => {
    const head = `${key} `;
    let from = head.length;
    if (!bounded.startsWith(head)) {
      const at = bounded.indexOf(`\n${head}`);
      if (at < 0) return undefined;
      from += at + 1;
    }
    const end = bounded.indexOf('\n', from);
    return parseCount(bounded.slice(from, end < 0 ? undefined : end));
  });
}

/** CPU cores a quota allows: `quota / period`, undefined when either is missing, not positive, or unlimited (`max`, `-1`). */
export function cpuLimitCores(quota: number | undefined, period: number | undefined): number | undefined {
  return quota !== undefined && period !== undefined && quota > 0 && period > 0 ? quota / period : undefined;
}

/** The cgroup version of the hierarchy mounted at `root`: v2 when it is the unified tree (it has cgroup.controllers at its top). */
export function cgroupVersion(root: string): 1 | 2 {
  return existsSync(`${root}/cgroup.controllers`) ? 2 : 1;
}
