/**
 * The control plane's ports to the world outside one process: the fleet of agents and the clock.
 */
export type { AgentHooks, Fleet, FleetTransport, InventoryHost, QueryFleet, QueryWaiter } from './fleet.js';
export type { Clock, TimerClock } from './clock.js';
export { sleep, systemClock } from './clock.js';
export type { DroppedReplies, NatsFleetOptions } from './nats-fleet.js';
export { MAX_BACKTESTS, NO_RESPONDER, NatsFleet } from './nats-fleet.js';
export type { Inventory, Presence, PresenceEvents } from './presence.js';
export { hostAttrs, inventoryHost, listedInventory } from './presence.js';
export type { IgnoredPresence, NatsPresenceOptions } from './nats-presence.js';
export { MAX_PRESENCE_BYTES, NatsPresence, PRESENCE_MAX_AGE_MS, ensurePresenceBucket } from './nats-presence.js';
