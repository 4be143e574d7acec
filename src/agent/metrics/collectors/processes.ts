import fs from 'node:fs';

import { ownFdLimit } from './process-fds.js';
import { cmdlineOf, copyBytes, cursor, intAfter, pidOf, readInt, sameBytes, seek, type Reader } from '../proc-read.js';
import type { ProcListing, ProcessInfo } from '../types.js';
import { newProcEntry, type ProcEntry, type ProcessReading } from './process-entry.js';
import type { UserNames } from './users.js';

export type { ProcessReading } from './process-entry.js';

/*
 * The process scan: every /proc/<pid>/stat once a pass, with each process's attributes and its
 * cpu_usage, mem_rss_bytes, thread_count and uptime_seconds.
 *
 * Each process's stat file is opened once and re-read with pread at offset 0. A held descriptor
 * answers ESRCH once its process is gone, so a reused pid can never be mistaken for the old
 * process. Held descriptors are capped (`maxOpenFiles`, and a quarter of the soft RLIMIT_NOFILE);
 * processes beyond the cap are read with open/read/close.
 *
 * Cached per pid + start time + comm: the command line and the real uid (read from
 * /proc/<pid>/status at first sight, once more at the next pass to catch a fork-then-setuid, then
 * every `refreshSeconds` to catch setproctitle and privilege drops).
 *
 * A stat that reads the same as at the previous pass up to the last field used (179 of 188
 * processes of an idle host each second) is not parsed again: only the CPU rate (0) and uptime move.
 *
 * cpu_usage needs two readings. A process first seen in a later pass that started after the
 * previous pass gets a cpu_usage right away (its tick count at the previous pass was 0). Passes
 * less than 50 ms apart give no cpu_usage (10 ms ticks would read as nonsense) and keep the
 * older baseline.
 *
 * Clock ticks: USER_HZ is 100 on every Linux architecture Node runs on, and `getconf CLK_TCK`
 * would mean spawning, so CLK_TCK is fixed at 100.
 */

/** USER_HZ: the unit of utime, stime and starttime in /proc/<pid>/stat. */
const CLK_TCK = 100;

const KEY_UID = Buffer.from('\nUid:');
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
const READ_FIELD = new Uint8Array(F_RSS + 1);
for (const f of [F_PPID, F_FLAGS, F_UTIME, F_STIME, F_THREADS, F_STARTTIME, F_RSS]) READ_FIELD[f] = 1;

/** Shortest interval a process cpu_usage is computed over (ticks are 10 ms). */
const MIN_RATE_MS = 50;

/** Longest command line kept; longer ones are cut (a JVM's class path can run to megabytes). */
const MAX_CMDLINE = 64 * 1024;

const STATE_STR: Record<number, string> = {};
for (const s of 'RSDZTtXxKWPI') STATE_STR[s.charCodeAt(0)] = s;

export interface ProcessCollectorOptions {
  readonly procRoot: string;
  readonly reader: Reader;
  readonly users: UserNames;
  /** Wall clock, ms since the epoch: the boot time until /proc/stat gave one. */
  readonly clock: () => number;
  /** Upper bound on /proc/<pid>/stat descriptors kept open between passes. */
  readonly maxOpenFiles: number;
  /** How often a process's cmdline and uid are re-read. */
  readonly refreshSeconds: number;
  /** Only processes this accepts are read; asked before anything of the process is. */
  readonly filter?: (pid: number) => boolean;
}

/**
 * Reads every process of /proc each pass.
 * @example const seen = processes.collect(pass, performance.now(), uptimeSeconds, cpu.bootTime);
 */
export class ProcessCollector {
  readonly #o: ProcessCollectorOptions;
  readonly #maxHeld: number;
  readonly #pageSize: number;
  readonly #procs = new Map<number, ProcEntry>();
  #held = 0;
  /** Previous pass: monotonic ms and host uptime (s); NaN before the first. */
  #prevMono = NaN;
  #prevUptime = NaN;
  /** The last pass's listing of procRoot, unfiltered (a snapshot's `procListing`). */
  listing: ProcListing | undefined;

