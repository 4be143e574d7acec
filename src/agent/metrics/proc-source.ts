import fs from 'node:fs';
import os from 'node:os';
import type { HostFacts, MetricSource, ProcessInfo, Sample, Snapshot } from './types.js';

/*
 * ProcSource: the real agent's metrics, read straight from /proc and statfs(2). It never spawns a
 * process. It runs once a second on every host, so the hot path is written for cost:
 *
 *  - Files are read with fs.readSync into one reusable Buffer and parsed byte by byte (no regexes,
 *    no string splitting). Host files (/proc/stat, meminfo, loadavg, ...) and each process's
 *    /proc/<pid>/stat are opened once and re-read with pread at offset 0, which makes the kernel
 *    regenerate the text (seq_file); that halves the syscalls of a pass. A held /proc/<pid>/stat
 *    descriptor answers ESRCH once its process is gone, so a reused pid can never be mistaken for
 *    the old process. Held per-process descriptors are capped (maxOpenFiles, and a quarter of the
 *    soft RLIMIT_NOFILE); processes beyond the cap are read with open/read/close.
 *  - What does not change is cached: per pid + start time + comm, the command line and the real
 *    uid (read from /proc/<pid>/status at first sight, once more at the next pass to catch a
 *    fork-then-setuid, then every `refreshSeconds` to catch setproctitle and privilege drops);
 *    uid -> user name from /etc/passwd; the parsed mount list while /proc/self/mounts is unchanged
 *    (compared byte for byte); boot time; page size (AT_PAGESZ from /proc/self/auxv).
 *  - statfs: on local filesystems whose statfs only reads in-memory counters (ext4, xfs, tmpfs, ...)
 *    and whose path crosses no network mount, it is called inline (a thread-pool round trip costs
 *    ten times the call). Everything else (nfs, cifs, fuse, overlay, btrfs, ...) runs on libuv's
 *    thread pool, overlapped with the /proc scan, bounded by `statfsTimeoutMs` per pass. A mount
 *    whose statfs is still outstanding (a hung NFS server) is skipped, and no new statfs is issued
 *    for it until the old one returns, so a hung mount holds at most one pool thread and never
 *    delays a pass by more than the timeout. `skippedMounts` lists the mounts skipped last pass.
 *
 * Rates and deltas (host cpu_usage and cpu_iowait, net_*_rate, process cpu_usage) need two
 * readings: the first collect() reports none of them (absent, not 0: "no data yet" must not look
 * like "idle"). A process first seen in a later pass that started after the previous pass gets a
 * cpu_usage right away (its tick count at the previous pass was 0). Passes less than 50 ms apart
 * give no process cpu_usage (10 ms ticks would read as nonsense) and keep the older baseline.
 * Counters that go backwards (an interface re-created) give no rate for that pass.
 *
 * Clock ticks: USER_HZ is 100 on every Linux architecture Node runs on, and `getconf CLK_TCK`
 * would mean spawning, so CLK_TCK is fixed at 100.
 */

/** USER_HZ: the unit of utime, stime and starttime in /proc/<pid>/stat. */
export const CLK_TCK = 100;

/** A mounted filesystem as /proc/self/mounts lists it (escapes such as `\040` decoded). */
export interface MountEntry {
  readonly device: string;
  readonly mount: string;
  readonly fstype: string;
}

/** The fields of statfs(2) that disk metrics need (node's fs.StatsFs has them). */
export interface StatFsLike {
  readonly bsize: number;
  readonly blocks: number;
  readonly bfree: number;
  readonly bavail: number;
  readonly files: number;
  readonly ffree: number;
}

export interface ProcSourceOptions {
  /** Where procfs is mounted; tests point it at a fixture tree. */
  readonly procRoot?: string;
  /** Where passwd, machine-id and os-release live. */
  readonly etcRoot?: string;
  /** Which mounts get disk metrics. Replaces the default, {@link isRealMount}; compose with it to extend. */
  readonly mountFilter?: (mount: MountEntry) => boolean;
  /** How long one pass waits for each statfs before skipping that mount for the pass. */
  readonly statfsTimeoutMs?: number;
  /** statfs implementation (tests inject slow or fake ones). */
  readonly statfs?: (path: string) => Promise<StatFsLike>;
  /** Wall clock for Snapshot.time, ms since the epoch. */
  readonly clock?: () => number;
  /** Monotonic clock in ms, for rates. */
  readonly monotonic?: () => number;
  /** Upper bound on /proc/<pid>/stat descriptors kept open between passes. */
  readonly maxOpenFiles?: number;
  /** How often a process's cmdline and uid are re-read (they rarely change). */
  readonly refreshSeconds?: number;
}

