/**
 * What the fleet's hosts report, from the agents list (GET /api/v1/agents): the tag keys and values
 * (and host attributes) that the pipeline editor completes, and their host counts, against which
 * the Console warns about filter values no host has as you type (src/lang's fleet check). Every
 * editor of the session shares one copy, asked for once and again when it is older than
 * REFRESH_MS: tags change rarely, and with 1,000 hosts the list is a few hundred kB, too much to
 * ask for on every keystroke or page. Fleet's rows come from the same request when both ask at once
 * (sharedAgents). Containers' and pods' tags and attributes come from a query
 * (RESOURCE_VALUES_STATEMENTS), asked only once a statement names `container` or `pod`, shared and
 * refreshed the same way.
 */
import { useEffect, useMemo, useState } from 'react';
import type { FleetInventory, FleetValues, ResourceValues } from '../lang/index.js';
import { NO_FLEET, fleetValues, resourceValues, resourcesNamed, summarizeFleet } from '../lang/index.js';
import { RESOURCE_VALUES_STATEMENTS, completionValues } from '../protocol/index.js';
import type { Agent } from './api.js';
import { agents, query } from './api.js';
import { BY_NAME } from './format.js';

const REFRESH_MS = 2 * 60_000;

interface Fleet {
  readonly values: FleetValues;
  /** Undefined until the list came: without it, nothing is known to be missing. */
  readonly inventory: FleetInventory | undefined;
}

const NOTHING_YET: Fleet = { values: NO_FLEET, inventory: undefined };

let cached: (Fleet & { readonly at: number }) | undefined;
let pending: Promise<Agent[]> | undefined;

/**
 * The agents list, one request at a time however many ask: the editors' completion and Fleet's
 * rows share it (Fleet's filter editor asks as Fleet opens; with 1,000 hosts a second request of
 * ~0.5 MB delayed the first rows by a quarter of a second). Each answer refreshes the shared copy.
 *
 * @example
 * const list = await sharedAgents(); // joins a request in flight, else asks anew
 */
export function sharedAgents(): Promise<Agent[]> {
  pending ??= agents()
    .then((list) => {
      cached = { at: Date.now(), values: fleetValues(list, BY_NAME.compare), inventory: summarizeFleet(list) };
      return list;
    })
    .finally(() => {
      pending = undefined;
    });
  return pending;
}

function useFleet(): Fleet {
  const [fleet, setFleet] = useState<Fleet>(cached ?? NOTHING_YET);
  useEffect(() => {
    let mounted = true;
    const refresh = () => {
      if (cached && Date.now() - cached.at < REFRESH_MS) return setFleet(cached);
      // Without the list, completion still has the catalogue; the next refresh asks again.
      sharedAgents().then(
        () => mounted && cached && setFleet(cached),
        () => undefined,
      );
    };
    refresh();
    const timer = setInterval(refresh, REFRESH_MS);
    return () => {
      mounted = false;
      clearInterval(timer);
    };
  }, []);
  return fleet;
}

type Typed = 'container' | 'pod';

const resources = new Map<Typed, { readonly at: number; readonly values: ResourceValues }>();
const resourcesPending = new Map<Typed, Promise<void>>();

/** Asks for a type's values unless a fresh copy or a request is there; resolves when there is one. */
function askResources(type: Typed): Promise<void> {
  const kept = resources.get(type);
  if (kept && Date.now() - kept.at < REFRESH_MS) return Promise.resolve();
  let pending = resourcesPending.get(type);
  if (!pending) {
    pending = query(RESOURCE_VALUES_STATEMENTS[type])
      .then(({ rows }) => void resources.set(type, { at: Date.now(), values: resourceValues(rows.map(completionValues), BY_NAME.compare) }))
      .finally(() => resourcesPending.delete(type));
    resourcesPending.set(type, pending);
  }
  return pending;
}

/**
 * The fleet's tag and attribute values, for completion of `text`: with its containers' and pods'
 * once `text` names them.
 *
 * @example
 * const fleet = useFleetValues(props.value);
 */
export function useFleetValues(text = ''): FleetValues {
  const hosts = useFleet().values;
  const named = resourcesNamed(text).join(',');
  const [asOf, setAsOf] = useState(0);
  useEffect(() => {
    let mounted = true;
    for (const type of named.split(',').filter(Boolean) as Typed[]) {
      // Without them, completion offers what it has; the next statement naming them asks again.
      askResources(type).then(
        () => mounted && setAsOf(resources.get(type)?.at ?? 0),
        () => undefined,
      );
    }
    return () => {
      mounted = false;
    };
  }, [named]);
  return useMemo(() => {
    const known = Object.fromEntries([...resources].map(([type, r]) => [type, r.values]));
    return Object.keys(known).length ? { ...hosts, resources: known } : hosts;
  }, [hosts, asOf]); // asOf: a new answer arrived
}

/**
 * The fleet's values with their host counts, for `analyze`'s fleet check; undefined until known.
 *
 * @example
 * const fleet = useFleetInventory();
 * analyze(statement, catalogue, fleet && (() => fleet));
 */
export function useFleetInventory(): FleetInventory | undefined {
  return useFleet().inventory;
}
