import { readlinkSync } from 'node:fs';
import { HeldFile, Reader } from '../metrics/proc-read.js';
import type { Sample } from '../metrics/types.js';
import { netDev, netDevOf } from './cgroup-parse.js';
import type { CgroupCounters, CgroupLayout, ContainerFiles } from './cgroup-stats.js';
import { MAX_CGROUP_STAT, cgroupVersion } from './cgroup-stats.js';
import { cgroupV1 } from './cgroup-v1.js';
import { cgroupV2 } from './cgroup-v2.js';
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
  /** Containers whose files stay open between passes (default {@link HOLD_MAX}). */
  readonly holdMax?: number;
}

interface Previous {
  readonly initPid: number;
  readonly netns: string | undefined;
  /** Its cgroup files, then its net/dev: held open unless past the meter's limit. */
  readonly files: HeldFiles | PathFiles;
  /** Passes since its limits were read: they are read every {@link LIMIT_EVERY}th. */
  pass: number;
  cpuLimitCores: number | undefined;
  memLimit: number | undefined;
  time: number;
  cpuNs?: number | undefined;
  ioRead?: number | undefined;
  ioWrite?: number | undefined;
  rx?: number | undefined;
  tx?: number | undefined;
}

/**
 * The containers whose files stay open between passes: a pass then costs a pread per file instead
 * of open, read and close. Ten files a container at most (cgroup v1 with net/dev), so 2,560
 * descriptors, well within the limit Node raises its soft limit to at start (the hard one, 65,536 on
 * most hosts). Past this many, a container's files are opened at each read; a file that cannot be
 * opened (EMFILE) reads as missing that pass, its metric absent, nothing worse.
 */
const HOLD_MAX = 256;

/** Limits change rarely (`docker update`): read on a container's first pass and every {@link LIMIT_EVERY}th, else as last read. */
const LIMIT_EVERY = 10;
/** Containers measured between two searches for the agent's own cgroup while it is not found (see cgroup-ns.ts). */
const NS_RETRY_AFTER = 60;

/** A container's files held open and re-read from offset 0 each pass; {@link close} when the container goes. */
class HeldFiles implements ContainerFiles {
  readonly #files: readonly HeldFile[];
  constructor(
    paths: readonly string[],
    private readonly reader: Reader,
  ) {
    this.#files = paths.map((path) => new HeldFile(path));
  }

  get buf(): Buffer {
    return this.reader.buf;
  }

  get slots(): number {
    return this.#files.length;
  }

  read(slot: number): number {
    return this.#files[slot]?.read(this.reader, MAX_CGROUP_STAT, true) ?? -1;
  }

  close(): void {
    for (const file of this.#files) file.close();
  }
}

/** A container's files opened, read and closed at each read: for the containers past the held ones. */
class PathFiles implements ContainerFiles {
  constructor(
    private readonly paths: readonly string[],
    private readonly reader: Reader,
  ) {}

  get buf(): Buffer {
    return this.reader.buf;
  }

  get slots(): number {
    return this.paths.length;
  }