/** Filesystem types that hold no user data (or are read-only images that are always full). */
const PSEUDO_FS = new Set([
  'proc', 'sysfs', 'devpts', 'mqueue', 'debugfs', 'tracefs', 'securityfs', 'pstore', 'bpf', 'configfs',
  'fusectl', 'hugetlbfs', 'autofs', 'binfmt_misc', 'rpc_pipefs', 'nsfs', 'efivarfs', 'selinuxfs',
  'devtmpfs', 'ramfs', 'rootfs', 'squashfs', 'nfsd', 'sockfs', 'pipefs', 'binder', 'fuse.lxcfs',
  'fuse.gvfsd-fuse', 'fuse.portal', 'fuse.snapfuse',
]);

/**
 * Filesystems whose statfs only reads in-memory counters (no I/O, no network): a thread-pool round
 * trip costs ten times the call itself, so these are called inline. Everything else (nfs, cifs,
 * fuse, ceph, btrfs, zfs, overlay, ...) goes through the thread pool under a timeout.
 */
const SYNC_STATFS_FS = new Set(['ext2', 'ext3', 'ext4', 'xfs', 'tmpfs', 'vfat']);
/** Filesystems a path lookup may cross on its way to a mount point without risk of blocking. */
const LOCAL_FS = new Set([...SYNC_STATFS_FS, 'overlay', 'rootfs', 'btrfs', 'zfs', 'devtmpfs', 'proc', 'sysfs']);

/** Whether every mount above `mount` (the file systems its path lookup walks) is local. */
function crossesOnlyLocal(mount: string, byMount: ReadonlyMap<string, MountEntry>): boolean {
  let p = mount;
  while (p !== '/' && p !== '') {
    const slash = p.lastIndexOf('/');
    p = slash <= 0 ? '/' : p.slice(0, slash);
    const parent = byMount.get(p);
    if (parent && !LOCAL_FS.has(parent.fstype)) return false;
  }
  return true;
}

/** Trees of kernel interfaces: mounts at or under them are not storage operators fill. */
const PSEUDO_TREES = ['/proc', '/sys', '/dev', '/run/credentials', '/run/netns', '/run/docker/netns', '/run/snapd/ns'];

/**
 * The default mount filter: real filesystems, tmpfs and overlay included; pseudo filesystems
 * (proc, sysfs, cgroup*, devpts, mqueue, ...), squashfs images and anything mounted under /proc,
 * /sys, /dev or /run/credentials excluded — except /dev/shm, a tmpfs that does fill up.
 */
export function isRealMount(m: MountEntry): boolean {
  if (PSEUDO_FS.has(m.fstype) || m.fstype.startsWith('cgroup')) return false;
  if (m.mount === '/dev/shm') return true;
  for (const tree of PSEUDO_TREES) {
    if (m.mount === tree || (m.mount.startsWith(tree) && m.mount.charCodeAt(tree.length) === 47)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Byte-level parsing. `pos` is a module-level cursor, so the parsers return one number and no
// tuple (no allocation in the hot path).

let pos = 0;

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 48 && c <= 57;
}

/** Skips spaces and tabs from `p`; leaves the cursor on the first other byte. */
function skipBlank(buf: Uint8Array, p: number, end: number): void {
  while (p < end && (buf[p] === 32 || buf[p] === 9)) p++;
  pos = p;
}

/** Reads an (optionally signed) decimal integer at the cursor; leaves the cursor after it. */
function readInt(buf: Uint8Array, end: number): number {
  let p = pos;
  let neg = false;
  if (buf[p] === 45) {
    neg = true;
    p++;
  }
  let v = 0;
  while (p < end) {
    const c = buf[p]!;
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
    p++;
  }
  pos = p;
  return neg ? -v : v;
}

/** Reads a decimal such as `0.75` or `1008.85` at the cursor; leaves the cursor after it. */
function readDecimal(buf: Uint8Array, end: number): number {
  let v = readInt(buf, end);
  if (buf[pos] === 46) {
    let p = pos + 1;
    let scale = 0.1;
    while (p < end && isDigit(buf[p])) {
      v += (buf[p]! - 48) * scale;
      scale /= 10;
      p++;
    }
    pos = p;
  }
  return v;
}

/** The integer after `key` (which includes its separator, e.g. `\nUid:`), or -1 when absent. */
function intAfter(buf: Buffer, end: number, key: Buffer, from = 0): number {
  const at = buf.indexOf(key, from);
  if (at < 0 || at + key.length >= end) return -1;
  skipBlank(buf, at + key.length, end);
  if (!isDigit(buf[pos])) return -1;
  return readInt(buf, end);
}

const KEY_MEM_TOTAL = Buffer.from('MemTotal:');
const KEY_MEM_FREE = Buffer.from('\nMemFree:');
const KEY_MEM_AVAILABLE = Buffer.from('\nMemAvailable:');
const KEY_BUFFERS = Buffer.from('\nBuffers:');
const KEY_CACHED = Buffer.from('\nCached:');
const KEY_SWAP_TOTAL = Buffer.from('\nSwapTotal:');
const KEY_SWAP_FREE = Buffer.from('\nSwapFree:');
const KEY_UID = Buffer.from('\nUid:');
const KEY_BTIME = Buffer.from('\nbtime ');
const KEY_MAX_OPEN = Buffer.from('\nMax open files');

const PF_KTHREAD = 0x00200000;

/** Stat fields we use, by their 1-based number in proc(5). */
const F_PPID = 4;
const F_FLAGS = 9;
const F_UTIME = 14;
const F_STIME = 15;
const F_THREADS = 20;
const F_STARTTIME = 22;
const F_RSS = 24;
const statFields = new Float64Array(F_RSS + 1);

// ---------------------------------------------------------------------------------------------

/** A /proc file kept open and re-read from offset 0 every pass. */
class HeldFile {
  private fd = -1;
  constructor(readonly path: string) {}

  /** Reads the whole file into `r.buf`; the byte count, or -1 when it cannot be read. */
  read(r: Reader): number {
    for (let attempt = 0; attempt < 2; attempt++) {
      if (this.fd < 0) {
        try {
          this.fd = fs.openSync(this.path, fs.constants.O_RDONLY);
        } catch {
          return -1;
        }
      }
      try {
        return r.readFd(this.fd);
      } catch {
        this.close();
      }
    }
    return -1;
  }

  close(): void {
    if (this.fd >= 0) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // already gone
      }
      this.fd = -1;
    }
  }
}

