import { Cron, CronPattern } from 'croner';
import type { Fields } from './fields.js';
import { actionRefusal } from './permissions.js';
import type { Raw, SetContext } from './set-context.js';
import { basics } from './set-context.js';
import { statement } from './statements.js';
import type { ScheduleDefinition } from './types.js';

/* The `schedule` kind: a pipeline the control plane runs at set times. */

/**
 * Reads a `schedule` document: a pipeline run on a five-field `cron` or `every` a duration.
 * The actions it runs must allow the principal `schedule:<name>`.
 *
 * @example
 * const def = readSchedule(ctx, raw); // { kind: 'schedule', cron: '0 3 * * *', everySeconds: null, run: '...', ... }
 */
export function readSchedule(ctx: SetContext, r: Raw): ScheduleDefinition {
  const f = r.fields;
  const hasCron = f.has('cron');
  const hasEvery = f.has('every');
  if (hasCron && hasEvery) f.badKey('every', 'BWD_CONFLICT', 'a schedule runs on `cron` or `every`, not both');
  if (!hasCron && !hasEvery) {
    r.doc.report(f.anchor, 'cron', 'BWD_MISSING_FIELD', 'missing when the schedule runs: expected `cron` (five fields, e.g. "0 3 * * *") or `every` (a duration, e.g. 5m)');
  }
  const cron = hasCron ? readCron(f) : null;
  const everySeconds = hasEvery && !hasCron ? (f.duration('every', undefined, 'positive') ?? null) : null;
  const run = f.scalar('run', 'the pipeline to run, e.g. `host | role = "api" | restart_service(name = "api")`', true, { nonEmpty: true });
  if (run) {
    const plan = statement(ctx.catalogue, r.doc, 'run', run).analysis.plan;
    for (const name of new Set(plan?.effects.actions ?? [])) {
      const action = ctx.actions.get(name);
      const refusal = action && r.name !== undefined ? actionRefusal(action, { name: `schedule:${r.name}` }) : undefined;
      if (refusal) f.bad('run', 'BWD_NOT_PERMITTED', `${refusal}: add \`schedule:${r.name}\` to its \`allowed.principals\``);
    }
  }
  return { kind: 'schedule', ...basics(r), cron, everySeconds, run: run?.value.trim() ?? '', enabled: f.bool('enabled', true) };
}

function readCron(f: Fields): string | null {
  const text = f.string('cron', 'a cron expression of five fields, e.g. "0 3 * * *"', true);
  if (text === undefined) return null;
  const expr = text.trim().replace(/\s+/g, ' ');
  const fields = expr === '' ? [] : expr.split(' ');
  const shape = 'minute hour day-of-month month day-of-week';
  if (fields.length !== 5) {
    const extra = fields.length === 6 ? ' (a seconds field is not supported)' : expr.startsWith('@') ? ' (nicknames such as @daily are not supported: write "0 0 * * *")' : '';
    f.bad('cron', 'BWD_BAD_CRON', `expected five fields (${shape}), found ${fields.length} in ${JSON.stringify(text)}${extra}`);
    return expr;
  }
  try {
    new CronPattern(expr, undefined, { mode: '5-part' });
  } catch (err) {
    const reason = String(err instanceof Error ? err.message : err).replace(/^CronPattern:\s*/, '');
    f.bad('cron', 'BWD_BAD_CRON', `expected a cron expression (${shape}), found ${JSON.stringify(text)}: ${reason}`);
    return expr;
  }
  const job = new Cron(expr, { mode: '5-part', paused: true });
  const next = job.nextRun();
  job.stop();
  if (next === null) f.bad('cron', 'BWD_BAD_CRON', `${JSON.stringify(text)} never runs (no date matches it)`);
  return expr;
}