  constructor(options: ProcessCollectorOptions) {
    this.#o = options;
    this.#pageSize = readPageSize(options.reader, options.procRoot);
    this.#maxHeld = Math.min(options.maxOpenFiles, Math.floor(ownFdLimit(options.reader, options.procRoot) / 4));
  }

  /**
   * The processes alive now. `mono` is the pass's monotonic ms, `uptime` the host's (s, -1 when
   * unknown), `bootTime` epoch seconds from /proc/stat when known.
   */
  collect(pass: number, mono: number, uptime: number, bootTime: number | undefined): ProcessReading[] {
    const out = this.#scan(pass, mono, uptime, bootTime ?? (uptime >= 0 ? Math.round(this.#o.clock() / 1000 - uptime) : 0));
    this.#prevMono = mono;
    this.#prevUptime = uptime;
    return out;
  }

  /** Closes every descriptor held between passes. */
  close(): void {
    for (const e of this.#procs.values()) this.#release(e);
    this.#procs.clear();
  }

  #scan(pass: number, mono: number, uptime: number, bootTime: number): ProcessReading[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.#o.procRoot);
    } catch {
      this.listing = undefined;
      return [];
    }
    this.listing = { root: this.#o.procRoot, names };
    const out: ProcessReading[] = [];
    const filter = this.#o.filter;
    // Indexed: a for-of would make an iterator result for each name of each pass (the agent runs interpreted).
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const pid = pidOf(name);
      if (pid < 0 || (filter !== undefined && !filter(pid))) continue;
      const n = this.#readStat(pid, name);
      if (n <= 0) continue;
      const reading = this.#parse(pid, n, pass, mono, uptime, bootTime);
      if (reading) out.push(reading);
    }
    if (this.#procs.size > out.length) {
      for (const e of this.#procs.values()) if (e.seen !== pass) this.#forget(e);
    }
    return out;
  }

