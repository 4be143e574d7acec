/**
 * The control plane's ports to the world outside one process: the fleet of agents and the clock.
 */
export type { AgentHooks, Fleet, FleetTransport, InventoryHost, QueryFleet, QueryWaiter } from './fleet.js';
export type { Clock, TimerClock } from './clock.js';
export { sleep, systemClock } from './clock.js';
export type { DroppedReplies, Inventory, NatsFleetOptions } from './nats-fleet.js';
export { NO_RESPONDER, NatsFleet, listedInventory } from './nats-fleet.js';