/** One growable scratch buffer shared by all reads of a source. */
class Reader {
  buf = Buffer.allocUnsafe(16 * 1024);

  /** pread from offset 0 until EOF (or `max` bytes); throws on I/O errors. */
  readFd(fd: number, max = 4 * 1024 * 1024): number {
    let total = 0;
    for (;;) {
      const limit = Math.min(this.buf.length, max);
      if (total >= limit) {
        if (limit >= max) return total;
        const bigger = Buffer.allocUnsafe(Math.min(max, this.buf.length * 2));
        this.buf.copy(bigger, 0, 0, total);
        this.buf = bigger;
        continue;
      }
      const n = fs.readSync(fd, this.buf, total, limit - total, total);
      if (n === 0) return total;
      total += n;
    }
  }

  /** One pread from offset 0: for small files (/proc/<pid>/stat) that fit the buffer. Throws. */
  readOnce(fd: number): number {
    return fs.readSync(fd, this.buf, 0, this.buf.length, 0);
  }

  /** Opens, reads and closes `path`; the byte count, or -1 when it cannot be read. */
  readPath(path: string, max?: number): number {
    let fd = -1;
    try {
      fd = fs.openSync(path, fs.constants.O_RDONLY);
      return this.readFd(fd, max);
    } catch {
      return -1;
    } finally {
      if (fd >= 0) fs.closeSync(fd);
    }
  }
}

/** What a pass remembers about one process. */
interface ProcEntry {
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
  kthread: boolean;
  ticks: number;
  /** Monotonic ms of `ticks`; NaN before the first reading. */
  tickTime: number;
  /** Pass that last saw it. */
  seen: number;
  /** Monotonic ms after which cmdline and uid are read again. */
  refreshAt: number;
  info: ProcessInfo | undefined;
}

interface MountState {
  readonly entry: MountEntry;
  /** statfs is answered from in-memory counters and the path crosses no network mount: call it inline. */
  readonly sync: boolean;
  readonly labels: Readonly<Record<string, string>>;
}

interface NetPrev {
  rx: number;
  tx: number;
  time: number;
  seen: number;
  readonly labels: Readonly<Record<string, string>>;
}

/** Shortest interval a process cpu_usage is computed over (ticks are 10 ms). */
const MIN_RATE_MS = 50;

/** Longest command line kept; longer ones are cut (a JVM's class path can run to megabytes). */
const MAX_CMDLINE = 64 * 1024;

export class ProcSource implements MetricSource {
  private readonly procRoot: string;
  private readonly etcRoot: string;
  private readonly mountFilter: (m: MountEntry) => boolean;
  private readonly statfsTimeoutMs: number;
  private readonly statfsImpl: (path: string) => Promise<StatFsLike>;
  private readonly allowSyncStatfs: boolean;
  private readonly clock: () => number;
  private readonly monotonic: () => number;
  private readonly refreshMs: number;
  private readonly maxHeld: number;

  private readonly r = new Reader();
  private readonly fStat: HeldFile;
  private readonly fLoadavg: HeldFile;
  private readonly fMeminfo: HeldFile;
  private readonly fUptime: HeldFile;
  private readonly fNetDev: HeldFile;
  private readonly fFileNr: HeldFile;
  private readonly fMounts: HeldFile;

  private readonly pageSize: number;
  private bootTime: number | undefined;

  private pass = 0;
  private held = 0;
  private readonly procs = new Map<number, ProcEntry>();
  /** Previous pass: monotonic ms and host uptime (s); NaN before the first. */
  private prevMono = NaN;
  private prevUptime = NaN;
  private prevCpu: Float64Array | undefined;

  private mountsRaw: Buffer | undefined;
  private mounts: MountState[] = [];
  private readonly statfsPending = new Set<string>();
  /** Mounts skipped in the last pass because statfs did not answer in time or failed. */
  skippedMounts: readonly string[] = [];

