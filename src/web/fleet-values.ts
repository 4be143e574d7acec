/**
 * The fleet's tag keys and values (and host attributes) that the pipeline editor completes, from
 * the agents list (GET /api/v1/agents). Every editor of the session shares one copy, asked for
 * once and again when it is older than REFRESH_MS: tags change rarely, and with 1,000 hosts the
 * list is a few hundred kB, too much to ask for on every keystroke or page.
 */
import { useEffect, useState } from 'react';
import type { FleetValues } from '../lang/index.js';
import { NO_FLEET, fleetValues } from '../lang/index.js';
import { agents } from './api.js';
import { BY_NAME } from './format.js';

const REFRESH_MS = 2 * 60_000;

let cached: { readonly at: number; readonly values: FleetValues } | undefined;
let pending: Promise<FleetValues> | undefined;

/** One request at a time, however many editors ask. */
function load(): Promise<FleetValues> {
  pending ??= agents()
    .then((list) => {
      cached = { at: Date.now(), values: fleetValues(list, BY_NAME.compare) };
      return cached.values;
    })
    .finally(() => {
      pending = undefined;
    });
  return pending;
}

export function useFleetValues(): FleetValues {
  const [values, setValues] = useState(cached?.values ?? NO_FLEET);
  useEffect(() => {
    let mounted = true;
    const refresh = () => {
      if (cached && Date.now() - cached.at < REFRESH_MS) return setValues(cached.values);
      // Without the list, completion still has the catalogue; the next refresh asks again.
      load().then(
        (v) => mounted && setValues(v),
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
  return values;
}
