import type { Catalogue } from '../lang/index.js';
import { extendCatalogue } from '../lang/index.js';
import { actionAllowed, readAction } from './action-kind.js';
import { readAlarm } from './alarm-kind.js';
import { readBot } from './bot-kind.js';
import { readFile } from './file-kind.js';
import type { SecretRef } from './integration-kind.js';
import { readIntegration } from './integration-kind.js';
import { readMetric } from './metric-kind.js';
import { COMMON_FIELDS, KIND_FIELDS, kindsWithField, withArticle } from './rules.js';
import { readSchedule } from './schedule-kind.js';
import { checkSecretRefs, readActionSecrets, readSecret } from './secrets.js';
import type { Raw, SetContext, Written } from './set-context.js';
import { basics } from './set-context.js';
import { hostSelection } from './statements.js';
import type { ActionDefinition, Definition, MetricDefinition } from './types.js';

/**
 * Checks each document of a set, actions and metrics first so the rest can
 * use them: they extend `base` into the returned catalogue. Definitions come
 * back in the order of `raws`.
 *
 * @example
 * const { definitions, catalogue } = checkSet(BUILTIN_CATALOGUE, raws);
 */
export function checkSet(base: Catalogue, raws: readonly Raw[]): { definitions: Definition[]; catalogue: Catalogue } {
  const ctx: { -readonly [K in keyof SetContext]: SetContext[K] } & { actions: Map<string, ActionDefinition> } = {
    catalogue: base,
    actions: new Map(),
    alarms: new Map(),
    filePaths: new Map(),
  };
  const results = new Map<Raw, Definition>();
  const secretRefs = new Map<Raw, (Written & { field?: string })[]>();
  const allowed = new Map<Raw, Written>();
  const metrics: MetricDefinition[] = [];
  for (const r of raws) {
    // Unknown fields, for every kind.
    r.fields.allow([...COMMON_FIELDS, ...KIND_FIELDS[r.kind]], withArticle(r.kind), kindsWithField);
    if (r.kind === 'action') {
      const refs = readActionSecrets(r.fields);
      const { def: plain, allowedStatement } = readAction(r);
      const def = refs.length ? { ...plain, secrets: refs.map((s) => s.value) } : plain;
      secretRefs.set(r, refs);
      results.set(r, def);
      if (allowedStatement) allowed.set(r, allowedStatement);
      if (r.name !== undefined) ctx.actions.set(r.name, def);
    } else if (r.kind === 'metric') {
      const def = readMetric(r);
      results.set(r, def);
      if (r.name !== undefined) metrics.push(def);
    }
  }
  ctx.catalogue = extendCatalogue(base, {
    actions: [...ctx.actions.values()].map((a) => ({ name: a.name, description: a.description, params: a.params, resources: a.resources })),
    metrics: metrics.map((m) => ({ name: m.name, dim: m.unit, labels: m.labels, description: m.description, resource: m.resource })),
  });
  for (const [r, statement] of allowed) actionAllowed(ctx.catalogue, r, statement, results.get(r) as ActionDefinition);
  for (const r of raws) if (r.kind === 'alarm') results.set(r, readAlarm(ctx, r));
  for (const r of raws) if (r.kind === 'file') results.set(r, readFile(ctx, r));
  for (const r of raws) if (r.kind === 'schedule') results.set(r, readSchedule(ctx, r));
  for (const r of raws) if (r.kind === 'bot') results.set(r, readBot(ctx, r));
  for (const r of raws) if (r.kind === 'secret') results.set(r, readSecret(r.fields, basics(r), (q) => hostSelection(ctx.catalogue, r.doc, 'hosts', q, 'a secret\'s `hosts`')));
  for (const r of raws) {
    if (r.kind !== 'integration') continue;
    const refs: SecretRef[] = [];
    const def = readIntegration(r, refs);
    if (def) results.set(r, def);
    secretRefs.set(r, refs);
  }
  const secrets = raws.filter((r) => r.kind === 'secret' && r.name !== undefined).map((r) => r.name as string);
  for (const [r, refs] of secretRefs) checkSecretRefs(r.fields, refs, secrets);
  const definitions = raws.map((r) => results.get(r)).filter((d): d is Definition => d !== undefined);
  return { definitions, catalogue: ctx.catalogue };
}
