import { z } from 'zod';
import type { BotDefinition, IntegrationDefinition } from '../../definitions/index.js';
import { AlertmanagerNotification, BreakwaterError, describeIssues } from '../../protocol/index.js';
import { audit } from '../audit/index.js';
import { hasRole, verifyToken } from '../auth.js';
import type { Clock, Fleet } from '../fleet/index.js';
import type { AlertmanagerIntegration, FindPod, MappedAlert } from '../integrations/index.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, mapNotification, sameText, signatureProblem } from '../integrations/index.js';
import type { Remediation } from '../remediation/index.js';
import type { Store } from '../store/index.js';
import { rawBody } from './raw-body.js';
import type { Route } from './route.js';
import { route } from './route.js';
import { Name } from './schemas.js';

/** What the integration routes read: the definitions and secrets in force, the fleet, the store. */
export interface IntegrationsContext {
  readonly store: Store;
  readonly gateway: Pick<Fleet, 'sendTo' | 'inventory'>;
  readonly remediation: Pick<Remediation, 'definitions' | 'secrets'>;
  readonly clock: Clock;
}

/** One alert's fate, as the answer lists it. */
interface AlertOutcome {
  readonly fingerprint: string;
  readonly alert: string;
  readonly outcome: 'sent' | 'repeat' | 'offline' | 'no_trigger' | 'no_target' | 'no_bot';
  readonly host?: string;
  readonly reason?: string;
}

/**
 * POST /api/v1/integrations/<name>/alertmanager: Alertmanager's webhook notification, unchanged.
 * Public at the guard: it authenticates itself, with the integration's own credentials, a
 * Breakwater token of an operator or more, or a signature (docs/integrations.md "## Alertmanager").
 * `findPod` asks the fleet which host runs a pod an alert names (podFinder, in the API).
 *
 * @example
 * const routes = integrationsRoutes({ store, gateway: fleet, remediation, clock: systemClock }, podFinder(statementContext));
 */
export function integrationsRoutes(ctx: IntegrationsContext, findPod: FindPod): Route[] {
  return [
    route({
      method: 'POST',
      url: '/api/v1/integrations/:name/alertmanager',
      summary: 'An Alertmanager webhook notification (version 4, unchanged): each alert runs the bots of its trigger on the host its labels name; the answer lists every alert\'s outcome.',
      role: 'public',
      params: z.object({ name: Name }),
      handler: async ({ params, request, body }) => {
        const integration = findIntegration(ctx, params.name, 'alertmanager');
        const principal = await authenticate(ctx, integration, request.headers, rawBody(request) ?? '');
        const parsed = AlertmanagerNotification.safeParse(body);
        if (!parsed.success) throw new BreakwaterError('BW_ERR_INVALID_REQUEST', `invalid Alertmanager notification: ${describeIssues(parsed.error)}`, { where: 'request body' });
        const n = parsed.data;
        const bots = ctx.remediation.definitions().definitions.filter((d): d is BotDefinition => d.kind === 'bot');
        const hosts = ctx.gateway.inventory();
        const alerts: AlertOutcome[] = [];
        for (const m of await mapNotification(integration, n, hosts, bots, findPod, `integration:${integration.name}`)) alerts.push(await pass(ctx, integration, principal, m));
        const counts: Record<string, number> = {};
        for (const a of alerts) counts[a.outcome] = (counts[a.outcome] ?? 0) + 1;
        return { integration: integration.name, status: n.status, counts, ...(n.truncatedAlerts ? { truncatedAlerts: n.truncatedAlerts } : {}), alerts };
      },
    }),
  ];
}

/** The integration of this name and type in the definitions in force; BW_ERR_NOT_FOUND naming those there are. */
export function findIntegration<T extends IntegrationDefinition['type']>(ctx: Pick<IntegrationsContext, 'remediation'>, name: string, type: T): Extract<IntegrationDefinition, { type: T }> {
  const all = ctx.remediation.definitions().definitions.filter((d): d is IntegrationDefinition => d.kind === 'integration');
  const found = all.find((d) => d.name === name);
  if (found?.type === type) return found as Extract<IntegrationDefinition, { type: T }>;
  const known = all.filter((d) => d.type === type).map((d) => `\`${d.name}\``);
  throw new BreakwaterError('BW_ERR_NOT_FOUND', found ? `integration \`${name}\` is of type ${found.type}, not ${type}` : `no integration \`${name}\`: ` + (known.length ? `the ${type} integrations are ${known.join(', ')}` : `the definitions in force have no ${type} integration (\`kind: integration\`, \`type: ${type}\`)`), { integration: name });
}

