import type { FleetInventory, Phase } from '../../lang/index.js';
import { evaluateSync, summarizeFleet, truthy } from '../../lang/index.js';
import type { FleetEvent, JsonValue, ResultRow } from '../../protocol/index.js';
import { BY_NAME } from '../../protocol/index.js';
import type { InventoryHost, QueryFleet } from '../fleet/index.js';
import type { RowContext } from './reduce.js';

/*
 * The phases the control plane answers itself, without asking an agent: the inventory (which
 * hosts), the events (what happened), and what a filter or a control phase sees of a row there.
 */

/** The inventory phase: every known host the filter keeps, by name, as `ok` rows. */
export function inventoryRows(phase: Extract<Phase, { where: 'inventory' }>, fleet: QueryFleet): ResultRow[] {
  return fleet
    .inventory()
    .filter((h) => !phase.filter || truthy(evaluateSync(phase.filter, hostContext(h))))
    .sort((a, b) => BY_NAME.compare(a.name, b.name))
    .map((h) => ({ resource: { type: 'host', id: h.name, name: h.name, host: h.name }, status: 'ok', values: {} }));
}

/**
 * The inventory's tag and attribute values with their host counts, for the language's fleet check
 * (typos in filters): `analyze(statement, catalogue, () => fleetValues(fleet))`.
 */
export function fleetValues(fleet: QueryFleet): FleetInventory {
  return summarizeFleet(fleet.inventory().map((h) => ({ tags: h.tags, attributes: h.attrs })));
}

/** The events phase: recent events (newest first) as rows the filter keeps; `age` counts from `now`. */
export function eventRows(phase: Extract<Phase, { where: 'events' }>, events: readonly FleetEvent[], now: number): ResultRow[] {
  const filter = phase.filter;
  return events.map(eventRow(now)).filter((r) => !filter || truthy(evaluateSync(filter, fieldContext(r))));
}

/** The event fields a statement sees, in the order rows show them (`runId` as `run`). */
const EVENT_FIELDS = ['type', 'host', 'resource', 'alarm', 'bot', 'action', 'severity', 'runId', 'principal', 'message', 'value'] as const;

/** Events as rows: `time` in seconds, `age` in seconds before `now`, then the fields. */
function eventRow(now: number) {
  return (e: FleetEvent): ResultRow => {
    const values: Record<string, JsonValue> = { time: e.time / 1000, age: Math.max(0, (now - e.time) / 1000) };
    for (const field of EVENT_FIELDS) values[field === 'runId' ? 'run' : field] = e[field];
    return { status: 'ok', values };
  };
}

function fieldContext(r: ResultRow) {
  return {
    metric: () => undefined,
    range: () => [],
    attr: () => undefined,
    tag: () => undefined,
    col: (name: string) => r.values[name] as never,
    field: (name: string) => (r.values[name] ?? null) as never,
    check: () => Promise.reject(new Error('checks run on agents')),
  };
}

/**
 * What a filter on hosts sees of an inventory host: its tags and attributes (metrics and checks live on agents).
 *
 * @example
 * const kept = truthy(evaluateSync(filter, hostContext(host)));
 */
export function hostContext(h: InventoryHost) {
  return {
    metric: () => undefined,
    range: () => [],
    attr: (name: string) => h.attrs[name],
    tag: (name: string) => h.tags[name],
    col: () => undefined,
    field: () => undefined,
    check: () => Promise.reject(new Error('checks run on agents')),
  };
}

/** What a control phase sees of a row: its fields, and its host's tags and attributes. */
export function rowContext(fleet: QueryFleet): RowContext {
  return (row) => {
    const host = row.resource?.type === 'host' && row.resource.host ? fleet.host(row.resource.host) : undefined;
    return {
      attr: (name) => host?.attrs[name],
      tag: (name) => (row.resource?.host ? fleet.host(row.resource.host)?.tags[name] : undefined),
      field: (name) => row.values[name] as never,
    };
  };
}
