import { readlinkSync } from 'node:fs';
import { HeldFile, Reader } from '../metrics/proc-read.js';
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

/** A container's metrics, in the order of {@link ContainerMeasure.values}. */
export const CONTAINER_METRICS = [
  'cpu_usage',
  'cpu_limit_usage',
  'mem_usage_bytes',
  'mem_working_set_bytes',
  'mem_rss_bytes',
  'mem_limit_bytes',
  'oom_kill_count',
  'pid_count',
  'io_read_bytes_rate',
  'io_write_bytes_rate',
  'net_rx_bytes_rate',
  'net_tx_bytes_rate',
  'restart_count',
] as const;
const [CPU, CPU_LIMIT, MEM_USAGE, MEM_WORKING_SET, MEM_RSS, MEM_LIMIT, OOM_KILLS, PIDS, IO_READ, IO_WRITE, NET_RX, NET_TX, RESTARTS] = CONTAINER_METRICS.map((_, i) => i) as number[] as [number, number, number, number, number, number, number, number, number, number, number, number, number];

/** One container's metrics of one pass, and its network namespace (shared by a pod's containers). */
export interface ContainerMeasure {
  /**
   * One value a metric of {@link CONTAINER_METRICS}, NaN for one absent this pass (a rate on a first
   * pass, a file the kernel does not have). The meter's own array, rewritten by its next pass: it
   * goes to the store as it is (a {@link SeriesWriter}), with no sample object made.
   */
  readonly values: Float64Array;
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

interface Previous extends ContainerMeasure {
  readonly initPid: number;
  /** Its cgroup files, then its net/dev: held open unless past the meter's limit. */
  readonly files: HeldFiles | PathFiles;
  /** Passes since its limits were read: they are read again on the first whole pass {@link LIMIT_EVERY} passes on. */
  sinceLimits: number;
  /** Passes since its gauges were read (see {@link IDLE_WHOLE_EVERY}). */
  sinceWhole: number;
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

/** Limits change rarely (`docker update`): read on a container's first pass and then at most every {@link LIMIT_EVERY}th, else as last read. */
const LIMIT_EVERY = 10;
/**
 * A container that used no CPU since the previous pass has its gauges (memory, pids, OOM kills)
 * read every this many passes only; one that ran has them read that pass. Its counters (CPU time,
 * I/O, network) are read every pass: the kernel moves them for a sleeping container too
 * (writeback of its dirty pages, packets arriving), and a rate must say when. Its processes cannot
 * allocate, fork or be OOM-killed without running (the kill runs in the victim), so those gauges
 * hold; what the kernel changes on its behalf (page cache reclaimed) shows within this many
 * seconds. cAdvisor's dynamic housekeeping does the like for containers whose stats do not change,
 * up to 15 s, for every metric. Containers are spread over the passes by their id, so no pass reads
 * them all (issue 14's benchmark: 50 idle containers).
 */
const IDLE_WHOLE_EVERY = 5;
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
  /** A pass's answer and its network namespaces' counters: kept, cleared at each pass. */
  readonly #out = new Map<string, ContainerMeasure>();
  readonly #nets = new Map<string, { rx: number; tx: number } | undefined>();
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

