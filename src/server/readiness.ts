import { BreakwaterError } from '../protocol/index.js';
import type { TimerClock } from './fleet/index.js';

/** One dependency a replica needs to serve calls: resolves when it is usable, throws why it is not. */
export type DependencyCheck = () => Promise<unknown>;

/** What /readyz reports: each dependency's state (`ok` or why not). */
export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, string>>;
}

/**
 * Readiness, apart from liveness: whether this replica can serve calls now (its store answers; in
 * the scaled mode, its NATS connection too). A check that hangs (a PostgreSQL host that drops
 * packets) counts as failed after `timeoutMs`, so the probe answers within the probe's own timeout.
 *
 * @example
 * const ready = readiness({ store: () => store.ping() }, { timeoutMs: 1500, clock: systemClock });
 * const report = await ready(); // { ready: true, checks: { store: 'ok' } }
 */
export function readiness(checks: Readonly<Record<string, DependencyCheck>>, options: { timeoutMs: number; clock: TimerClock }): () => Promise<ReadinessReport> {
  const one = (check: DependencyCheck) =>
    new Promise<string>((resolve) => {
      const cancel = options.clock.setTimeout(() => resolve(`no answer within ${options.timeoutMs} ms`), options.timeoutMs);
      // A check may throw before it returns a promise: Promise.resolve().then catches that too.
      Promise.resolve()
        .then(check)
        .then(
          () => resolve('ok'),
          (err: unknown) => resolve(err instanceof Error ? err.message : String(err)),
        )
        .finally(cancel);
    });
  return async () => {
    const names = Object.keys(checks);
    const states = await Promise.all(names.map((name) => one(checks[name] as DependencyCheck)));
    const report = Object.fromEntries(names.map((name, i) => [name, states[i] as string]));
    return { ready: states.every((s) => s === 'ok'), checks: report };
  };
}

/** The report as the /readyz answer: the report itself when ready, else BW_ERR_UNAVAILABLE (503) naming what is down. */
export function readyOrThrow(report: ReadinessReport): ReadinessReport {
  if (report.ready) return report;
  const down = Object.entries(report.checks).filter(([, state]) => state !== 'ok').map(([name, state]) => `${name}: ${state}`);
  throw new BreakwaterError('BW_ERR_UNAVAILABLE', `this replica cannot serve calls now (${down.join('; ')})`, { checks: report.checks });
}
