/*
 * The answers of GET /api/v1/runs and GET /api/v1/runs/:id: one contract, written by the control
 * plane's runs routes and read by the web UI and the CLI. The store keeps its own record types;
 * the routes' answers are checked against these at compile time.
 */

/** One run as the list and the run's page give it. */
export interface Run {
  readonly id: string;
  /** Who started it; its form says how (definitions' runKindOf). */
  readonly principal: string;
  readonly statement: string;
  /** The statement's plan; a bot's run holds `{ bot, trigger }`, what its agent reported. */
  readonly plan: unknown;
  readonly status: RunStatus;
  readonly startedAt: number;
  readonly finishedAt: number | null;
  /** Resources the run addressed, and how many failed (error, timeout, offline, a non-zero exit). */
  readonly targets: number;
  readonly failures: number;
  /** The control-plane replica executing the run (the scaled mode); absent when none does. */
  readonly replicaId?: string;
  /** A bot's reported output was left out: this reader may not read it. */
  readonly outputHidden?: true;
}

/** One resource's result of a run, with its output. */
export interface RunResult {
  readonly runId: string;
  readonly resourceId: string;
  readonly resourceType: string;
  readonly host: string;
  readonly status: 'ok' | 'error' | 'timeout' | 'offline' | 'cancelled';
  readonly exitCode: number | null;
  readonly stdout: string | null;
  readonly stderr: string | null;
  readonly error: string | null;
  readonly values: Readonly<Record<string, unknown>>;
  readonly durationMs: number | null;
}

/** GET /api/v1/runs/:id: the run and each resource's result, in the order they came in. */
export interface RunWithResults {
  readonly run: Run;
  readonly results: readonly RunResult[];
}

/** How a run stands or ended; `interrupted`: the control plane stopped (a crash) while the run was `running`, set at its next start. */
export const RUN_STATUSES = ['running', 'succeeded', 'failed', 'cancelled', 'dry_run', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