  private readonly net = new Map<string, NetPrev>();

  private users: Map<number, string> | undefined;
  private usersReadAt = -Infinity;

  constructor(options: ProcSourceOptions = {}) {
    this.procRoot = options.procRoot ?? '/proc';
    this.etcRoot = options.etcRoot ?? '/etc';
    this.mountFilter = options.mountFilter ?? isRealMount;
    this.statfsTimeoutMs = options.statfsTimeoutMs ?? 500;
    this.statfsImpl = options.statfs ?? ((p) => fs.promises.statfs(p));
    this.allowSyncStatfs = options.statfs === undefined;
    this.clock = options.clock ?? Date.now;
    this.monotonic = options.monotonic ?? (() => performance.now());
    this.refreshMs = (options.refreshSeconds ?? 30) * 1000;
    const root = this.procRoot;
    this.fStat = new HeldFile(`${root}/stat`);
    this.fLoadavg = new HeldFile(`${root}/loadavg`);
    this.fMeminfo = new HeldFile(`${root}/meminfo`);
    this.fUptime = new HeldFile(`${root}/uptime`);
    this.fNetDev = new HeldFile(`${root}/net/dev`);
    this.fFileNr = new HeldFile(`${root}/sys/fs/file-nr`);
    this.fMounts = new HeldFile(`${root}/self/mounts`);
    this.pageSize = this.readPageSize();
    this.maxHeld = Math.min(options.maxOpenFiles ?? 4096, Math.floor(this.readFdLimit() / 4));
  }

  /** Closes every descriptor held between passes. The source may be used again afterwards. */
  close(): void {
    for (const f of [this.fStat, this.fLoadavg, this.fMeminfo, this.fUptime, this.fNetDev, this.fFileNr, this.fMounts]) f.close();
    for (const e of this.procs.values()) this.release(e);
    this.procs.clear();
  }

  async facts(): Promise<HostFacts> {
    const hostname = os.hostname();
    const read = async (p: string): Promise<string | undefined> => {
      try {
        return await fs.promises.readFile(p, 'utf8');
      } catch {
        return undefined;
      }
    };
    const machineId = ((await read(`${this.etcRoot}/machine-id`)) ?? (await read('/var/lib/dbus/machine-id')) ?? '').trim() || hostname;
    const osRelease = (await read(`${this.etcRoot}/os-release`)) ?? (await read('/usr/lib/os-release')) ?? '';
    return {
      hostname,
      machineId,
      os: 'linux',
      distro: distroOf(osRelease),
      arch: process.arch,
      kernel: os.release(),
      ip: primaryIPv4(),
    };
  }

  async onDemand(pid: number, metric: 'fd_count'): Promise<number | undefined> {
    if (metric !== 'fd_count' || !Number.isInteger(pid) || pid <= 0) return undefined;
    try {
      return (await fs.promises.readdir(`${this.procRoot}/${pid}/fd`)).length;
    } catch {
      return undefined;
    }
  }

  /**
   * The cheap host metrics only (disks, memory, load, file handles): no
   * process scan and no CPU deltas, so alarms can sample them faster than the
   * once-a-second collection without disturbing it.
   */
  async collectFast(): Promise<Sample[]> {
    this.refreshMounts();
    const mounts = this.mounts;
    const disks = this.statMounts(mounts);
    const host: Sample[] = [];
    this.collectLoad(host);
    this.collectMemory(host);
    this.collectFileNr(host);
    this.diskSamples(mounts, await disks, host);
    return host;
  }

  async collect(): Promise<Snapshot> {
    const time = this.clock();
    this.refreshMounts();
    const mounts = this.mounts;
    const disks = this.statMounts(mounts);

    const pass = ++this.pass;
    const host: Sample[] = [];
    const mono = this.monotonic();
    const uptime = this.readUptime();
    this.collectCpu(host);
    this.collectLoad(host);
    this.collectMemory(host);
    this.collectNet(host, this.monotonic(), pass);
    const processes = this.scanProcesses(pass, mono, uptime);
    let zombies = 0;
    for (const p of processes) if (p.info.state === 'Z') zombies++;
    this.prevMono = mono;
    this.prevUptime = uptime;

    this.diskSamples(mounts, await disks, host);

    host.push({ name: 'process_count', value: processes.length });
    host.push({ name: 'zombie_count', value: zombies });
    this.collectFileNr(host);
    if (uptime >= 0) host.push({ name: 'uptime_seconds', value: uptime });
    return { time, host, processes };
  }

