import type { ProcessInfo, Sample } from '../types.js';

/*
 * What the process scan (processes.ts) keeps about each process between passes, and the reading it
 * hands out for it: objects made once for a process and rewritten by each pass.
 */

/** A new entry's stat copy until its first pass sets it. */
const NO_BYTES = new Uint8Array(0);

/** A new entry's reading's info until its first pass sets it. */
const PLACEHOLDER_INFO: ProcessInfo = { pid: 0, ppid: 0, name: '', cmdline: '', user: '', state: '', startTime: 0 };

type MutableSample = { readonly name: string; value: number };

/**
 * One process as a pass saw it: the collector's own object, rewritten by its next pass (an idle
 * host's hundreds of processes, a few objects each every second, were most of the agent's garbage).
 */
export interface ProcessReading {
  info: ProcessInfo;
  samples: readonly Sample[];
}

/** What a pass remembers about one process. */
export interface ProcEntry {
  readonly pid: number;
  readonly starttime: number;
  /** Epoch seconds (boot time + starttime). */
  readonly startTime: number;
  /** Held /proc/<pid>/stat descriptor, or -1. */
  fd: number;
  comm: Uint8Array;
  name: string;
  cmdline: string;
  user: string;
  readonly kthread: boolean;
  ticks: number;
  /** utime + stime in the last stat read (`ticks` is the rate's baseline, which a too-close pass keeps older). */
  statTicks: number;
  /** The last stat parsed, up to its last field read: a pass that reads the same bytes parses nothing. */
  stat: Uint8Array;
  /** Monotonic ms of `ticks`; NaN before the first reading. */
  tickTime: number;
  /** Pass that last saw it. */
  seen: number;
  /** Monotonic ms after which cmdline and uid are read again. */
  refreshAt: number;
  info: ProcessInfo | undefined;
  /** What each pass hands out for it, rewritten in place (see {@link ProcessReading}). */
  readonly reading: ProcessReading;
  readonly cpu: MutableSample;
  readonly rss: MutableSample;
  readonly threads: MutableSample;
  readonly uptime: MutableSample;
  /** The readings' sample arrays: with or without cpu_usage (bit 1) and uptime_seconds (bit 2). */
  readonly sampleSets: (readonly Sample[] | undefined)[];
}

/**
 * A process first seen: its identity, nothing read of it yet but its stat.
 * @example const entry = newProcEntry(42, 12345, 1_700_000_123, comm, 'nginx', false, '');
 */
export function newProcEntry(pid: number, starttime: number, startTime: number, comm: Uint8Array, name: string, kthread: boolean, user: string): ProcEntry {
  return {
    pid,
    starttime,
    startTime,
    fd: -1,
    comm,
    name,
    cmdline: '',
    user,
    kthread,
    ticks: 0,
    statTicks: 0,
    stat: NO_BYTES,
    tickTime: NaN,
    seen: 0,
    refreshAt: -Infinity,
    info: undefined,
    reading: { info: PLACEHOLDER_INFO, samples: [] },
    cpu: { name: 'cpu_usage', value: 0 },
    rss: { name: 'mem_rss_bytes', value: 0 },
    threads: { name: 'thread_count', value: 0 },
    uptime: { name: 'uptime_seconds', value: 0 },
    sampleSets: [undefined, undefined, undefined, undefined],
  };
}
