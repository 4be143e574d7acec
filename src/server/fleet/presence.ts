import type { HostFactsMessage, OutboxReport } from '../../protocol/index.js';
import { MAX_TAG_VALUE, TAG_KEY } from '../../protocol/index.js';
import type { AgentRecord } from '../store/index.js';
import type { InventoryHost, QueryFleet } from './fleet.js';

/** Who is known and connected, as the query fan-out asks it. */
export type Inventory = Pick<QueryFleet, 'inventory' | 'host'>;

/** What a presence tells the fleet over it when an agent comes or goes. */
export interface PresenceEvents {
  /** `session` is the agent's presence session: the same on every replica, so an event keyed by it is stored once. */
  onConnected(agent: string, first: boolean, session: string): void;
  /** `session` is undefined when no presence said which session ended (a disconnect ordered here). */
  onDisconnected(agent: string, reason: string, session: string | undefined): void;
}

/**
 * The inventory of a fleet over NATS, with what the rest of the Fleet port asks of it: the
 * presence KV bucket every replica watches (NatsPresence), or a fixed list (listedInventory).
 *
 * @example
 * const up = presence.inventory().filter((h) => h.connected).length === presence.connectedCount;
 */
export interface Presence extends Inventory {
  readonly connectedCount: number;
  /** The definitions version each connected agent reported. */
  versions(): ReadonlyMap<string, number | null>;
  /** What each connected agent's newest presence said of its outbox (FleetTransport.outboxes). */
  outboxes?(): readonly OutboxReport[];
  /** Loads the enrolled agents from the store and starts following their presence. */
  load(): Promise<void>;
  /** A freshly enrolled agent: known (disconnected) until its presence says otherwise. */
  enrolled(agent: AgentRecord): void;
  forget(name: string): void;
  /**
   * Ends the agent's session now and ignores its presence until it enrolls again (enrolledAt
   * after now); true when it was connected.
   */
  refuse(name: string, reason: string): boolean;
  /** Takes an agent's tags at once (from its hello), before its presence says them. */
  retag(name: string, tags: Readonly<Record<string, string>>): void;
  close(): Promise<void>;
}

/**
 * A fixed inventory from a list, indexed by name (tests, and callers with their own presence):
 * nothing connects or leaves but what the calls below do.
 *
 * @example
 * new NatsFleet({ nc, subjects, inventory: listedInventory([{ name: 'web-1', agentId: 'a1', connected: true, lastSeenAt: null, tags: {}, attrs: {} }]) });
 */
export function listedInventory(hosts: readonly InventoryHost[]): Presence {
  const byName = new Map(hosts.map((h) => [h.name, h]));
  const set = (name: string, change: Partial<InventoryHost>) => {
    const h = byName.get(name);
    if (h) byName.set(name, { ...h, ...change });
    return h;
  };
  return {
    inventory: () => [...byName.values()],
    host: (name) => byName.get(name),
    get connectedCount() {
      return [...byName.values()].filter((h) => h.connected).length;
    },
    versions: () => new Map([...byName.values()].filter((h) => h.connected).map((h) => [h.name, null])),
    load: () => Promise.resolve(),
    enrolled: (agent) => void (byName.has(agent.name) || byName.set(agent.name, inventoryHost(agent, false, null))),
    forget: (name) => void byName.delete(name),
    refuse: (name) => set(name, { connected: false })?.connected === true,
    retag: (name, tags) => void set(name, { tags: { ...tags } }),
    close: () => Promise.resolve(),
  };
}

/** The inventory's view of an agent: its stored record, or what its presence said. */
export function inventoryHost(a: AgentRecord, connected: boolean, lastSeenAt: number | null, facts: Readonly<Record<string, string>> = a.facts, tags: Readonly<Record<string, string>> = a.tags): InventoryHost {
  // Stored before hellos were checked (an older control plane): tags that break the rule stay out.
  const kept = Object.fromEntries(Object.entries(tags).filter(([k, v]) => TAG_KEY.test(k) && v.length <= MAX_TAG_VALUE));
  return { name: a.name, agentId: a.id, connected, lastSeenAt, tags: kept, attrs: hostAttrs(a.name, facts, connected ? 'connected' : 'disconnected') };
}

/** The attributes queries select hosts by, as the WebSocket gateway makes them. */
export function hostAttrs(name: string, facts: Readonly<Record<string, string>> | HostFactsMessage, status: string): Record<string, string | number> {
  const f = facts as Readonly<Record<string, string | undefined>>;
  return {
    name,
    id: f.machineId ?? '',
    os: f.os ?? '',
    distro: f.distro ?? '',
    arch: f.arch ?? '',
    kernel: f.kernel ?? '',
    ip: f.ip ?? '',
    agent_version: f.agentVersion ?? '',
    status,
    container_discovery: f.containerDiscovery ?? '',
  };
}
