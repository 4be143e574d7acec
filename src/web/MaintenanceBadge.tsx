/**
 * The maintenance switch, always visible in the header while it is on: read at sign-in, every
 * 15 s, and at once when the Operate page changes or reads it.
 */
import { useEffect, useState } from 'react';
import type { Maintenance } from '../protocol/index.js';
import { maintenance as fetchMaintenance } from './operate-api.js';

const EVENT = 'breakwater:maintenance';
const POLL_MS = 15_000;

/** Tells the header the switch's state (the Operate page read or changed it). */
export function announceMaintenance(m: Maintenance): void {
  window.dispatchEvent(new CustomEvent<Maintenance>(EVENT, { detail: m }));
}

export function MaintenanceBadge(props: { onOpen: () => void }) {
  const [state, setState] = useState<Maintenance | undefined>();
  useEffect(() => {
    let stopped = false;
    const read = () =>
      fetchMaintenance()
        .then((m) => !stopped && setState(m))
        // Unreachable for a moment: the badge keeps what it last knew.
        .catch(() => undefined);
    void read();
    const timer = setInterval(() => void read(), POLL_MS);
    const heard = (e: Event) => setState((e as CustomEvent<Maintenance>).detail);
    window.addEventListener(EVENT, heard);
    return () => {
      stopped = true;
      clearInterval(timer);
      window.removeEventListener(EVENT, heard);
    };
  }, []);
  if (!state?.on) return null;
  return (
    <button className="maintenance-badge" title={`set by ${state.setBy ?? '?'}: ${state.reason ?? ''}`} onClick={props.onOpen} data-testid="maintenance-badge">
      Maintenance mode on
    </button>
  );
}
