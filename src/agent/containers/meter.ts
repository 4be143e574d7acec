import { readlinkSync } from 'node:fs';
import { HeldFile, Reader } from '../metrics/proc-read.js';
import type { Sample } from '../metrics/types.js';
import type { CgroupCounters, FileReader } from './cgroup-stats.js';
import { MAX_CGROUP_STAT, cgroupVersion, readCgroupFile } from './cgroup-stats.js';
import { readCgroupV1 } from './cgroup-v1.js';
import { readCgroupV2 } from './cgroup-v2.js';
import { parseNetDev } from './net-dev.js';
import { findOwnCgroup, isNamespaceRelative, ownPid, resolveCgroupPath } from './cgroup-ns.js';

/** What the meter needs of a container: where its cgroup is and which process holds its namespaces. */
export interface MeteredContainer {
  readonly id: string;
  readonly cgroupPath: string;
  readonly initPid: number;
  /** Its restarts as its runtime counts them (not in its cgroup files), when the runtime said. */
  readonly restartCount?: number | undefined;
}

/** One container's samples of one pass, and its network namespace (shared by a pod's containers). */
export interface ContainerMeasure {
  readonly samples: readonly Sample[];
  /** `net:[inode]`, or undefined when it could not be read. */
  readonly netns: string | undefined;
}

export interface ContainerMeterOptions {
  /** Where the cgroup hierarchies are mounted (default `/sys/fs/cgroup`; a fixture tree in tests). */
  readonly cgroupRoot?: string;
  readonly procRoot?: string;
  /** Monotonic clock in ms, for rates. */
  readonly monotonic?: () => number;
}

interface Previous {
  readonly initPid: number;
  readonly netns: string | undefined;
  /** Its files, held open between passes; undefined past {@link HOLD_MAX} containers. */
  readonly files: HeldFiles | undefined;
  time: number;
  cpuNs?: number | undefined;
  ioRead?: number | undefined;
  ioWrite?: number | undefined;
  rx?: number | undefined;
  tx?: number | undefined;
}

/**
 * The containers whose files stay open between passes (eleven each): a pass then costs a pread per
 * file instead of open, read and close. Past this many, files are opened each pass, so a host with
 * thousands of containers does not run the agent out of descriptors.
 */
const HOLD_MAX = 256;

/** Limits change rarely (`docker update`): read on a container's first pass and every {@link LIMIT_EVERY}th, else as last read. */
const LIMIT_FILE = /\/(?:cpu\.cfs_quota_us|cpu\.cfs_period_us|memory\.limit_in_bytes|cpu\.max|memory\.max)$/;
const LIMIT_EVERY = 10;
/** Containers measured between two searches for the agent's own cgroup while it is not found (see cgroup-ns.ts). */
const NS_RETRY_AFTER = 60;

/** One container's files, held open; the text of each is bounded like any cgroup file's. */
class HeldFiles {
  readonly #files = new Map<string, HeldFile>();
  readonly #limits = new Map<string, string | undefined>();
  #pass = 0;
  constructor(private readonly reader: Reader) {}

