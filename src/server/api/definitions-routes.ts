import { z } from 'zod';
import type { AlarmDefinition, Definition } from '../../definitions/index.js';
import { parseDefinitions } from '../../definitions/index.js';
import { BreakwaterError } from '../../protocol/index.js';
import type { Principal } from '../auth.js';
import type { Remediation } from '../remediation/index.js';
import type { Store } from '../store/index.js';
import type { Route } from './route.js';
import { route } from './route.js';
import { Page, pageOf } from './schemas.js';
import { definitionsView } from './secret-routes.js';

/** Remediation plans, applies and back-tests definitions; the store keeps every applied version. */
export interface DefinitionsContext {
  readonly store: Pick<Store, 'listDefinitionVersions' | 'getDefinitionVersion'>;
  readonly remediation: Pick<Remediation, 'plan' | 'apply' | 'definitions' | 'secrets' | 'drift' | 'catalogue' | 'backtest'>;
}

const Files = z
  .array(z.object({ path: z.string().min(1).max(1024), text: z.string().max(1024 * 1024) }))
  .min(1, 'no definition files were given')
  .max(10_000);

/**
 * Definitions as code: plan, apply, the current set and its versions, drift across the fleet, and
 * back-testing an alarm before applying it.
 *
 * @example
 * const routes = definitionsRoutes({ store, remediation });
 */
export function definitionsRoutes(ctx: DefinitionsContext): Route[] {
  return [
    route({
      method: 'POST',
      url: '/api/v1/definitions/plan',
      summary: 'Check definition files and show what applying them would change (create/update/delete). With `?intent=apply` (what `breakwater apply` sends), the caller must hold the role apply needs (admin), so the first refusal names it.',
      role: 'operator',
      audit: 'definitions.plan',
      escalate: (q) => ((q as { intent?: unknown } | undefined)?.intent === 'apply' ? { role: 'admin', what: 'apply', audit: 'definitions.apply' } : undefined),
      body: z.object({ files: Files }),
      query: z.object({ intent: z.enum(['plan', 'apply']).optional() }),
      handler: async ({ body }) => {
        const p = ctx.remediation.plan(body.files);
        return p.ok ? { ok: true, baseVersion: p.baseVersion, diagnostics: p.diagnostics, diff: p.diff, text: p.text } : p;
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/definitions/apply',
      summary: 'Apply definition files as a new version, all or nothing, against the version they were planned on.',
      role: 'admin',
      audit: 'definitions.apply',
      body: z.object({ files: Files, baseVersion: z.number().int().nonnegative() }),
      handler: async ({ body, principal }) => ctx.remediation.apply(body.files, body.baseVersion, principal as Principal),
    }),
    route({
      method: 'GET',
      url: '/api/v1/definitions',
      summary: 'The current definitions and their version (file content for admins only; secrets without values).',
      role: 'viewer',
      handler: async ({ principal }) => {
        const current = ctx.remediation.definitions();
        return { version: current.version, definitions: definitionsView(current.definitions, principal, ctx.remediation.secrets) };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/definitions/versions',
      summary: 'Every applied version: when, by whom, what changed.',
      role: 'viewer',
      query: Page,
      handler: async ({ query }) => ctx.store.listDefinitionVersions(pageOf(query)),
    }),
    route({
      method: 'GET',
      url: '/api/v1/definitions/versions/:version',
      summary: 'One applied version with its definitions (file content for admins only; secrets without values).',
      role: 'viewer',
      params: z.object({ version: z.coerce.number().int().positive() }),
      handler: async ({ params, principal }) => {
        const v = await ctx.store.getDefinitionVersion(params.version);
        if (!v) throw new BreakwaterError('BW_ERR_NOT_FOUND', `no definitions version ${params.version}`);
        return { ...v, definitions: definitionsView(v.definitions as Definition[], principal, ctx.remediation.secrets) };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/drift',
      summary: 'Which definitions version each agent runs, and whether it is the current one.',
      role: 'viewer',
      handler: async () => ctx.remediation.drift(),
    }),
    route({
      method: 'POST',
      url: '/api/v1/backtest',
      summary: 'Replay an alarm (a definition file holding one alarm) over the agents\' stored metrics.',
      role: 'operator',
      body: z.object({ files: Files, seconds: z.number().int().positive().max(86_400).default(3600) }),
      handler: async ({ body }) => {
        const parsed = parseDefinitions(body.files, ctx.remediation.catalogue());
        if (parsed.diagnostics.length && !parsed.definitions.length) throw new BreakwaterError('BW_ERR_INVALID_REQUEST', 'the alarm definition has problems', { diagnostics: parsed.diagnostics });
        const alarm = parsed.definitions.find((d): d is AlarmDefinition => d.kind === 'alarm');
        if (!alarm) throw new BreakwaterError('BW_ERR_INVALID_REQUEST', 'the files hold no alarm to back-test');
        return { alarm: alarm.name, seconds: body.seconds, hosts: await ctx.remediation.backtest(alarm, body.seconds) };
      },
    }),
  ];
}
