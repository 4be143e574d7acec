import fs from 'node:fs';

import type { HostCollector } from './collectors/collector.js';
import { CpuCollector } from './collectors/cpu.js';
import { DiskCollector, type StatFsLike } from './collectors/disks.js';
import { FileNrCollector } from './collectors/file-nr.js';
import { LoadCollector } from './collectors/load.js';
import { MemoryCollector } from './collectors/memory.js';
import { isRealMount, MountTable, type MountEntry } from './collectors/mounts.js';
import { NetCollector } from './collectors/net.js';
import { fdCount, fdLimit } from './collectors/process-fds.js';
import { ProcessCollector } from './collectors/processes.js';
import { UserNames } from './collectors/users.js';
import { VmstatCollector } from './collectors/vmstat.js';
import { readHostFacts } from './host-facts.js';
import { HeldFile, Reader, readDecimal, seek } from './proc-read.js';
import type { HostFacts, MetricSource, OnDemandMetric, Sample, Snapshot } from './types.js';

export { isRealMount } from './collectors/mounts.js';
export type { MountEntry } from './collectors/mounts.js';
export type { StatFsLike } from './collectors/disks.js';

/*
 * ProcSource: the real agent's metrics, read straight from /proc and statfs(2). It never spawns a
 * process. It runs once a second on every host, so the hot path is written for cost: files are
 * held open and re-read into one shared scratch buffer (proc-read.ts), parsed byte by byte, and
 * what does not change is cached (command lines, user names, the mount list, boot time, page size).
 *
 * This file is the composition: which collectors (./collectors/, one file per metric family) run
 * in a pass and in which order. statfs of the mounts is started first and awaited last, so it
 * overlaps the /proc scan; `skippedMounts` lists the mounts skipped last pass.
 *
 * Rates and deltas (host cpu_usage and cpu_iowait, net_*_rate, process cpu_usage) need two
 * readings: the first collect() reports none of them (absent, not 0: "no data yet" must not look
 * like "idle"). Counters that go backwards (an interface re-created) give no rate for that pass.
 */

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
  /** Only processes this accepts are read (a lab host's own: ProcessScope); default every one. */
  readonly processFilter?: (pid: number) => boolean;
  /**
   * The process whose mount namespace's filesystems get disk metrics, listed from
   * `procRoot/<pid>/mounts` and statfs'd through `procRoot/<pid>/root` (reading that needs
   * CAP_SYS_PTRACE): 1 for the node's from a pod, whose own `/` is an overlay. Default: the agent's own.
   */
  readonly mountNamespacePid?: number;
}

/**
 * Host and process metrics from /proc and statfs(2).
 * @example
 * const source = new ProcSource();
 * const snap = await source.collect(); // { time, host: [{ name: 'load1', value: 0.52 }, ...], processes }
 * source.close();
 */
export class ProcSource implements MetricSource {
  private readonly procRoot: string;
  private readonly etcRoot: string;
  private readonly clock: () => number;
  private readonly monotonic: () => number;
  private readonly r = new Reader();
  private readonly fUptime: HeldFile;
  private readonly mountTable: MountTable;
  private readonly disks: DiskCollector;
  private readonly cpu: CpuCollector;
  private readonly processes: ProcessCollector;
  /** Run each pass before the process scan, in this order (the order of the samples). */
  private readonly beforeScan: readonly HostCollector[];
  /** Run each pass after the disks and process counts. */
  private readonly afterScan: readonly HostCollector[];
  /** The cheap ones, which need no earlier reading: collectFast runs these. */
  private readonly fast: readonly HostCollector[];
  private pass = 0;