  private diskSamples(mounts: readonly MountState[], fsStats: readonly (StatFsLike | undefined)[], host: Sample[]): void {
    const skipped: string[] = [];
    for (let i = 0; i < mounts.length; i++) {
      const m = mounts[i]!;
      const st = fsStats[i];
      if (!st) {
        skipped.push(m.entry.mount);
        continue;
      }
      const used = st.blocks - st.bfree;
      const denom = used + st.bavail;
      if (st.blocks <= 0 || denom <= 0) continue;
      host.push({ name: 'disk_usage', labels: m.labels, value: (used / denom) * 100 });
      host.push({ name: 'disk_free_bytes', labels: m.labels, value: st.bavail * st.bsize });
      if (st.files > 0) host.push({ name: 'inode_usage', labels: m.labels, value: ((st.files - st.ffree) / st.files) * 100 });
    }
    this.skippedMounts = skipped;
  }

  // -------------------------------------------------------------------------------------------
  // Host files

  private readUptime(): number {
    const n = this.fUptime.read(this.r);
    if (n <= 0) return -1;
    pos = 0;
    return readDecimal(this.r.buf, n);
  }

  private collectCpu(host: Sample[]): void {
    const n = this.fStat.read(this.r);
    if (n <= 0) return;
    const buf = this.r.buf;
    if (this.bootTime === undefined) {
      const bt = intAfter(buf, n, KEY_BTIME);
      if (bt > 0) this.bootTime = bt;
    }
    // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"; guest time is
    // already counted in user and nice, so the total stops at steal.
    if (buf[0] !== 99 || buf[1] !== 112 || buf[2] !== 117 || buf[3] !== 32) return;
    const cur = new Float64Array(8);
    pos = 4;
    for (let i = 0; i < 8; i++) {
      skipBlank(buf, pos, n);
      if (!isDigit(buf[pos])) break;
      cur[i] = readInt(buf, n);
    }
    const prev = this.prevCpu;
    this.prevCpu = cur;
    if (!prev) return;
    let total = 0;
    for (let i = 0; i < 8; i++) total += cur[i]! - prev[i]!;
    if (total <= 0) return;
    const idle = cur[3]! - prev[3]!;
    const iowait = cur[4]! - prev[4]!;
    host.push({ name: 'cpu_usage', value: clampPct(((total - idle - iowait) / total) * 100) });
    host.push({ name: 'cpu_iowait', value: clampPct((iowait / total) * 100) });
  }

  private collectLoad(host: Sample[]): void {
    const n = this.fLoadavg.read(this.r);
    if (n <= 0) return;
    const buf = this.r.buf;
    pos = 0;
    const l1 = readDecimal(buf, n);
    skipBlank(buf, pos, n);
    const l5 = readDecimal(buf, n);
    skipBlank(buf, pos, n);
    const l15 = readDecimal(buf, n);
    host.push({ name: 'load1', value: l1 }, { name: 'load5', value: l5 }, { name: 'load15', value: l15 });
  }

  private collectMemory(host: Sample[]): void {
    const n = this.fMeminfo.read(this.r);
    if (n <= 0) return;
    const buf = this.r.buf;
    const total = intAfter(buf, n, KEY_MEM_TOTAL);
    let available = intAfter(buf, n, KEY_MEM_AVAILABLE);
    if (available < 0) {
      // Kernels before 3.14 have no MemAvailable: approximate it as free + buffers + page cache.
      available = Math.max(0, intAfter(buf, n, KEY_MEM_FREE)) + Math.max(0, intAfter(buf, n, KEY_BUFFERS)) + Math.max(0, intAfter(buf, n, KEY_CACHED));
    }
    const swapTotal = intAfter(buf, n, KEY_SWAP_TOTAL);
    const swapFree = intAfter(buf, n, KEY_SWAP_FREE);
    if (total > 0) {
      host.push({ name: 'mem_usage', value: clampPct(((total - available) / total) * 100) });
      host.push({ name: 'mem_available_bytes', value: available * 1024 });
    }
    host.push({ name: 'swap_usage', value: swapTotal > 0 && swapFree >= 0 ? clampPct(((swapTotal - swapFree) / swapTotal) * 100) : 0 });
  }

  private collectFileNr(host: Sample[]): void {
    const n = this.fFileNr.read(this.r);
    if (n <= 0) return;
    const buf = this.r.buf;
    pos = 0;
    const allocated = readInt(buf, n);
    skipBlank(buf, pos, n);
    const unused = readInt(buf, n);
    skipBlank(buf, pos, n);
    const max = readInt(buf, n);
    if (max > 0) host.push({ name: 'fd_usage', value: clampPct(((allocated - unused) / max) * 100) });
  }

