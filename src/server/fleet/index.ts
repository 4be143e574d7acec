/**
 * The control plane's ports to the world outside one process: the fleet of agents and the clock.
 */
export type { Fleet, InventoryHost, QueryWaiter } from './fleet.js';
export type { Clock } from './clock.js';
export { systemClock } from './clock.js';
