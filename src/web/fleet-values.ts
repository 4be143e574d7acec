/**
 * What the fleet's hosts report, from the agents list (GET /api/v1/agents): the tag keys and values
 * (and host attributes) that the pipeline editor completes, and their host counts, against which
 * the Console warns about filter values no host has as you type (src/lang's fleet check). Every
 * editor of the session shares one copy, asked for once and again when it is older than
 * REFRESH_MS: tags change rarely, and with 1,000 hosts the list is a few hundred kB, too much to
 * ask for on every keystroke or page. Fleet's rows come from the same request when both ask at once
 * (sharedAgents).
 */
import { useEffect, useState } from 'react';
import type { FleetInventory, FleetValues } from '../lang/index.js';
import { NO_FLEET, fleetValues, summarizeFleet } from '../lang/index.js';
import type { Agent } from './api.js';
import { agents } from './api.js';
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

/** The fleet's tag and attribute values, for completion. */
export function useFleetValues(): FleetValues {
  return useFleet().values;
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