  private collectNet(host: Sample[], mono: number, pass: number): void {
    const n = this.fNetDev.read(this.r);
    if (n <= 0) return;
    const buf = this.r.buf;
    // Two header lines, then "  eth0: rx_bytes packets errs drop fifo frame compressed multicast tx_bytes ...".
    let p = buf.indexOf(10);
    if (p >= 0) p = buf.indexOf(10, p + 1);
    if (p < 0 || p >= n) return;
    p++;
    while (p < n) {
      let eol = buf.indexOf(10, p);
      if (eol < 0 || eol > n) eol = n;
      const start = p;
      p = eol + 1;
      const colon = buf.indexOf(58, start);
      if (colon < 0 || colon >= eol) continue;
      skipBlank(buf, start, colon);
      const iface = buf.toString('latin1', pos, colon);
      if (iface === 'lo') continue;
      pos = colon + 1;
      let rx = 0;
      let tx = 0;
      for (let f = 1; f <= 9; f++) {
        skipBlank(buf, pos, eol);
        const v = readInt(buf, eol);
        if (f === 1) rx = v;
        else if (f === 9) tx = v;
      }
      const prev = this.net.get(iface);
      if (!prev) {
        this.net.set(iface, { rx, tx, time: mono, seen: pass, labels: Object.freeze({ iface }) });
        continue;
      }
      const dt = (mono - prev.time) / 1000;
      // A counter that went backwards (interface re-created, driver reset) gives no rate this pass.
      if (dt > 0 && rx >= prev.rx && tx >= prev.tx) {
        host.push({ name: 'net_rx_bytes_rate', labels: prev.labels, value: (rx - prev.rx) / dt });
        host.push({ name: 'net_tx_bytes_rate', labels: prev.labels, value: (tx - prev.tx) / dt });
      }
      prev.rx = rx;
      prev.tx = tx;
      prev.time = mono;
      prev.seen = pass;
    }
    for (const [k, v] of this.net) if (v.seen !== pass) this.net.delete(k);
  }

  // -------------------------------------------------------------------------------------------
  // Mounts and statfs

  private refreshMounts(): void {
    const n = this.fMounts.read(this.r);
    if (n < 0) {
      this.mounts = [];
      this.mountsRaw = undefined;
      return;
    }
    const buf = this.r.buf;
    const old = this.mountsRaw;
    if (old && old.length === n && buf.compare(old, 0, n, 0, n) === 0) return;
    this.mountsRaw = Buffer.from(buf.subarray(0, n));
    const text = buf.toString('utf8', 0, n);
    const byMount = new Map<string, MountEntry>();
    for (const line of text.split('\n')) {
      const f = line.split(' ');
      if (f.length < 3) continue;
      const entry: MountEntry = { device: unescapeMount(f[0]!), mount: unescapeMount(f[1]!), fstype: f[2]! };
      // A later mount on the same point hides the earlier one: statfs sees the top one.
      byMount.delete(entry.mount);
      byMount.set(entry.mount, entry);
    }
    const mounts: MountState[] = [];
    for (const entry of byMount.values()) {
      if (!this.mountFilter(entry)) continue;
      const sync = this.allowSyncStatfs && SYNC_STATFS_FS.has(entry.fstype) && crossesOnlyLocal(entry.mount, byMount);
      mounts.push({ entry, sync, labels: Object.freeze({ mount: entry.mount, device: entry.device, fstype: entry.fstype }) });
    }
    this.mounts = mounts;
  }

