import { closeSync, openSync, readSync, readdirSync } from 'node:fs';
import type { ProcListing } from '../metrics/types.js';
import { pidOf } from '../metrics/proc-read.js';
import type { CgroupMembership, ContainerRuntime } from './cgroup.js';
import { MAX_CGROUP_FILE, parseCgroup } from './cgroup.js';

/** A container as the kernel shows it: its cgroup and its processes. */
export interface KernelContainer {
  readonly id: string;
  readonly runtime: ContainerRuntime;
  readonly cgroupPath: string;
  readonly podUid?: string;
  readonly libpodPod?: string;
  /** The lowest pid of the container whose parent is outside it: the process the runtime started. */
  readonly initPid: number;
  readonly pids: readonly number[];
}

interface Known {
  /** Undefined: a process of the host. */
  membership: CgroupMembership | undefined;
  /** A host verdict is read again once, at the next pass that lists the pid (a listing names it once a pass). */
  lookedAgain: boolean;
  /** Read only for processes inside a container (to find its init process). */
  ppid: number | undefined;
  pass: number;
}

/** /proc/PID/stat is one line; its fixed fields fit well within this. */
const MAX_STAT = 4096;

/**
 * Finds the containers on this host from the kernel: which cgroup each process is in
 * (/proc/PID/cgroup). Each pid is read when first seen, so a pass over thousands of processes
 * costs a directory listing plus the new pids (a process does not change containers once it runs
 * in one). A process first seen on the host is read once more at the next pass: a runtime clones
 * a container's first process (runc init, a `podman exec`) and moves it into the container's
 * cgroup after, and a pass in between would take it for the host's for its whole life.
 * A pid reused between two passes keeps its verdict until it disappears for a pass.
 *
 * @example
 * const discovery = new ContainerDiscovery();
 * for (const c of discovery.scan()) console.log(c.id, c.runtime, c.initPid);
 */
export class ContainerDiscovery {
  readonly #known = new Map<number, Known>();
  /** Last pass's containers, by id: one unchanged since is handed out again, the same object. */
  #last = new Map<string, KernelContainer>();
  #pass = 0;

  constructor(private readonly procRoot = '/proc') {}

  /**
   * The containers with at least one process now, in the order of their lowest pid. A container
   * whose processes and init process are those of the previous pass is the previous pass's object,
   * so that what is made of it (its resource, its runtime's answer) can be kept by identity.
   * `listing`: procfs as the process collector listed it this pass, used rather than listing it
   * again when it is of the same root (a pid started since is seen at the next pass).
   */
  scan(listing?: ProcListing): KernelContainer[] {
    this.#pass++;
    let names: readonly string[];
    try {
      names = listing?.root === this.procRoot ? listing.names : readdirSync(this.procRoot);
    } catch {
      return [];
    }
    const members = new Map<string, { membership: CgroupMembership; pids: number[] }>();
    let seen = 0;
    // Indexed: a for-of would make an iterator result for each name of each pass (the agent runs interpreted).
    for (let i = 0; i < names.length; i++) {
      const pid = pidOf(names[i]!);
      if (pid <= 0) continue;
      let known = this.#known.get(pid);
      if (!known) {
        const text = readBounded(`${this.procRoot}/${pid}/cgroup`, MAX_CGROUP_FILE);
        // A process that exited between the listing and the read is simply not there.
        if (text === undefined) continue;
        known = { membership: parseCgroup(text), lookedAgain: false, ppid: undefined, pass: this.#pass };
        this.#known.set(pid, known);
      } else if (!known.membership && !known.lookedAgain) {
        known.lookedAgain = true;
        const text = readBounded(`${this.procRoot}/${pid}/cgroup`, MAX_CGROUP_FILE);
        if (text !== undefined) known.membership = parseCgroup(text);
      }
      known.pass = this.#pass;
      seen++;
      const m = known.membership;
      if (!m) continue;
      const entry = members.get(m.id) ?? members.set(m.id, { membership: m, pids: [] }).get(m.id);
      entry?.pids.push(pid);
    }
    // Every pid known was seen (a listing has each name once): none is gone, nothing to sweep.
    if (seen < this.#known.size) for (const [pid, known] of this.#known) if (known.pass !== this.#pass) this.#known.delete(pid);
    const found: KernelContainer[] = [];
    const last = this.#last;
    this.#last = new Map();
    for (const { membership, pids } of members.values()) {
      pids.sort((a, b) => a - b);
      const initPid = pids.find((pid) => this.#parentOutside(pid, membership.id)) ?? (pids[0] as number);
      const before = last.get(membership.id);
      const c = before && before.initPid === initPid && before.cgroupPath === membership.cgroupPath && samePids(before.pids, pids) ? before : { ...membership, initPid, pids };
      this.#last.set(c.id, c);
      found.push(c);
    }
    return found.sort((a, b) => a.initPid - b.initPid);
  }

  #parentOutside(pid: number, id: string): boolean {
    const known = this.#known.get(pid) as Known;
    known.ppid ??= readPpid(`${this.procRoot}/${pid}/stat`);
    const parent = known.ppid === undefined ? undefined : this.#known.get(known.ppid);
    return parent?.membership?.id !== id;
  }
}

function samePids(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The parent pid from /proc/PID/stat: the fourth field, counted after the `)` that ends the command name (which may hold spaces and parentheses). */
export function parsePpid(stat: string): number | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const ppid = Number(stat.slice(close + 2).split(' ', 3)[1]);
  return Number.isInteger(ppid) && ppid >= 0 ? ppid : undefined;
}

function readPpid(path: string): number | undefined {
  const text = readBounded(path, MAX_STAT);
  return text === undefined ? undefined : parsePpid(text);
}

/** One buffer for the small reads of every pass (they are synchronous, and each is decoded before the next). */
const scratch = Buffer.allocUnsafe(MAX_CGROUP_FILE);

/** At most `max` bytes of a file as UTF-8, or undefined when it cannot be read. */
export function readBounded(path: string, max: number): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buf = max <= scratch.length ? scratch : Buffer.allocUnsafe(max);
    let length = 0;
    for (let n = 1; n > 0 && length < max; length += n) n = readSync(fd, buf, length, max - length, null);
    return buf.toString('utf8', 0, length);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
