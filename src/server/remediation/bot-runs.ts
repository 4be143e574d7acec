import { botPrincipal } from '../../definitions/index.js';
import type { FleetEvent } from '../../protocol/index.js';
import { auditRecord } from '../audit/index.js';
import type { Clock } from '../fleet/index.js';
import { systemClock } from '../fleet/index.js';
import type { Store } from '../store/index.js';

/**
 * A bot's run (a `bot_ran` event) becomes a run record, its result and an audit entry like any
 * other execution, in one transaction. Safe to call again for the same event: an existing record
 * is left as it is.
 */
export async function recordBotRun(store: Pick<Store, 'recordFinishedRun'>, e: FleetEvent, clock: Clock = systemClock): Promise<void> {
  const d = e.details as { ok?: boolean; args?: Record<string, unknown>; exitCode?: number | null; stdout?: string; stderr?: string; durationMs?: number; timedOut?: boolean };
  const runId = e.runId ?? e.id;
  const args = Object.entries(d.args ?? {})
    .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
    .join(', ');
  const statement = `bot ${e.bot}: ${e.action}(${args}) on ${e.resource}`;
  // The intake set the principal (agent-intake.ts); it is the bot on that host, never a name the agent chose.
  const principal = e.principal ?? botPrincipal(e.bot ?? '?', e.host ?? '?');
  await store.recordFinishedRun(
    { id: runId, principal, statement, plan: { bot: e.bot, trigger: d }, status: d.ok ? 'succeeded' : 'failed', startedAt: e.time - (d.durationMs ?? 0), finishedAt: e.time, targets: 1, failures: d.ok ? 0 : 1 },
    [
      {
        runId,
        resourceId: e.resource ?? '',
        resourceType: e.resource?.includes('/') ? 'process' : 'host',
        host: e.host ?? '',
        status: d.timedOut ? 'timeout' : 'ok',
        exitCode: d.exitCode ?? null,
        stdout: d.stdout ?? null,
        stderr: d.stderr ?? null,
        error: null,
        values: { exit_code: d.exitCode ?? null },
        durationMs: d.durationMs ?? null,
      },
    ],
    auditRecord(principal, 'run', statement, d.ok ? 'ok' : 'failed', { event: e.id, host: e.host }, runId, clock),
  );
}