  /** Starts a pass: the limits are read again every {@link LIMIT_EVERY} passes. */
  next(): void {
    if (this.#pass++ % LIMIT_EVERY === 0) this.#limits.clear();
  }

  readonly read: FileReader = (path) => {
    if (!LIMIT_FILE.test(path)) return this.#read(path);
    if (!this.#limits.has(path)) this.#limits.set(path, this.#read(path));
    return this.#limits.get(path);
  };

  #read(path: string): string | undefined {
    let file = this.#files.get(path);
    if (!file) this.#files.set(path, (file = new HeldFile(path)));
    const n = file.read(this.reader);
    return n < 0 ? undefined : this.reader.buf.toString('latin1', 0, Math.min(n, MAX_CGROUP_STAT));
  }

  close(): void {
    for (const file of this.#files.values()) file.close();
  }
}

/**
 * Per-container metrics from the cgroup files (v1 or v2, found once from the mount) and the
 * network namespace of the container's init process, every pass. Counters become rates since the
 * previous pass: a container's first pass (and its first after a restart, when its init pid
 * changes) gives its gauges only. `restart_count` is the runtime's count, passed in.
 *
 * @example
 * const meter = new ContainerMeter();
 * const byId = meter.measure(await catalog.list());
 */
export class ContainerMeter {
  readonly #root: string;
  readonly #proc: string;
  readonly #monotonic: () => number;
  readonly #read: (root: string, path: string, read: FileReader) => CgroupCounters;
  readonly #prev = new Map<string, Previous>();
  readonly #reader = new Reader();
  #held = 0;
  /** Where the agent's cgroup namespace is rooted in the tree at `#root`; searched when first needed. */
  #nsRoot: string | undefined;
  #nsSearchIn = 0;

  constructor(options: ContainerMeterOptions = {}) {
    this.#root = options.cgroupRoot ?? '/sys/fs/cgroup';
    this.#proc = options.procRoot ?? '/proc';
    this.#monotonic = options.monotonic ?? (() => performance.now());
    this.#read = cgroupVersion(this.#root) === 2 ? readCgroupV2 : readCgroupV1;
  }

  /** This pass's samples of each container, by id; containers not listed are forgotten. */
  measure(containers: readonly MeteredContainer[]): Map<string, ContainerMeasure> {
    const out = new Map<string, ContainerMeasure>();
    for (const c of containers) out.set(c.id, this.#measureOne(c));
    for (const [id, prev] of this.#prev) if (!out.has(id)) this.#forget(id, prev);
    return out;
  }

  /** Closes every file held open (the meter may measure again afterwards). */
  close(): void {
    for (const [id, prev] of this.#prev) this.#forget(id, prev);
  }

  #forget(id: string, prev: Previous): void {
    if (prev.files) {
      prev.files.close();
      this.#held--;
    }
    this.#prev.delete(id);
  }

  /**
   * A container's cgroup in the tree at the cgroup root: as read, unless the agent reads from inside
   * a cgroup namespace of its own (a pod's), where it is resolved against that namespace's root.
   * Undefined while that root is not found (searched again {@link NS_RETRY_AFTER} measurements later).
   */
  #treePath(path: string): string | undefined {
    if (!isNamespaceRelative(path)) return path;
    if (this.#nsRoot === undefined && this.#nsSearchIn-- <= 0) {
      this.#nsSearchIn = NS_RETRY_AFTER;
      const pid = ownPid(this.#proc);
      // cgroup v1: each controller has its tree; the runtimes put a container at the same path in each.
      const hierarchy = this.#read === readCgroupV2 ? this.#root : `${this.#root}/memory`;
      this.#nsRoot = pid === undefined ? undefined : findOwnCgroup(hierarchy, pid);
    }
    return this.#nsRoot === undefined ? undefined : resolveCgroupPath(path, this.#nsRoot);
  }

  #measureOne(c: MeteredContainer): ContainerMeasure {
    let prev = this.#prev.get(c.id);
    if (prev && prev.initPid !== c.initPid) {
      // Restarted: its init process (and so its /proc files) is new.
      this.#forget(c.id, prev);
      prev = undefined;
    }
    const files = prev ? prev.files : this.#held < HOLD_MAX ? (this.#held++, new HeldFiles(this.#reader)) : undefined;
    files?.next();
    const read = files?.read ?? readCgroupFile;
    const now = this.#monotonic();
    const path = this.#treePath(c.cgroupPath);
    const k: CgroupCounters = path === undefined ? {} : this.#read(this.#root, path, read);
    const net = parseNetDev(read(`${this.#proc}/${c.initPid}/net/dev`));
    const netns = prev ? prev.netns : readNetns(`${this.#proc}/${c.initPid}/ns/net`);
    const samples: Sample[] = [];
    const push = (name: string, value: number | undefined) => {
      if (value !== undefined && Number.isFinite(value)) samples.push({ name, value });
    };
    const seconds = prev ? (now - prev.time) / 1000 : 0;
    /** Per second since the previous pass; nothing when a counter is missing or went backwards. */
    const rate = (value: number | undefined, before: number | undefined) =>
      value !== undefined && before !== undefined && value >= before && seconds > 0 ? (value - before) / seconds : undefined;
    const cpu = rate(k.cpuNs, prev?.cpuNs);
    const cpuPercent = cpu === undefined ? undefined : cpu / 1e7;
    push('cpu_usage', cpuPercent);
    push('cpu_limit_usage', cpuPercent === undefined || k.cpuLimitCores === undefined ? undefined : cpuPercent / k.cpuLimitCores);
    push('mem_usage_bytes', k.memUsage);
    push('mem_working_set_bytes', k.memUsage === undefined ? undefined : Math.max(0, k.memUsage - (k.inactiveFile ?? 0)));
    push('mem_rss_bytes', k.memRss);
    push('mem_limit_bytes', k.memLimit);
    push('oom_kill_count', k.oomKills);
    push('pid_count', k.pids);
    push('io_read_bytes_rate', rate(k.ioReadBytes, prev?.ioRead));
    push('io_write_bytes_rate', rate(k.ioWriteBytes, prev?.ioWrite));
    push('net_rx_bytes_rate', rate(net?.rx, prev?.rx));
    push('net_tx_bytes_rate', rate(net?.tx, prev?.tx));
    push('restart_count', c.restartCount);
    this.#prev.set(c.id, { initPid: c.initPid, netns, files, time: now, cpuNs: k.cpuNs, ioRead: k.ioReadBytes, ioWrite: k.ioWriteBytes, rx: net?.rx, tx: net?.tx });
    return { samples, netns };
  }
}

/** The pod metrics that sum their containers' (limits and shares of a limit do not add up). */
const POD_SUMS: ReadonlySet<string> = new Set(['cpu_usage', 'mem_usage_bytes', 'mem_working_set_bytes', 'mem_rss_bytes', 'oom_kill_count', 'pid_count', 'io_read_bytes_rate', 'io_write_bytes_rate', 'net_rx_bytes_rate', 'net_tx_bytes_rate', 'restart_count']);

/**
 * A pod's samples: its containers' summed. A pod's containers share one network namespace, so
 * network rates are counted once per namespace, not once per container.
 */
export function podSamples(containers: readonly (ContainerMeasure | undefined)[]): Sample[] {
  const sums = new Map<string, number>();
  const namespaces = new Set<string>();
  for (const c of containers) {
    if (!c) continue;
    const counted = c.netns !== undefined && namespaces.has(c.netns);
    if (c.netns !== undefined) namespaces.add(c.netns);
    for (const s of c.samples) {
      if (!POD_SUMS.has(s.name) || (counted && s.name.startsWith('net_'))) continue;
      sums.set(s.name, (sums.get(s.name) ?? 0) + s.value);
    }
  }
  return [...sums].map(([name, value]) => ({ name, value }));
}

function readNetns(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}
