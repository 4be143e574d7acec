import type { ProcessInfo, Snapshot, TimeSeriesStore } from './metrics/types.js';
import type { AgentResource } from './query/resources.js';
import { processResource } from './query/resources.js';

interface Kept {
  info: ProcessInfo;
  tags: Readonly<Record<string, string>>;
  resource: AgentResource;
  /** The pass that last saw it. */
  pass: number;
}

/**
 * A host's processes as query resources, and their series in the store, kept from one collection
 * pass to the next: the collector hands out the same `info` object while a process is unchanged,
 * and then its resource is the one made before (an idle host's hundreds of processes made anew
 * each second were the agent's largest garbage). Series of processes that are gone are dropped.
 *
 * @example
 * const processes = new ProcessResources('web-1', tsdb);
 * processes.record(snapshot.processes, snapshot.time, tags);
 * processes.resources; // AgentResource[]
 */
export class ProcessResources {
  resources: AgentResource[] = [];
  readonly #byPid = new Map<number, Kept>();
  #pass = 0;

  constructor(
    private readonly host: string,
    private readonly tsdb: TimeSeriesStore,
    private readonly env?: Readonly<Record<string, string>>,
  ) {}

  /** One pass: each process's samples appended at `time`, its resource made again only when its info or the host's tags changed, its series started over when its pid is another process's now. */
  record(readings: Snapshot['processes'], time: number, tags: Readonly<Record<string, string>>): void {
    const pass = ++this.#pass;
    const resources: AgentResource[] = new Array(readings.length);
    for (let i = 0; i < readings.length; i++) {
      const { info, samples } = readings[i]!;
      let kept = this.#byPid.get(info.pid);
      if (!kept) {
        kept = { info, tags, resource: processResource(this.host, info, tags, this.env), pass };
        this.#byPid.set(info.pid, kept);
      } else if (kept.info !== info || kept.tags !== tags) {
        // A new process under a reused pid: not the history of the one before.
        if (kept.info.startTime !== info.startTime) this.tsdb.drop(kept.resource.seriesKey);
        kept.info = info;
        kept.tags = tags;
        kept.resource = processResource(this.host, info, tags, this.env);
      }
      kept.pass = pass;
      this.tsdb.append(kept.resource.seriesKey, time, samples);
      resources[i] = kept.resource;
    }
    // forEach, not for-of: no entry objects made for each process of each pass (the agent runs interpreted).
    this.#byPid.forEach((kept, pid) => {
      if (kept.pass === pass) return;
      this.tsdb.drop(kept.resource.seriesKey);
      this.#byPid.delete(pid);
    });
    this.resources = resources;
  }
}
