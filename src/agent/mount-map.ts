import type { MetricSource, OnDemandMetric, Sample, Snapshot } from './metrics/types.js';

/**
 * Reports only the mapped mounts, under their mapped names: the lab gives each
 * simulated host its own small filesystem and shows it as `/data`, so queries
 * read the same on every host. Wraps any MetricSource.
 */
export class MountMapSource implements MetricSource {
  constructor(
    private readonly inner: MetricSource,
    private readonly mounts: Readonly<Record<string, string>>,
  ) {}

  facts() {
    return this.inner.facts();
  }

  onDemand(pid: number, metric: OnDemandMetric) {
    return this.inner.onDemand(pid, metric);
  }

  async collectFast(): Promise<Sample[]> {
    return ((await this.inner.collectFast?.()) ?? []).flatMap((s) => this.map(s));
  }

  async collect(): Promise<Snapshot> {
    const snap = await this.inner.collect();
    return { ...snap, host: snap.host.flatMap((s) => this.map(s)) };
  }

  /** Renamed label sets by the source's (frozen, reused every pass) ones; frozen, so the store caches their keys too. */
  private readonly renamed = new WeakMap<object, Readonly<Record<string, string>>>();

  private map(s: Sample): Sample[] {
    const labels = s.labels;
    const mount = labels?.mount;
    if (labels === undefined || mount === undefined) return [s];
    const alias = this.mounts[mount];
    if (alias === undefined) return [];
    let mapped = this.renamed.get(labels);
    if (!mapped) {
      mapped = Object.freeze({ ...labels, mount: alias });
      if (Object.isFrozen(labels)) this.renamed.set(labels, mapped);
    }
    return [{ ...s, labels: mapped }];
  }
}
