import type { ContainerInfo } from './containers/catalog.js';
import type { ContainerMeasure } from './containers/meter.js';
import { CONTAINER_METRICS, podValues } from './containers/meter.js';
import type { PodInfo } from './containers/pods.js';
import { podsOf } from './containers/pods.js';
import type { SeriesWriter, TimeSeriesStore } from './metrics/types.js';
import type { AgentResource } from './query/resources.js';
import { containerResource, podResource } from './query/resources.js';

/**
 * A host's containers and pods as query resources, and their series in the store, kept from one
 * collection pass to the next: the catalog hands out the same objects while nothing changed, and
 * then nothing here is rebuilt (issue 14's benchmark: an idle agent with 50 containers). Series of
 * containers and pods that are gone are dropped.
 *
 * @example
 * const resources = new ContainerResources('web-1', tsdb);
 * resources.record(await catalog.list(), meter.measure(found), Date.now());
 * resources.containers; // AgentResource[]
 */
export class ContainerResources {
  containers: AgentResource[] = [];
  pods: AgentResource[] = [];
  /** The catalog's answer {@link containers} and {@link pods} were made from, and their series' writers (in the same order). */
  #found: readonly ContainerInfo[] = [];
  #podInfos: readonly PodInfo[] = [];
  #containerWriters: SeriesWriter[] = [];
  #podWriters: SeriesWriter[] = [];
  /** A pod's metrics of the pass, summed into this one array. */
  readonly #podBuf = new Float64Array(CONTAINER_METRICS.length);
  /** A pod's containers' measures of the pass, in this one array. */
  readonly #podMembers: (ContainerMeasure | undefined)[] = [];

  constructor(
    private readonly host: string,
    private readonly tsdb: TimeSeriesStore,
    private readonly env?: Readonly<Record<string, string>>,
  ) {}

  /** One pass: the containers found (re-placed only when the list changed) and, when metered, their and their pods' values at `time`. */
  record(found: readonly ContainerInfo[], measured: ReadonlyMap<string, ContainerMeasure> | undefined, time: number): void {
    if (found.length !== this.#found.length || found.some((c, i) => c !== this.#found[i])) this.#place(found);
    if (!measured) return;
    for (let i = 0; i < found.length; i++) {
      const m = measured.get((found[i] as ContainerInfo).id);
      if (m) this.#containerWriters[i]?.append(time, m.values);
    }
    const members = this.#podMembers;
    for (let i = 0; i < this.#podInfos.length; i++) {
      const ids = (this.#podInfos[i] as PodInfo).containers;
      members.length = 0;
      for (let j = 0; j < ids.length; j++) members.push(measured.get(ids[j]!));
      this.#podWriters[i]?.append(time, podValues(members, this.#podBuf));
    }
  }

  /** The resources of a changed list of containers and of their pods (an unchanged container keeps its own), their writers; the series of those gone are dropped. */
  #place(found: readonly ContainerInfo[]): void {
    const kept = new Map(this.#found.map((c, i) => [c, this.containers[i]]));
    const writers = new Map([...this.#containerWriters, ...this.#podWriters].map((w) => [w.resource, w]));
    const writer = (r: AgentResource) => writers.get(r.seriesKey) ?? this.tsdb.writer(r.seriesKey, CONTAINER_METRICS);
    const before = [...this.containers, ...this.pods];
    this.containers = found.map((c) => kept.get(c) ?? containerResource(this.host, c, this.env));
    this.#podInfos = podsOf(found);
    this.pods = this.#podInfos.map((p) => podResource(this.host, p, this.env));
    this.#containerWriters = this.containers.map(writer);
    this.#podWriters = this.pods.map(writer);
    this.#found = found;
    const live = new Set([...this.containers, ...this.pods].map((r) => r.seriesKey));
    for (const r of before) if (!live.has(r.seriesKey)) this.tsdb.drop(r.seriesKey);
  }
}