  /** statfs of every mount, in parallel; resolves when all answered or after the timeout. */
  private statMounts(mounts: readonly MountState[]): Promise<(StatFsLike | undefined)[]> {
    const results: (StatFsLike | undefined)[] = new Array<StatFsLike | undefined>(mounts.length).fill(undefined);
    if (mounts.length === 0) return Promise.resolve(results);
    return new Promise((resolve) => {
      let remaining = 0;
      let done = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (): void => {
        if (done) return;
        done = true;
        if (timer) clearTimeout(timer);
        resolve(results);
      };
      for (let i = 0; i < mounts.length; i++) {
        const m = mounts[i]!;
        const path = m.entry.mount;
        if (m.sync) {
          try {
            results[i] = fs.statfsSync(path);
          } catch {
            // unmounted since the list was read
          }
          continue;
        }
        // Still waiting on an earlier pass's statfs (a hung network mount): skip, do not pile up.
        if (this.statfsPending.has(path)) continue;
        remaining++;
        this.statfsPending.add(path);
        let p: Promise<StatFsLike>;
        try {
          p = this.statfsImpl(path);
        } catch (e) {
          p = Promise.reject(e);
        }
        p.then(
          (st) => {
            if (!done) results[i] = st;
          },
          () => undefined,
        ).finally(() => {
          this.statfsPending.delete(path);
          if (--remaining === 0) finish();
        });
      }
      if (remaining === 0) finish();
      else timer = setTimeout(finish, this.statfsTimeoutMs);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Processes

  private scanProcesses(pass: number, mono: number, uptime: number): { info: ProcessInfo; samples: Sample[] }[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.procRoot);
    } catch {
      return [];
    }
    const out: { info: ProcessInfo; samples: Sample[] }[] = [];
    const bootTime = this.bootTime ?? (uptime >= 0 ? Math.round(this.clock() / 1000 - uptime) : 0);
    const prevMono = this.prevMono;
    const prevUptime = this.prevUptime;
    for (const name of names) {
      const c0 = name.charCodeAt(0);
      if (c0 < 48 || c0 > 57) continue;
      let pid = 0;
      let ok = true;
      for (let i = 0; i < name.length; i++) {
        const c = name.charCodeAt(i);
        if (c < 48 || c > 57) {
          ok = false;
          break;
        }
        pid = pid * 10 + (c - 48);
      }
      if (!ok) continue;

      let entry = this.procs.get(pid);
      let n = -1;
      if (entry && entry.fd >= 0) {
        try {
          n = this.r.readOnce(entry.fd);
        } catch {
          n = -1;
        }
        if (n <= 0) {
          // The process we held is gone; the pid may already belong to a new one.
          this.forget(entry);
          entry = undefined;
        }
      }
      let fd = -1;
      if (n <= 0) {
        try {
          fd = fs.openSync(`${this.procRoot}/${name}/stat`, fs.constants.O_RDONLY);
          n = this.r.readOnce(fd);
        } catch {
          n = -1;
        }
        if (n <= 0) {
          if (fd >= 0) fs.closeSync(fd);
          if (entry) this.forget(entry);
          continue; // vanished mid-scan
        }
      }

      const buf = this.r.buf;
      const open = buf.indexOf(40); // '('
      const close = buf.lastIndexOf(41, n - 1); // ')': comm may itself contain ')' and spaces
      if (open < 0 || close < open || close + 2 >= n) {
        if (fd >= 0) fs.closeSync(fd);
        continue;
      }
      const state = buf[close + 2]!;
      pos = close + 4;
      for (let f = F_PPID; f <= F_RSS; f++) {
        statFields[f] = readInt(buf, n);
        pos++;
      }
      const starttime = statFields[F_STARTTIME]!;

      if (entry && entry.starttime !== starttime) {
        this.forget(entry);
        entry = undefined;
      }
      let commChanged = false;
      if (!entry) {
        const kthread = (statFields[F_FLAGS]! & PF_KTHREAD) !== 0;
        entry = {
          pid,
          starttime,
          startTime: Math.round(bootTime + starttime / CLK_TCK),
          fd: -1,
          comm: copyBytes(buf, open + 1, close),
          name: buf.toString('utf8', open + 1, close),
          cmdline: '',
          user: kthread ? this.userName(0) : '',
          kthread,
          ticks: 0,
          tickTime: NaN,
          seen: 0,
          refreshAt: -Infinity,
          info: undefined,
        };
        this.procs.set(pid, entry);
      } else if (!sameBytes(entry.comm, buf, open + 1, close)) {
        entry.comm = copyBytes(buf, open + 1, close);
        entry.name = buf.toString('utf8', open + 1, close);
        commChanged = true; // exec: new program, new command line
      }
      if (fd >= 0) {
        if (this.held < this.maxHeld) {
          entry.fd = fd;
          this.held++;
        } else {
          fs.closeSync(fd);
        }
      }
      entry.seen = pass;

      if (!entry.kthread && (commChanged || mono >= entry.refreshAt)) {
        // Fills the scratch buffer: everything needed from stat was copied out above.
        const first = entry.refreshAt === -Infinity;
        if (!this.readSlow(entry)) {
          this.forget(entry);
          continue;
        }
        entry.refreshAt = first ? mono : mono + this.refreshMs;
      }

      const ppid = statFields[F_PPID]!;
      const stateStr = STATE_STR[state] ?? String.fromCharCode(state);
      let info = entry.info;
      if (!info || info.ppid !== ppid || info.state !== stateStr || info.name !== entry.name || info.cmdline !== entry.cmdline || info.user !== entry.user) {
        info = { pid, ppid, name: entry.name, cmdline: entry.cmdline, user: entry.user, state: stateStr, startTime: entry.startTime };
        entry.info = info;
      }

      const ticks = statFields[F_UTIME]! + statFields[F_STIME]!;
      const samples: Sample[] = [];
      let base = NaN;
      let baseTime = NaN;
      if (!Number.isNaN(entry.tickTime)) {
        base = entry.ticks;
        baseTime = entry.tickTime;
      } else if (!Number.isNaN(prevMono) && starttime / CLK_TCK > prevUptime) {
        base = 0; // started after the previous pass, when its count was 0
        baseTime = prevMono;
      }
      const dt = (mono - baseTime) / 1000;
      if (dt * 1000 >= MIN_RATE_MS || Number.isNaN(dt)) {
        if (dt > 0 && ticks >= base) samples.push({ name: 'cpu_usage', value: ((ticks - base) / CLK_TCK / dt) * 100 });
        entry.ticks = ticks;
        entry.tickTime = mono;
      }
      // else: passes too close together for 10 ms ticks to mean anything; keep the older baseline.
      samples.push({ name: 'mem_rss_bytes', value: statFields[F_RSS]! * this.pageSize });
      samples.push({ name: 'thread_count', value: statFields[F_THREADS]! });
      if (uptime >= 0) samples.push({ name: 'uptime_seconds', value: Math.max(0, uptime - starttime / CLK_TCK) });
      out.push({ info, samples });
    }
    if (this.procs.size > out.length) {
      for (const e of this.procs.values()) if (e.seen !== pass) this.forget(e);
    }
    return out;
  }

  /** Re-reads cmdline and the real uid; false when the process is gone. */
  private readSlow(entry: ProcEntry): boolean {
    const base = `${this.procRoot}/${entry.pid}/`;
    const n = this.r.readPath(base + 'status', 64 * 1024);
    if (n <= 0) return false;
    const uid = intAfter(this.r.buf, n, KEY_UID);
    entry.user = uid >= 0 ? this.userName(uid) : '';
    const c = this.r.readPath(base + 'cmdline', MAX_CMDLINE);
    if (c < 0) return false;
    entry.cmdline = cmdlineOf(this.r.buf, c);
    return true;
  }

  private forget(e: ProcEntry): void {
    this.release(e);
    this.procs.delete(e.pid);
  }

  private release(e: ProcEntry): void {
    if (e.fd >= 0) {
      try {
        fs.closeSync(e.fd);
      } catch {
        // ignore
      }
      e.fd = -1;
      this.held--;
    }
  }

  /** User name of a uid from /etc/passwd (re-read at most every 10 s when a uid is unknown); else the number. */
  private userName(uid: number): string {
    let users = this.users;
    let name = users?.get(uid);
    if (name !== undefined) return name;
    const now = this.monotonic();
    if (!users || now - this.usersReadAt > 10_000) {
      this.usersReadAt = now;
      users = parsePasswd(this.readText(`${this.etcRoot}/passwd`) ?? '');
      this.users = users;
      name = users.get(uid);
      if (name !== undefined) return name;
    }
    return String(uid);
  }

  private readText(path: string): string | undefined {
    const n = this.r.readPath(path);
    return n < 0 ? undefined : this.r.buf.toString('utf8', 0, n);
  }

  /** AT_PAGESZ from /proc/self/auxv (4096 when unreadable). */
  private readPageSize(): number {
    const n = this.r.readPath(`${this.procRoot}/self/auxv`);
    const buf = this.r.buf;
    const word = process.arch === 'ia32' || process.arch === 'arm' ? 4 : 8;
    for (let i = 0; i + 2 * word <= n; i += 2 * word) {
      const type = word === 8 ? Number(buf.readBigUInt64LE(i)) : buf.readUInt32LE(i);
      if (type === 0) break;
      if (type === 6) {
        const v = word === 8 ? Number(buf.readBigUInt64LE(i + word)) : buf.readUInt32LE(i + word);
        if (v >= 1024 && (v & (v - 1)) === 0) return v;
      }
    }
    return 4096;
  }

  /** Soft RLIMIT_NOFILE from /proc/self/limits (1024 when unreadable). */
  private readFdLimit(): number {
    const n = this.r.readPath(`${this.procRoot}/self/limits`);
    if (n <= 0) return 1024;
    const v = intAfter(this.r.buf, n, KEY_MAX_OPEN);
    return v > 0 ? v : 1024; // "unlimited" cannot be: the kernel caps it at nr_open
  }
}

const STATE_STR: Record<number, string> = {};
for (const s of 'RSDZTtXxKWPI') STATE_STR[s.charCodeAt(0)] = s;

/** A copy (Buffer#slice would be a view into the shared scratch buffer, overwritten by the next read). */
function copyBytes(buf: Uint8Array, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  out.set(buf.subarray(start, end));
  return out;
}

function sameBytes(a: Uint8Array, buf: Uint8Array, start: number, end: number): boolean {
  if (a.length !== end - start) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== buf[start + i]) return false;
  return true;
}

