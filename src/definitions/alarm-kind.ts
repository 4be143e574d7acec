import type { ResourceTypeName } from '../lang/index.js';
import { DEFAULTS, SEVERITIES } from './rules.js';
import type { Raw, SetContext } from './set-context.js';
import { basics } from './set-context.js';
import { condition, selection, statement } from './statements.js';
import type { AlarmDefinition } from './types.js';

/* The `alarm` kind: a query over hosts or processes and the conditions that fire and clear it. */

/**
 * Reads an `alarm` document and records it in `ctx.alarms`, for bots' triggers.
 * `fire` and `clear` are checked as one more stage after the query.
 *
 * @example
 * const def = readAlarm(ctx, raw); // { kind: 'alarm', query: 'host', fire: 'disk_usage{mount="/data"} > 90', ... }
 */
export function readAlarm(ctx: SetContext, r: Raw): AlarmDefinition {
  const f = r.fields;
  const what = 'an alarm query';
  const q = f.scalar('query', 'a statement selecting resources, e.g. `host | role = "web"`', true, { nonEmpty: true });
  let resource: ResourceTypeName | undefined;
  let prefix = 'host\n| ';
  let prefixStages = 1;
  if (q) {
    const s = statement(ctx.catalogue, r.doc, 'query', q);
    resource = selection(r.doc, 'query', s, ['host', 'process'], what, '; conditions on metrics and checks belong in `fire`');
    if (!s.failed && resource) {
      prefix = `${q.value}\n| `;
      prefixStages = s.analysis.ast.stages.length;
    } else if (/^\s*process\b/.test(q.value)) prefix = 'process\n| ';
  }
  const conditionShape = 'a condition on the query\'s resources, e.g. `disk_usage{mount="/data"} > 90`';
  const fire = f.scalar('fire', conditionShape, true, { nonEmpty: true });
  if (fire) condition(ctx.catalogue, r.doc, 'fire', fire, prefix, prefixStages);
  const clear = f.scalar('clear', conditionShape, false, { nonEmpty: true });
  if (clear) condition(ctx.catalogue, r.doc, 'clear', clear, prefix, prefixStages);
  const runbook = f.string('runbook', 'a runbook name or URL', false, { nonEmpty: true });
  const def: AlarmDefinition = {
    kind: 'alarm',
    ...basics(r),
    query: q?.value.trim() ?? '',
    fire: fire?.value.trim() ?? '',
    fireForSeconds: f.duration('fire_for', 0, 'zero') ?? 0,
    ...(clear ? { clear: clear.value.trim() } : {}),
    clearForSeconds: f.duration('clear_for', 0, 'zero') ?? 0,
    severity: f.oneOf('severity', SEVERITIES, DEFAULTS.severity) ?? DEFAULTS.severity,
    intervalSeconds: f.duration('interval', DEFAULTS.alarmIntervalSeconds, 'positive') ?? DEFAULTS.alarmIntervalSeconds,
    ...(runbook !== undefined ? { runbook } : {}),
  };
  if (r.name !== undefined) ctx.alarms.set(r.name, { def, resource });
  return def;
}
