import type { ApprovalRequestMessage, BacktestResultMessage, FleetEvent, OutboxReport, PermitRequestMessage, ResultRow, ServerMessage } from '../../protocol/index.js';
import type { AgentRecord } from '../store/index.js';

/** A host as the control plane's inventory knows it. */
export interface InventoryHost {
  readonly name: string;
  readonly agentId: string;
  readonly connected: boolean;
  readonly lastSeenAt: number | null;
  readonly tags: Readonly<Record<string, string>>;
  readonly attrs: Readonly<Record<string, string | number>>;
}

/** Hears one agent's answer to one query phase. */
export interface QueryWaiter {
  onRows(rows: readonly ResultRow[]): void;
  onDone(error?: string): void;
  onLost(reason: string): void;
}

/**
 * What query execution needs of the agents: who is known and connected, send a query phase and
 * cancel it. `executePlan` takes only this, so a transport can serve queries before it serves the
 * rest of the Fleet (the NATS query fan-out, src/server/fleet/nats-fleet.ts).
 *
 * @example
 * const up = fleet.inventory().filter((h) => fleet.connected(h.name));
 */
export interface QueryFleet {
  /** Every known host, connected or not. */
  inventory(): readonly InventoryHost[];
  host(name: string): InventoryHost | undefined;
  connected(name: string): boolean;
  /**
   * Sends a query phase to one agent; the waiter hears its rows and its end. False when the agent
   * is not connected. `frame` is the encoded query message: a fan-out encodes it once for every agent.
   */
  send(host: string, id: string, frame: string, waiter: QueryWaiter): boolean;
  /** Stops waiting for one agent's answer and tells the agent to stop. */
  cancel(host: string, query: string): void;
}

/**
 * The agents as the rest of the control plane reaches them: who is known, who is connected,
 * sending a query phase and cancelling it, and the few other messages the control plane sends.
 * The WebSocket gateway implements it in one process; the scaled mode implements it over NATS.
 * Query execution, remediation and the API see only this port, never a transport.
 *
 * @example
 * const up = fleet.inventory().filter((h) => fleet.connected(h.name));
 */
export interface Fleet extends QueryFleet {
  readonly connectedCount: number;
  /** Sends one control message (back-test, alert) to one agent; false when it is not connected. */
  sendTo(host: string, message: ServerMessage): boolean;
  /** Sends each connected agent its definitions, and its controls (silences, switches), where they changed. */
  pushDefinitions(): void;
  /** The definitions version each connected agent reported. */
  versions(): ReadonlyMap<string, number | null>;
  /** Registers a freshly enrolled agent so queries see it before it connects. */
  enrolled(agent: AgentRecord): void;
  /** Ends an agent's session at once; false when it was not connected. */
  disconnect(name: string, reason: string): boolean;
  /** Drops a deleted agent from the inventory. */
  forget(name: string): void;
}

/**
 * What the rest of the control plane does with agents' remediation traffic, whatever carries it
 * (the WebSocket gateway, or NATS in the scaled mode): the fleet's transport calls these.
 */
export interface AgentHooks {
  /** The current definitions for one host (what its queries select), encoded; sent on connect and on every change. */
  definitions(host: InventoryHost): { key: string; frame: string } | undefined;
  /** What operators switched for one host (silences, maintenance, bots off), encoded; sent after its definitions, on connect and on every change. */
  controls?(host: InventoryHost): { key: string; frame: string } | undefined;
  /**
   * Stores events (idempotently); resolves when they are durable, so they can be acknowledged.
   * Only events the agent may report reach it (agent-intake.ts), with the principal set.
   */
  onEvents(agent: string, events: readonly FleetEvent[]): Promise<void>;
  /** `fleetSize` is the inventory's size, connected or not: the circuit breaker's share of one host depends on it. */
  onPermit(agent: string, msg: PermitRequestMessage, fleetSize: number): Promise<{ allowed: boolean; reason: string }>;
  onApproval(agent: string, msg: ApprovalRequestMessage): Promise<void>;
  onBacktestResult(agent: string, msg: BacktestResultMessage): void;
  /** Secret values replaced with `[secret:NAME]` in what agents send: a second line of defence behind the agent's own. */
  redact<T>(value: T): T;
  /**
   * `session` names the agent's session where several replicas see the same transition (presence
   * over NATS): the agent_joined (or agent_reconnected)/agent_left events are keyed by it, so they
   * are stored once. `first`: the host's first connection ever (agent_joined), else agent_reconnected.
   */
  onConnected(agent: string, first: boolean, session?: string): void;
  onDisconnected(agent: string, reason: string, session?: string): void;
}

/**
 * A fleet transport as the control plane starts and stops it: the WebSocket gateway, or NATS in
 * the scaled mode.
 *
 * @example
 * const fleet: FleetTransport = new AgentGateway({ store, logger, heartbeatMs, hooks });
 * await fleet.load();
 */
export interface FleetTransport extends Fleet {
  /** Loads the known agents from the store (disconnected until they are heard from). */
  load(): Promise<void>;
  /** Ends every session; queries still waiting hear `onLost`. */
  closeAll(): void | Promise<void>;
  /** What each connected agent last reported of its event outbox (agents too old to report it are left out). */
  outboxes?(): readonly OutboxReport[];
}