  /** Reads /proc/<pid>/stat into the scratch buffer (through a held descriptor when there is one); its length, or -1. */
  #readStat(pid: number, name: string): number {
    const r = this.#o.reader;
    this.#opened = -1;
    const entry = this.#procs.get(pid);
    if (entry && entry.fd >= 0) {
      let n = -1;
      try {
        n = r.readOnce(entry.fd);
      } catch {
        n = -1;
      }
      if (n > 0) return n;
      // The process we held is gone; the pid may already belong to a new one.
      this.#forget(entry);
    }
    let fd = -1;
    let n = -1;
    try {
      fd = fs.openSync(`${this.#o.procRoot}/${name}/stat`, fs.constants.O_RDONLY);
      n = r.readOnce(fd);
    } catch {
      n = -1;
    }
    if (n <= 0) {
      if (fd >= 0) fs.closeSync(fd);
      const stale = this.#procs.get(pid);
      if (stale) this.#forget(stale);
      return -1; // vanished mid-scan
    }
    this.#opened = fd;
    return n;
  }

  /**
   * The descriptor #readStat opened for this process this time (-1: none), for #parse to hold or
   * close. A field, not a returned pair: the scan allocates nothing per process it already knows.
   */
  #opened = -1;

  /** The bytes of the stat being parsed up to its last field read, until its entry keeps them. */
  #fields = new Uint8Array(512);

  #parse(pid: number, n: number, pass: number, mono: number, uptime: number, bootTime: number): ProcessReading | undefined {
    const buf = this.#o.reader.buf;
    const fd = this.#opened;
    this.#opened = -1;
    const known = this.#procs.get(pid);
    if (known !== undefined && this.#sameAsLastPass(known, n, mono)) {
      // The same fields as last pass (most processes of an idle host, most seconds): the same
      // process, in the same state, with the same counters; only its CPU rate and uptime move.
      this.#hold(known, fd);
      known.seen = pass;
      known.reading.info = known.info as ProcessInfo;
      this.#samples(known, known.statTicks, known.rss.value, known.threads.value, known.starttime, mono, uptime);
      return known.reading;
    }
    const open = buf.indexOf(40); // '('
    const close = buf.lastIndexOf(41, n - 1); // ')': comm may itself contain ')' and spaces
    if (open < 0 || close < open || close + 2 >= n) {
      if (fd >= 0) fs.closeSync(fd);
      return undefined;
    }
    const state = buf[close + 2]!;
    // The fields read; the others are stepped over to the next space, with no call.
    let p = close + 4;
    for (let f = F_PPID; f <= F_RSS; f++) {
      if (READ_FIELD[f] === 1) {
        seek(p);
        statFields[f] = readInt(buf, n);
        p = cursor() + 1;
      } else {
        while (p < n && buf[p] !== 32) p++;
        p++;
      }
    }
    const starttime = statFields[F_STARTTIME]!;
    // The bytes up to the last field read, copied now: making a new entry may read /etc/passwd into the buffer.
    const fieldsEnd = Math.min(p - 1, n);
    if (this.#fields.length < fieldsEnd) this.#fields = new Uint8Array(fieldsEnd * 2);
    this.#fields.set(this.#o.reader.head(fieldsEnd));

    let entry = known;
    if (entry && entry.starttime !== starttime) {
      this.#forget(entry);
      entry = undefined;
    }
    let commChanged = false;
    if (!entry) {
      const kthread = (statFields[F_FLAGS]! & PF_KTHREAD) !== 0;
      entry = newProcEntry(pid, starttime, Math.round(bootTime + starttime / CLK_TCK), copyBytes(buf, open + 1, close), buf.toString('utf8', open + 1, close), kthread, kthread ? this.#o.users.name(0) : '');
      this.#procs.set(pid, entry);
    } else if (!sameBytes(entry.comm, buf, open + 1, close)) {
      entry.comm = copyBytes(buf, open + 1, close);
      entry.name = buf.toString('utf8', open + 1, close);
      commChanged = true; // exec: new program, new command line
    }
    this.#hold(entry, fd);
    entry.seen = pass;
    entry.statTicks = statFields[F_UTIME]! + statFields[F_STIME]!;
    const rssBytes = statFields[F_RSS]! * this.#pageSize;
    const threads = statFields[F_THREADS]!;

    if (!entry.kthread && (commChanged || mono >= entry.refreshAt)) {
      // Fills the scratch buffer: everything needed from stat was copied out above.
      const first = entry.refreshAt === -Infinity;
      if (!this.#readSlow(entry)) {
        this.#forget(entry);
        return undefined;
      }
      entry.refreshAt = first ? mono : mono + this.#o.refreshSeconds * 1000;
    }

    const ppid = statFields[F_PPID]!;
    const stateStr = STATE_STR[state] ?? String.fromCharCode(state);
    let info = entry.info;
    if (!info || info.ppid !== ppid || info.state !== stateStr || info.name !== entry.name || info.cmdline !== entry.cmdline || info.user !== entry.user) {
      info = { pid, ppid, name: entry.name, cmdline: entry.cmdline, user: entry.user, state: stateStr, startTime: entry.startTime };
      entry.info = info;
    }
    const reading = entry.reading;
    reading.info = info;
    // Last, once its info is the one these bytes describe: the next pass may take them as they are.
    if (entry.stat.length !== fieldsEnd) entry.stat = new Uint8Array(fieldsEnd);
    entry.stat.set(this.#fields.subarray(0, fieldsEnd));
    this.#samples(entry, entry.statTicks, rssBytes, threads, starttime, mono, uptime);
    return reading;
  }

  /**
   * Whether the stat just read (`n` bytes in the scratch buffer) has the bytes of the one last
   * parsed for `entry` up to its last field read (the fields after it, such as the CPU it last ran
   * on, are not used), and its command line and user are not due to be read again.
   */
  #sameAsLastPass(entry: ProcEntry, n: number, mono: number): boolean {
    const kept = entry.stat.length;
    const r = this.#o.reader;
    return kept > 0 && kept < n && r.buf[kept] === 32 && (entry.kthread || mono < entry.refreshAt) && r.head(kept).equals(entry.stat);
  }

  /** A descriptor #readStat opened for the entry's process: held while under the cap, else closed. */
  #hold(entry: ProcEntry, fd: number): void {
    if (fd < 0) return;
    if (this.#held < this.#maxHeld) {
      entry.fd = fd;
      this.#held++;
    } else {
      fs.closeSync(fd);
    }
  }

  /** Fills the entry's reading's samples with this pass's values. */
  #samples(entry: ProcEntry, ticks: number, rssBytes: number, threads: number, starttime: number, mono: number, uptime: number): void {
    let cpu = false;
    let base = NaN;
    let baseTime = NaN;
    if (!Number.isNaN(entry.tickTime)) {
      base = entry.ticks;
      baseTime = entry.tickTime;
    } else if (!Number.isNaN(this.#prevMono) && starttime / CLK_TCK > this.#prevUptime) {
      base = 0; // started after the previous pass, when its count was 0
      baseTime = this.#prevMono;
    }
    const dt = (mono - baseTime) / 1000;
    if (dt * 1000 >= MIN_RATE_MS || Number.isNaN(dt)) {
      if (dt > 0 && ticks >= base) {
        entry.cpu.value = ((ticks - base) / CLK_TCK / dt) * 100;
        cpu = true;
      }
      entry.ticks = ticks;
      entry.tickTime = mono;
    }
    // else: passes too close together for 10 ms ticks to mean anything; keep the older baseline.
    entry.rss.value = rssBytes;
    entry.threads.value = threads;
    if (uptime >= 0) entry.uptime.value = Math.max(0, uptime - starttime / CLK_TCK);
    // One array for each combination of the samples that may be absent, made once: an array
    // emptied and refilled each pass would have its storage made again.
    const which = (cpu ? 1 : 0) | (uptime >= 0 ? 2 : 0);
    // Frozen: the store finds a frozen array's series again without looking them up (tsdb.ts).
    entry.reading.samples = entry.sampleSets[which] ??= Object.freeze([...(cpu ? [entry.cpu] : []), entry.rss, entry.threads, ...(uptime >= 0 ? [entry.uptime] : [])]);
  }

  /** Re-reads cmdline and the real uid; false when the process is gone. */
  #readSlow(entry: ProcEntry): boolean {
    const r = this.#o.reader;
    const base = `${this.#o.procRoot}/${entry.pid}/`;
    const n = r.readPath(base + 'status', 64 * 1024);
    if (n <= 0) return false;
    const uid = intAfter(r.buf, n, KEY_UID);
    entry.user = uid >= 0 ? this.#o.users.name(uid) : '';
    const c = r.readPath(base + 'cmdline', MAX_CMDLINE);
    if (c < 0) return false;
    entry.cmdline = cmdlineOf(r.buf, c);
    return true;
  }

  #forget(e: ProcEntry): void {
    this.#release(e);
    this.#procs.delete(e.pid);
  }

  #release(e: ProcEntry): void {
    if (e.fd >= 0) {
      try {
        fs.closeSync(e.fd);
      } catch {
        // ignore
      }
      e.fd = -1;
      this.#held--;
    }
  }
}

/** AT_PAGESZ from /proc/self/auxv (4096 when unreadable). */
function readPageSize(r: Reader, procRoot: string): number {
  const n = r.readPath(`${procRoot}/self/auxv`);
  const buf = r.buf;
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
