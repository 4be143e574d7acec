import { readFileSync, readlinkSync } from 'node:fs';
import type { MetricSource, OnDemandMetric, ProcessInfo, Snapshot } from './metrics/types.js';

interface Judged {
  inside: boolean;
  /** The pass that judged it; an outside verdict gets one more look at a later pass (see {@link ProcessScope}). */
  judgedAt: number;
  /** Whether that later look was taken. */
  lookedAgain: boolean;
  /** The collect pass that last listed the pid: a pid no pass lists any more is forgotten. */
  pass: number;
  /** Of the process judged (undefined until a snapshot showed it): another one means a reused pid. */
  startTime: number | undefined;
}

/**
 * Which processes a lab host sees: those whose working directory is under `root` (several lab hosts
 * share one machine, and each should see its own processes: its agent, its service, their
 * commands). Each pid is judged by its working directory when first seen; a zombie, which has no
 * working directory left, by its parent's (the process that has not reaped it). A process judged
 * outside is looked at once more at the next pass: a service started for the host is seen between
 * its fork and its chdir now and then (on a busy machine, a scan in that window is a few ms wide
 * every restart), with the working directory of the process that started it, and would otherwise
 * stay invisible to its host for its whole life (a lab scenario's restart went undetected so).
 *
 * The process scan asks {@link includes} before it reads a process, so an agent skips the rest of
 * the machine's processes for one lookup each: with every agent reading every process, a lab of
 * 200 spent about two cores on it (docs/design-decisions.md, "A lab of 200 agents").
 *
 * @example
 * const scope = new ProcessScope('/tmp/lab/hosts/web-1');
 * const proc = new ProcSource({ processFilter: (pid) => scope.includes(pid) });
 * const source = new ProcessScopeSource(proc, scope);
 */
export class ProcessScope {
  readonly #judged = new Map<number, Judged>();
  #pass = 0;

  constructor(
    private readonly root: string,
    private readonly procRoot = '/proc',
  ) {}

  /** Whether the process `pid` belongs to this host. */
  includes(pid: number): boolean {
    let judged = this.#judged.get(pid);
    if (!judged) {
      judged = { inside: this.#under(pid), judgedAt: this.#pass, lookedAgain: false, pass: this.#pass, startTime: undefined };
      this.#judged.set(pid, judged);
    } else if (!judged.inside && !judged.lookedAgain && judged.judgedAt !== this.#pass) {
      judged.inside = this.#under(pid);
      judged.lookedAgain = true;
    }
    judged.pass = this.#pass;
    return judged.inside;
  }

  /** Starts a collect pass: what {@link endPass} forgets is what this pass did not list. */
  beginPass(): void {
    this.#pass++;
  }

  /**
   * The processes of a pass's snapshot that belong to this host. A pid whose process changed since
   * it was judged (another start time: the pid was reused) is judged again. Forgets the pids this
   * pass did not list.
   */
  endPass(processes: readonly { info: ProcessInfo }[]): boolean[] {
    const inside = processes.map(({ info }) => {
      const judged = this.#judged.get(info.pid);
      if (!judged) return this.includes(info.pid);
      judged.pass = this.#pass;
      if (judged.startTime !== undefined && judged.startTime !== info.startTime) {
        // A new process on the pid: judged afresh, with its own second look.
        judged.inside = this.#under(info.pid);
        judged.judgedAt = this.#pass;
        judged.lookedAgain = false;
      }
      judged.startTime = info.startTime;
      return judged.inside;
    });
    for (const [pid, judged] of this.#judged) if (judged.pass !== this.#pass) this.#judged.delete(pid);
    return inside;
  }

  #under(pid: number): boolean {
    const cwd = this.#cwd(pid);
    if (cwd !== undefined) return this.#inside(cwd);
    // A zombie's working directory is gone with its memory: it is the host's whose parent has not reaped it.
    const parent = zombieParent(this.procRoot, pid);
    const parentCwd = parent === undefined ? undefined : this.#cwd(parent);
    return parentCwd !== undefined && this.#inside(parentCwd);
  }

  #cwd(pid: number): string | undefined {
    try {
      return readlinkSync(`${this.procRoot}/${pid}/cwd`);
    } catch {
      return undefined;
    }
  }

  #inside(cwd: string): boolean {
    return cwd === this.root || cwd.startsWith(`${this.root}/`);
  }
}

/** The parent pid of `pid` when it is a zombie (state Z in its stat), else undefined. */
function zombieParent(procRoot: string, pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`${procRoot}/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // comm may hold spaces and parentheses: the fields start after the last ')'.
  const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return state === 'Z' && Number(ppid) > 0 ? Number(ppid) : undefined;
}

/**
 * A MetricSource that reports only the processes of a {@link ProcessScope}. Wraps any MetricSource;
 * give the scope to the ProcSource underneath too (`processFilter`), so it does not read the others.
 */
export class ProcessScopeSource implements MetricSource {
  constructor(
    private readonly inner: MetricSource,
    private readonly scope: ProcessScope,
  ) {}

  facts() {
    return this.inner.facts();
  }

  onDemand(pid: number, metric: OnDemandMetric) {
    return this.inner.onDemand(pid, metric);
  }

  collectFast() {
    return this.inner.collectFast?.() ?? Promise.resolve([]);
  }

  async collect(): Promise<Snapshot> {
    this.scope.beginPass();
    const snap = await this.inner.collect();
    const inside = this.scope.endPass(snap.processes);
    return { ...snap, processes: snap.processes.filter((_, i) => inside[i]) };
  }
}
