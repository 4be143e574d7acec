import type { AgentConnection } from '../transport/index.js';
import type { ContainerCatalog } from './containers/catalog.js';
import type { ContainerMeter } from './containers/meter.js';
import type { Outbox } from './engine/outbox.js';
import type { CommandRunner } from './exec/types.js';
import type { AgentLogger } from './log.js';
import type { MetricSource, TimeSeriesStore } from './metrics/types.js';

/* What an AgentDaemon (daemon.ts) is given at start-up, and what it reports of itself. */

/**
 * The daemon's states. `backoff` waits before reconnecting; `draining` finishes
 * running queries on SIGTERM and refuses new ones.
 */
export type AgentState = 'starting' | 'connecting' | 'connected' | 'backoff' | 'draining' | 'stopped';

export interface AgentDeps {
  readonly name: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly source: MetricSource;
  readonly tsdb: TimeSeriesStore;
  readonly runner: CommandRunner;
  readonly logger: AgentLogger;
  /** Opens a connection to the control plane (WebSocket, or in-process for the swarm). */
  connect(): Promise<AgentConnection>;
  readonly collectIntervalMs: number;
  readonly drainTimeoutMs: number;
  readonly limits: { readonly commandTimeoutMs: number; readonly maxOutputBytes: number };
  /** Where events wait until the control plane has them (a file for real agents). */
  readonly outbox: Outbox;
  /** True the first time this agent identity asks for `key` (a marker file for real agents). */
  once(key: string): boolean;
  /**
   * Tags set at run time, e.g. by a quarantine action writing `$BW_TAG_DIR/quarantine`: each file
   * is a tag, its content the value. Read after every collection; merged over the configured tags.
   */
  runtimeTags?(): Readonly<Record<string, string>>;
  /** Environment every command gets from the agent, e.g. BW_TAG_DIR. */
  readonly commandEnv?: Readonly<Record<string, string>>;
  /** The containers on this host, listed after every collection (none when absent). */
  readonly containers?: Pick<ContainerCatalog, 'list'>;
  /** Meters the listed containers each collection (cgroup files, network namespace); their pods sum them. */
  readonly containerMeter?: Pick<ContainerMeter, 'measure'>;
  /** Where the host's filesystem is mounted, for file definitions (default `/`). */
  readonly fileRoot?: string;
  now?(): number;
}

/** The agent's own state, as AgentDaemon.status() reads it. */
export interface AgentStatus {
  readonly state: AgentState;
  /** Events waiting in the outbox for the control plane to confirm. */
  readonly outboxPending: number;
  /** How long the oldest of them has waited (0: none waiting). */
  readonly outboxOldestAgeMs: number;
  readonly commandsActive: number;
  /** Approximate bytes of metric history held. */
  readonly historyBytes: number;
}
