import { readlinkSync } from 'node:fs';
import type { MetricSource, Snapshot } from './metrics/types.js';

/**
 * Reports only processes whose working directory is under `root`: several
 * lab hosts share one machine, and each should see its own processes (its
 * agent, its service, their commands). Wraps any MetricSource.
 */
export class ProcessScopeSource implements MetricSource {
  private readonly cache = new Map<string, boolean>();

  constructor(
    private readonly inner: MetricSource,
    private readonly root: string,
    private readonly procRoot = '/proc',
  ) {}

  facts() {
    return this.inner.facts();
  }

  onDemand(pid: number, metric: 'fd_count') {
    return this.inner.onDemand(pid, metric);
  }

  collectFast() {
    return this.inner.collectFast?.() ?? Promise.resolve([]);
  }

  async collect(): Promise<Snapshot> {
    const snap = await this.inner.collect();
    const seen = new Set<string>();
    const processes = snap.processes.filter((p) => {
      // pid + start time: a reused pid is another process.
      const key = `${p.info.pid}:${p.info.startTime}`;
      seen.add(key);
      let inside = this.cache.get(key);
      if (inside === undefined) {
        inside = this.under(p.info.pid);
        this.cache.set(key, inside);
      }
      return inside;
    });
    for (const key of this.cache.keys()) if (!seen.has(key)) this.cache.delete(key);
    return { ...snap, processes };
  }

  private under(pid: number): boolean {
    try {
      const cwd = readlinkSync(`${this.procRoot}/${pid}/cwd`);
      return cwd === this.root || cwd.startsWith(`${this.root}/`);
    } catch {
      return false;
    }
  }
}