  read(slot: number): number {
    const path = this.paths[slot];
    return path === undefined ? -1 : this.reader.readPath(path, MAX_CGROUP_STAT, true);
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
  readonly #layout: CgroupLayout;
  readonly #prev = new Map<string, Previous>();
  readonly #reader = new Reader();
  readonly #holdMax: number;
  #held = 0;
  /** Where the agent's cgroup namespace is rooted in the tree at `#root`; searched when first needed. */
  #nsRoot: string | undefined;
  #nsSearchIn = 0;

  constructor(options: ContainerMeterOptions = {}) {
    this.#root = options.cgroupRoot ?? '/sys/fs/cgroup';
    this.#proc = options.procRoot ?? '/proc';
    this.#monotonic = options.monotonic ?? (() => performance.now());
    this.#layout = cgroupVersion(this.#root) === 2 ? cgroupV2 : cgroupV1;
    this.#holdMax = options.holdMax ?? HOLD_MAX;
  }

  /** Containers whose files are held open now. */
  get held(): number {
    return this.#held;
  }

  /** This pass's samples of each container, by id; containers not listed are forgotten (their files closed). */
  measure(containers: readonly MeteredContainer[]): Map<string, ContainerMeasure> {
    const out = new Map<string, ContainerMeasure>();
    // A pod's containers share a network namespace: its net/dev is read once a pass.
    const nets = new Map<string, { rx: number; tx: number } | undefined>();
    for (const c of containers) out.set(c.id, this.#measureOne(c, nets));
    for (const [id, prev] of this.#prev) if (!out.has(id)) this.#forget(id, prev);
    return out;
  }

  /** Closes every file held open (the meter may measure again afterwards). */
  close(): void {
    for (const [id, prev] of this.#prev) this.#forget(id, prev);
  }

  #forget(id: string, prev: Previous): void {
    if (prev.files instanceof HeldFiles) {
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
      const hierarchy = this.#layout === cgroupV2 ? this.#root : `${this.#root}/memory`;
      this.#nsRoot = pid === undefined ? undefined : findOwnCgroup(hierarchy, pid);
    }
    return this.#nsRoot === undefined ? undefined : resolveCgroupPath(path, this.#nsRoot);
  }

  /** A new container's files: its cgroup's (none while its cgroup cannot be placed), then its net/dev, held open while there is room. */
  #files(c: MeteredContainer): HeldFiles | PathFiles {
    const path = this.#treePath(c.cgroupPath);
    const paths = [...(path === undefined ? [] : this.#layout.paths(this.#root, path)), `${this.#proc}/${c.initPid}/net/dev`];
    if (this.#held >= this.#holdMax) return new PathFiles(paths, this.#reader);
    this.#held++;
    return new HeldFiles(paths, this.#reader);
  }

  #measureOne(c: MeteredContainer, nets: Map<string, { rx: number; tx: number } | undefined>): ContainerMeasure {
    let prev = this.#prev.get(c.id);
    if (prev && prev.initPid !== c.initPid) {
      // Restarted: its init process (and so its /proc files) is new.
      this.#forget(c.id, prev);
      prev = undefined;
    }
    const files = prev ? prev.files : this.#files(c);
    const cgroupFiles = files.slots - 1;
    const limits = !prev || prev.pass % LIMIT_EVERY === 0;
    const now = this.#monotonic();
    const k: CgroupCounters = cgroupFiles > 0 ? this.#layout.counters(files, limits) : {};
    const netns = prev ? prev.netns : readNetns(`${this.#proc}/${c.initPid}/ns/net`);
    let net = netns === undefined ? undefined : nets.get(netns);
    if (net === undefined && !(netns !== undefined && nets.has(netns))) {
      const n = files.read(cgroupFiles);
      net = n >= 0 && netDevOf(files.buf, n) ? { rx: netDev.rx, tx: netDev.tx } : undefined;
      if (netns !== undefined) nets.set(netns, net);
    }
    const cpuLimitCores = limits ? k.cpuLimitCores : prev?.cpuLimitCores;
    const memLimit = limits ? k.memLimit : prev?.memLimit;
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
    push('cpu_limit_usage', cpuPercent === undefined || cpuLimitCores === undefined ? undefined : cpuPercent / cpuLimitCores);
    push('mem_usage_bytes', k.memUsage);
    push('mem_working_set_bytes', k.memUsage === undefined ? undefined : Math.max(0, k.memUsage - (k.inactiveFile ?? 0)));
    push('mem_rss_bytes', k.memRss);
    push('mem_limit_bytes', memLimit);
    push('oom_kill_count', k.oomKills);
    push('pid_count', k.pids);
    push('io_read_bytes_rate', rate(k.ioReadBytes, prev?.ioRead));
    push('io_write_bytes_rate', rate(k.ioWriteBytes, prev?.ioWrite));
    push('net_rx_bytes_rate', rate(net?.rx, prev?.rx));
    push('net_tx_bytes_rate', rate(net?.tx, prev?.tx));
    push('restart_count', c.restartCount);
    const pass = prev ? prev.pass + 1 : 1;
    this.#prev.set(c.id, { initPid: c.initPid, netns, files, pass, cpuLimitCores, memLimit, time: now, cpuNs: k.cpuNs, ioRead: k.ioReadBytes, ioWrite: k.ioWriteBytes, rx: net?.rx, tx: net?.tx });
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