function clampPct(v: number): number {
  return v < 0 ? 0 : v > 100 ? 100 : v;
}

/** NUL-separated arguments joined by spaces; trailing NULs dropped. */
export function cmdlineOf(buf: Uint8Array, n: number): string {
  let end = n;
  while (end > 0 && buf[end - 1] === 0) end--;
  if (end === 0) return '';
  const copy = Buffer.from(buf.subarray(0, end));
  for (let i = 0; i < end; i++) if (copy[i] === 0) copy[i] = 32;
  return copy.toString('utf8');
}

/** Decodes the octal escapes of /proc/self/mounts (`\040` space, `\011` tab, `\012`, `\134`). */
export function unescapeMount(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parsePasswd(text: string): Map<number, string> {
  const users = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 3) continue;
    const uid = Number(f[2]);
    if (Number.isInteger(uid) && !users.has(uid)) users.set(uid, f[0]!);
  }
  return users;
}

/** `ID VERSION_ID` from os-release text (`debian 12`); `ID` alone for rolling releases. */
export function distroOf(osRelease: string): string {
  const fields = new Map<string, string>();
  for (const line of osRelease.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let v = line.slice(eq + 1).trim();
    if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) v = v.slice(1, -1);
    fields.set(line.slice(0, eq).trim(), v);
  }
  const id = fields.get('ID') ?? 'linux';
  const version = fields.get('VERSION_ID');
  return version ? `${id} ${version}` : id;
}

function primaryIPv4(): string {
  const ifaces = os.networkInterfaces();
  for (const list of Object.values(ifaces)) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