  /**
   * This pass's metrics of each container, by id; containers not listed are forgotten (their files
   * closed). The map and its measures are the meter's own: valid until its next pass.
   */
  measure(containers: readonly MeteredContainer[]): ReadonlyMap<string, ContainerMeasure> {
    const out = this.#out;
    out.clear();
    // A pod's containers share a network namespace: its net/dev is read once a pass.
    const nets = this.#nets;
    nets.clear();
    for (let i = 0; i < containers.length; i++) {
      const c = containers[i]!;
      out.set(c.id, this.#measureOne(c, nets));
    }
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
    const now = this.#monotonic();
    const cpuNs = cgroupFiles > 0 ? this.#layout.cpuNs(files) : undefined;
    // Its gauges too: a first pass, a container that ran (or whose CPU time cannot be read), or one idle for long enough.
    const whole = !prev || cpuNs === undefined || cpuNs !== prev.cpuNs || prev.sinceWhole + 1 >= IDLE_WHOLE_EVERY;
    const limits = !prev || (whole && prev.sinceLimits + 1 >= LIMIT_EVERY);
    const k: CgroupCounters = cgroupFiles > 0 ? this.#layout.counters(files, whole, limits) : {};
    const netns = prev ? prev.netns : readNetns(`${this.#proc}/${c.initPid}/ns/net`);
    let net = netns === undefined ? undefined : nets.get(netns);
    if (net === undefined && !(netns !== undefined && nets.has(netns))) {
      const n = files.read(cgroupFiles);
      net = n >= 0 && netDevOf(files.buf, n) ? { rx: netDev.rx, tx: netDev.tx } : undefined;
      if (netns !== undefined) nets.set(netns, net);
    }
    const cpuLimitCores = limits ? k.cpuLimitCores : prev?.cpuLimitCores;
    const memLimit = limits ? k.memLimit : prev?.memLimit;
    const values = prev ? prev.values : new Float64Array(CONTAINER_METRICS.length);
    const seconds = prev ? (now - prev.time) / 1000 : 0;
    const cpuPercent = rate(cpuNs, prev?.cpuNs, seconds) / 1e7;
    values[CPU] = cpuPercent;
    values[CPU_LIMIT] = cpuLimitCores === undefined ? NaN : gauge(cpuPercent / cpuLimitCores);
    if (whole) {
      values[MEM_USAGE] = gauge(k.memUsage);
      values[MEM_WORKING_SET] = k.memUsage === undefined ? NaN : gauge(Math.max(0, k.memUsage - (k.inactiveFile ?? 0)));
      values[MEM_RSS] = gauge(k.memRss);
      values[OOM_KILLS] = gauge(k.oomKills);
      values[PIDS] = gauge(k.pids);
    }
    // Else idle: its gauges hold as last read.
    values[MEM_LIMIT] = gauge(memLimit);
    values[IO_READ] = rate(k.ioReadBytes, prev?.ioRead, seconds);
    values[IO_WRITE] = rate(k.ioWriteBytes, prev?.ioWrite, seconds);
    values[NET_RX] = rate(net?.rx, prev?.rx, seconds);
    values[NET_TX] = rate(net?.tx, prev?.tx, seconds);
    values[RESTARTS] = gauge(c.restartCount);
    if (!prev) {
      prev = { initPid: c.initPid, netns, values, files, sinceLimits: 0, sinceWhole: staggered(c.id), cpuLimitCores, memLimit, time: now };
      this.#prev.set(c.id, prev);
    } else {
      prev.sinceWhole = whole ? 0 : prev.sinceWhole + 1;
      prev.sinceLimits = limits ? 0 : prev.sinceLimits + 1;
    }
    // Kept in place (one object a container, not one a pass).
    prev.cpuLimitCores = cpuLimitCores;
    prev.memLimit = memLimit;
    prev.time = now;
    prev.cpuNs = cpuNs;
    prev.ioRead = k.ioReadBytes;
    prev.ioWrite = k.ioWriteBytes;
    prev.rx = net?.rx;
    prev.tx = net?.tx;
    return prev;
  }
}

/** Where a new container starts in the {@link IDLE_WHOLE_EVERY} cycle, from its (hex) id: idle containers' gauge reads spread over the passes. */
const staggered = (id: string): number => (id.charCodeAt(id.length - 1) || 0) % IDLE_WHOLE_EVERY;

/** A gauge as read, NaN when missing or not finite. */
const gauge = (value: number | undefined): number => (value !== undefined && Number.isFinite(value) ? value : NaN);

/** Per second since the previous pass; NaN when a counter is missing or went backwards. */
const rate = (value: number | undefined, before: number | undefined, seconds: number): number =>
  value !== undefined && before !== undefined && value >= before && seconds > 0 ? gauge((value - before) / seconds) : NaN;

/**
 * A container's OOM-kill count in a pass's measures (as last read: an idle container's gauges are
 * read every fifth pass), undefined when it was not measured or the count could not be read.
 * @example const kills = oomKillsOf(meter.measure(found), containerId);
 */
export function oomKillsOf(measured: ReadonlyMap<string, ContainerMeasure> | undefined, id: string): number | undefined {
  const v = measured?.get(id)?.values[OOM_KILLS];
  return v === undefined || Number.isNaN(v) ? undefined : v;
}

/** The pod metrics that sum their containers' (limits and shares of a limit do not add up). */
const POD_SUMS: readonly number[] = [CPU, MEM_USAGE, MEM_WORKING_SET, MEM_RSS, OOM_KILLS, PIDS, IO_READ, IO_WRITE, NET_RX, NET_TX, RESTARTS];

/**
 * A pod's metrics (in the order of {@link CONTAINER_METRICS}, into `out`): its containers' summed,
 * NaN where none has a value, limits left out. A pod's containers share one network namespace, so
 * network rates are counted once per namespace, not once per container.
 * @example
 * const pod = podValues([measures.get(a), measures.get(b)], new Float64Array(CONTAINER_METRICS.length));
 */
export function podValues(containers: readonly (ContainerMeasure | undefined)[], out: Float64Array): Float64Array {
  out.fill(NaN);
  for (let i = 0; i < containers.length; i++) {
    const c = containers[i];
    if (!c) continue;
    let counted = false;
    // A pod has a few containers: the namespaces before this one are looked at, no set is made.
    for (let j = 0; j < i && c.netns !== undefined; j++) if (containers[j]?.netns === c.netns) counted = true;
    for (let k = 0; k < POD_SUMS.length; k++) {
      const m = POD_SUMS[k]!;
      const v = c.values[m] as number;
      if (v !== v || (counted && (m === NET_RX || m === NET_TX))) continue;
      const sum = out[m] as number;
      out[m] = sum === sum ? sum + v : v;
    }
  }
  return out;
}

function readNetns(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}
