import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { TimerClock } from './fleet/index.js';
import { auditInterrupted } from './query/run-statement.js';
import type { RunRecord, Store } from './store/index.js';

/** How often a replica heartbeats its `replicas` row and sweeps for orphaned runs. */
export const REPLICA_HEARTBEAT_MS = 10_000;
/** A replica silent for this many heartbeats is taken for dead: its running runs are interrupted. */
export const REPLICA_STALE_AFTER = 3;

export interface ReplicaLivenessOptions {
  readonly store: Store;
  readonly logger: Logger;
  readonly clock: TimerClock;
  /** Default: host name, process id and a random suffix (unique per start, readable in the audit). */
  readonly id?: string;
  readonly intervalMs?: number;
  readonly staleAfter?: number;
}

/**
 * Replica liveness on a store shared by several control planes: heartbeats this replica's row and,
 * at start and after each heartbeat, interrupts (and audits, once across replicas) the running runs
 * of replicas silent for `staleAfter` heartbeats, or that name no replica. A run executing on a
 * live replica is left alone. The embedded mode has one process and uses interruptStaleRuns.
 *
 * @example
 * const liveness = new ReplicaLiveness({ store, logger, clock: systemClock });
 * await liveness.start(); // before any run starts: runs record liveness.id
 * // ... on close, before the store closes:
 * await liveness.stop();
 */
export class ReplicaLiveness {
  readonly id: string;
  readonly #o: Required<Omit<ReplicaLivenessOptions, 'id'>>;
  #cancel: (() => void) | undefined;
  #tick: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(options: ReplicaLivenessOptions) {
    this.id = options.id ?? `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
    this.#o = { intervalMs: REPLICA_HEARTBEAT_MS, staleAfter: REPLICA_STALE_AFTER, ...options };
  }

  /** The first heartbeat and sweep (their failure fails the start: the store is not usable), then the timer. Returns the runs it interrupted. */
  async start(): Promise<RunRecord[]> {
    const interrupted = await this.#beat();
    this.#schedule();
    return interrupted;
  }

  /** Stops heart-beating, after the heartbeat in flight (if any) ends; other replicas take this one for dead `staleAfter` heartbeats later. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancel?.();
    await this.idle();
  }

  /** Resolves once the heartbeat and sweep in flight, if any, have ended (never rejects: a failed one is logged). */
  idle(): Promise<void> {
    return this.#tick;
  }

  async #beat(): Promise<RunRecord[]> {
    const { store, clock, intervalMs, staleAfter, logger } = this.#o;
    const now = clock.now();
    await store.heartbeatReplica(this.id, now);
    const runs = await store.interruptOrphanedRuns(now - staleAfter * intervalMs, now);
    await auditInterrupted(store, runs, 'the replica running it stopped (no heartbeat) or was of an older version');
    if (runs.length) logger.warn({ runs: runs.map((r) => r.id), replicas: [...new Set(runs.map((r) => r.replicaId ?? null))] }, `${runs.length} run(s) of a stopped replica marked interrupted`);
    return runs;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#cancel = this.#o.clock.setTimeout(() => {
      // A store blip skips a heartbeat, it does not stop them: the next one may well succeed.
      this.#tick = this.#beat().then(
        () => undefined,
        (err: unknown) => this.#o.logger.warn({ err: (err as Error).message, replica: this.id }, 'replica heartbeat failed; trying again at the next one'),
      ).finally(() => this.#schedule());
    }, this.#o.intervalMs);
  }
}
