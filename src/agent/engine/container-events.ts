import type { ContainerTriggerEvent } from '../../definitions/index.js';
import type { AgentResource } from '../query/resources.js';

interface Seen {
  /** The container id and its init pid: a new pair under the same key is a restart. */
  readonly incarnation: string;
  readonly oomKills: number | undefined;
}

/** Containers not seen for this many distinct keys are forgotten (a host that churns through containers must not grow this without bound). */
const MAX_GONE = 1000;

/**
 * Finds, collection after collection, the containers that restarted and those in which the OOM
 * killer struck. A container is followed by its pod and name when it has a pod (the kubelet
 * restarts a container as a new one, with a new id) and by its id otherwise (docker and podman
 * restart keep the id); it restarted when it shows a new id or init pid. An OOM kill is its
 * `oom_kill_count` gone up within one incarnation (a restart starts a new count), compared with
 * the last count read of it: a pass that could not read one misses no kill.
 *
 * @example
 * const watch = new ContainerEventWatch();
 * for (const e of watch.observe(containers, oomKillsOf)) console.log(e.event, e.resource.ref.id);
 */
export class ContainerEventWatch {
  readonly #seen = new Map<string, Seen>();
  /** Each resource's key and incarnation: the agent hands out one resource object while its container is unchanged. */
  readonly #names = new WeakMap<AgentResource, { readonly key: string; readonly incarnation: string }>();

  /** The events since the previous call; the first call only learns what runs. */
  observe(containers: readonly AgentResource[], oomKills: (r: AgentResource) => number | undefined): { event: ContainerTriggerEvent; resource: AgentResource }[] {
    const events: { event: ContainerTriggerEvent; resource: AgentResource }[] = [];
    for (const r of containers) {
      let names = this.#names.get(r);
      if (!names) {
        names = { key: r.podId === undefined ? `id/${r.attrs.id}` : `pod/${r.podId}/${r.attrs.name}`, incarnation: `${r.attrs.id}/${r.attrs.init_pid}` };
        this.#names.set(r, names);
      }
      const key = names.key;
      const before = this.#seen.get(key);
      // A count that could not be read this pass leaves the last one read of this incarnation to compare with.
      const kills = oomKills(r) ?? (before?.incarnation === names.incarnation ? before.oomKills : undefined);
      const now: Seen = { incarnation: names.incarnation, oomKills: kills };
      if (before && before.incarnation !== now.incarnation) events.push({ event: 'container_restarted', resource: r });
      else if (before?.oomKills !== undefined && now.oomKills !== undefined && now.oomKills > before.oomKills) events.push({ event: 'container_oom_killed', resource: r });
      // Re-inserted, so the Map's order puts the longest gone first.
      this.#seen.delete(key);
      this.#seen.set(key, now);
    }
    for (const key of this.#seen.keys()) {
      if (this.#seen.size <= containers.length + MAX_GONE) break;
      this.#seen.delete(key);
    }
    return events;
  }
}