/** Who sends: the integration itself (its credentials or signature) or a token's holder. */
async function authenticate(ctx: IntegrationsContext, integration: AlertmanagerIntegration, headers: Record<string, string | string[] | undefined>, raw: string): Promise<string> {
  const header = typeof headers.authorization === 'string' ? headers.authorization : undefined;
  const bearer = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
  const one = (h: string) => (typeof headers[h] === 'string' ? (headers[h] as string) : undefined);
  if (bearer) {
    const own = integration.credentials === undefined ? undefined : ctx.remediation.secrets.valuesOf([integration.credentials])[integration.credentials];
    if (own !== undefined && sameText(own, bearer)) return `integration:${integration.name}`;
    const token = await verifyToken(ctx.store, bearer, ctx.clock.now());
    if (!token) throw new BreakwaterError('BW_ERR_UNAUTHENTICATED', `the bearer credentials are neither integration \`${integration.name}\`'s (its secret \`${integration.credentials ?? '(none set)'}\`) nor a valid Breakwater token`);
    if (!hasRole({ id: token.id, name: token.name, role: token.role, expiresAt: token.expiresAt }, 'operator')) {
      throw new BreakwaterError('BW_ERR_FORBIDDEN', `passing alerts to bots needs the operator role; token \`${token.name}\` is ${token.role}`, { needed: 'operator', held: token.role });
    }
    return token.name;
  }
  if (one(SIGNATURE_HEADER) !== undefined) {
    const key = integration.signingSecret === undefined ? undefined : ctx.remediation.secrets.valuesOf([integration.signingSecret])[integration.signingSecret];
    if (key === undefined) throw new BreakwaterError('BW_ERR_UNAUTHENTICATED', `the request is signed, but integration \`${integration.name}\` has no signing secret with a value (its \`signing_secret\`)`);
    const problem = signatureProblem(key, one(TIMESTAMP_HEADER), one(SIGNATURE_HEADER), raw, ctx.clock.now());
    if (problem) throw new BreakwaterError('BW_ERR_UNAUTHENTICATED', `bad signature: ${problem}`);
    return `integration:${integration.name}`;
  }
  throw new BreakwaterError('BW_ERR_UNAUTHENTICATED', `no credentials: set http_config.authorization.credentials in alertmanager.yml to integration \`${integration.name}\`'s secret or a Breakwater operator token, or sign the request (${SIGNATURE_HEADER})`);
}

/** Passes one mapped alert on (once per fingerprint and status within its bots' cooldown), audited when it goes. */
async function pass(ctx: IntegrationsContext, integration: AlertmanagerIntegration, principal: string, m: MappedAlert): Promise<AlertOutcome> {
  if (!m.ok) return { fingerprint: m.fingerprint, alert: m.alert, outcome: m.outcome, reason: m.reason };
  const base = { fingerprint: m.fingerprint, alert: m.alert, host: m.host };
  const status = m.on === 'resolved' ? 'resolved' : 'firing';
  const connected = ctx.gateway.inventory().find((h) => h.name === m.host)?.connected ?? false;
  if (!connected) return { ...base, outcome: 'offline', reason: `host \`${m.host}\` is not connected; Alertmanager sends it again at its repeat_interval` };
  const now = ctx.clock.now();
  if (!(await ctx.store.claimAlertNotification({ integration: integration.name, fingerprint: m.fingerprint, status, alert: m.alert, at: now, windowMs: m.windowMs }))) {
    return { ...base, outcome: 'repeat', reason: `already passed on within its bots' cooldown (${m.windowMs / 1000}s)` };
  }
  const sent = ctx.gateway.sendTo(m.host, { type: 'alert', name: m.alert, context: m.context, ...(m.on === 'resolved' ? { on: 'resolved' as const } : {}) });
  const detail = { integration: integration.name, status, fingerprint: m.fingerprint, host: m.host, labels: Object.fromEntries(Object.entries(m.context).filter(([k]) => k.startsWith('labels.'))) };
  await audit(ctx.store, principal, 'alert', m.alert, sent ? 'ok' : 'failed', detail, null, ctx.clock);
  return sent ? { ...base, outcome: 'sent' } : { ...base, outcome: 'offline', reason: `host \`${m.host}\` disconnected as the alert was sent` };
}