  constructor(options: ProcSourceOptions = {}) {
    const procRoot = (this.procRoot = options.procRoot ?? '/proc');
    this.etcRoot = options.etcRoot ?? '/etc';
    this.clock = options.clock ?? Date.now;
    this.monotonic = options.monotonic ?? (() => performance.now());
    const ctx = { procRoot, reader: this.r, monotonic: this.monotonic };
    this.fUptime = new HeldFile(`${procRoot}/uptime`);
    const nsPid = options.mountNamespacePid;
    this.mountTable = new MountTable(procRoot, this.r, options.mountFilter ?? isRealMount, options.statfs === undefined, nsPid === undefined ? 'self' : String(nsPid));
    this.disks = new DiskCollector(options.statfs ?? ((p) => fs.promises.statfs(p)), options.statfsTimeoutMs ?? 500, nsPid === undefined ? '' : `${procRoot}/${nsPid}/root`);
    this.cpu = new CpuCollector(ctx);
    const load = new LoadCollector(ctx);
    const memory = new MemoryCollector(ctx);
    const fileNr = new FileNrCollector(ctx);
    this.beforeScan = [this.cpu, load, memory, new NetCollector(ctx)];
    const vmstat = new VmstatCollector(ctx);
    this.afterScan = [fileNr, vmstat];
    this.fast = [load, memory, fileNr, vmstat];
    this.processes = new ProcessCollector({
      procRoot,
      reader: this.r,
      users: new UserNames(this.etcRoot, this.r, this.monotonic),
      clock: this.clock,
      maxOpenFiles: options.maxOpenFiles ?? 4096,
      refreshSeconds: options.refreshSeconds ?? 30,
      ...(options.processFilter ? { filter: options.processFilter } : {}),
    });
  }

  /** Mounts skipped in the last pass because statfs did not answer in time or failed. */
  get skippedMounts(): readonly string[] {
    return this.disks.skippedMounts;
  }

  /** Closes every descriptor held between passes. The source may be used again afterwards. */
  close(): void {
    this.fUptime.close();
    this.mountTable.close();
    for (const c of [...this.beforeScan, ...this.afterScan]) c.close();
    this.processes.close();
  }

  facts(): Promise<HostFacts> {
    return readHostFacts(this.etcRoot);
  }

  async onDemand(pid: number, metric: OnDemandMetric): Promise<number | undefined> {
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    if (metric === 'fd_count') return fdCount(this.procRoot, pid);
    if (metric === 'fd_limit') return fdLimit(this.procRoot, pid);
    if (metric !== 'fd_usage') return undefined;
    const [count, limit] = await Promise.all([fdCount(this.procRoot, pid), fdLimit(this.procRoot, pid)]);
    return count === undefined || limit === undefined ? undefined : (count / limit) * 100;
  }

  /**
   * The cheap host metrics only (disks, memory, load, file handles): no
   * process scan and no CPU deltas, so alarms can sample them faster than the
   * once-a-second collection without disturbing it.
   */
  async collectFast(): Promise<Sample[]> {
    const disks = this.disks.start(this.mountTable.refresh());
    const host: Sample[] = [];
    for (const c of this.fast) c.collect(host, this.pass);
    this.disks.report(await disks, host);
    return host;
  }

  async collect(): Promise<Snapshot> {
    const time = this.clock();
    const disks = this.disks.start(this.mountTable.refresh());

    const pass = ++this.pass;
    const host: Sample[] = [];
    const mono = this.monotonic();
    const uptime = this.readUptime();
    for (const c of this.beforeScan) c.collect(host, pass);
    const processes = this.processes.collect(pass, mono, uptime, this.cpu.bootTime);
    let zombies = 0;
    for (const p of processes) if (p.info.state === 'Z') zombies++;

    this.disks.report(await disks, host);

    host.push({ name: 'process_count', value: processes.length });
    host.push({ name: 'zombie_count', value: zombies });
    for (const c of this.afterScan) c.collect(host, pass);
    if (uptime >= 0) host.push({ name: 'uptime_seconds', value: uptime });
    const listing = this.processes.listing;
    return { time, host, processes, ...(listing ? { procListing: listing } : {}) };
  }

  /** Host uptime in seconds from /proc/uptime, -1 when unreadable. */
  private readUptime(): number {
    const n = this.fUptime.read(this.r);
    if (n <= 0) return -1;
    seek(0);
    return readDecimal(this.r.buf, n);
  }
}
