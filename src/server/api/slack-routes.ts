import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal } from '../auth.js';
import { BreakwaterError, SLACK_ACTIONS, SlackCommand, SlackInteraction, describeIssues } from '../../protocol/index.js';
import { audit } from '../audit/index.js';
import { hasRole } from '../auth.js';
import { systemClock } from '../fleet/index.js';
import type { SlackIntegration, SlackMessage, SlackSenderOptions } from '../integrations/index.js';
import { SLACK_SIGNATURE_HEADER, SLACK_TIMESTAMP_HEADER, SlackSender, confirmMessage, decisionMessage, noticeMessage, runMessage, slackHelp, slackPrincipal, slackRequest, slackResponseProblem, slackSignatureProblem } from '../integrations/index.js';
import type { Remediation } from '../remediation/index.js';
import type { StatementContext } from '../query/run-statement.js';
import { outcomeOf, runStatement } from '../query/run-statement.js';
import { findIntegration } from './integrations-routes.js';
import { rawBody } from './raw-body.js';
import type { Route } from './route.js';
import { route } from './route.js';
import { Name } from './schemas.js';

/** What Slack's routes read: statements run as the API runs them, approvals, definitions and secrets. */
export interface SlackRoutesContext extends StatementContext {
  readonly remediation: Pick<Remediation, 'definitions' | 'secrets' | 'decide'>;
  /** The web UI's address for links (`https://breakwater.example.com`); default: the address Slack called. */
  readonly webUrl?: string | undefined;
  /** How long an answer may take before Slack is answered "running" and the result posted to response_url. */
  readonly slackAnswerMs?: number;
  /** How answers are posted to response_url (tests: waits). */
  readonly slackSender?: SlackSenderOptions;
}

/** Slack wants an answer within 3 s; what is not done by then is posted to response_url. */
const ANSWER_MS = 2500;

/**
 * POST /api/v1/integrations/<name>/slack/commands and .../slack/interactions: Slack's slash
 * command and button clicks, each verified with the integration's signing secret. Public at the
 * guard: Slack's signature is the credential (docs/integrations.md "## Slack").
 *
 * @example
 * const routes = slackRoutes({ ...statements(), remediation });
 */
export function slackRoutes(ctx: SlackRoutesContext): Route[] {
  return [
    route({
      method: 'POST',
      url: '/api/v1/integrations/:name/slack/commands',
      summary: 'A Slack slash command (`/breakwater run <pipeline>`, `/breakwater help`), form-encoded and signed by Slack. Runs as the Slack user\'s mapped principal; answers within 3 s, the rest through response_url.',
      role: 'public',
      params: z.object({ name: Name }),
      handler: async ({ params, request }) => {
        const integration = verified(ctx, params.name, request);
        const cmd = parse(SlackCommand, request.body, 'slash command');
        await answerable(ctx, integration, cmd.user_id, 'slack.command', `${cmd.command} ${cmd.text}`, cmd.response_url);
        const who = await principalOf(ctx, integration, cmd.user_id, 'slack.command', `${cmd.command} ${cmd.text}`);
        if (!who) return refusal(integration);
        const asked = slackRequest(cmd.text);
        await audit(ctx.store, who.name, 'slack.command', `${cmd.command} ${cmd.text}`.slice(0, 1024), 'ok', { integration: integration.name, user: cmd.user_id, ...(cmd.channel_id ? { channel: cmd.channel_id } : {}) });
        if (asked.verb !== 'run') return slackHelp(cmd.command, who, asked.verb === 'unknown' ? asked.word : undefined);
        return answerSoon(ctx, integration, who, run(ctx, asked.statement, who, webUrl(ctx, request), false), cmd.response_url);
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/integrations/:name/slack/interactions',
      summary: 'A Slack interaction (a button clicked: Approve or Deny an approval, confirm a run past the blast-radius limit), form-encoded and signed by Slack. Acknowledged at once; the outcome is posted to response_url.',
      role: 'public',
      params: z.object({ name: Name }),
      handler: async ({ params, request, reply }) => {
        const integration = verified(ctx, params.name, request);
        const p = parse(SlackInteraction, payloadOf(request.body), 'interaction payload');
        const action = p.actions[0] as SlackInteraction['actions'][number];
        await answerable(ctx, integration, p.user.id, 'slack.interaction', `${action.action_id} ${action.value ?? ''}`, p.response_url);
        const who = await principalOf(ctx, integration, p.user.id, 'slack.interaction', `${action.action_id} ${action.value ?? ''}`);
        if (who) await audit(ctx.store, who.name, 'slack.interaction', `${action.action_id} ${action.value ?? ''}`.slice(0, 1024), 'ok', { integration: integration.name, user: p.user.id });
        const work = who ? act(ctx, integration, who, action, webUrl(ctx, request)) : Promise.resolve(refusal(integration));
        void deliver(ctx, integration, who?.name ?? `slack:${p.user.id}`, work, p.response_url);
        return reply.status(200).send('');
      },
    }),
  ];
}

/** The integration, once the request is shown to be Slack's: 401 otherwise (audited by the error handler). */
function verified(ctx: SlackRoutesContext, name: string, request: FastifyRequest): SlackIntegration {
  const integration = findIntegration(ctx, name, 'slack');
  const key = integration.signingSecret === undefined ? undefined : ctx.remediation.secrets.valuesOf([integration.signingSecret])[integration.signingSecret];
  if (key === undefined) throw new BreakwaterError('BW_ERR_UNAUTHENTICATED', `integration \`${integration.name}\` has no signing secret with a value (its \`signing_secret\`): Slack's requests cannot be verified`);
  const header = (h: string) => (typeof request.headers[h] === 'string' ? (request.headers[h] as string) : undefined);
  const problem = slackSignatureProblem(key, header(SLACK_TIMESTAMP_HEADER), header(SLACK_SIGNATURE_HEADER), rawBody(request) ?? '', ctx.clock?.now() ?? Date.now());
  if (problem) throw new BreakwaterError('BW_ERR_UNAUTHENTICATED', `not a request signed by Slack for integration \`${integration.name}\`: ${problem}`);
  return integration;
}

/** Refuses (400, audited as denied) a request whose response_url is not where the integration lets answers go. */
async function answerable(ctx: SlackRoutesContext, integration: SlackIntegration, userId: string, action: 'slack.command' | 'slack.interaction', asked: string, responseUrl: string | undefined): Promise<void> {
  const problem = responseUrl === undefined ? undefined : slackResponseProblem(integration, responseUrl);
  if (!problem) return;
  await audit(ctx.store, slackPrincipal(integration, userId)?.name ?? `slack:${userId}`, action, asked.slice(0, 1024), 'denied', { integration: integration.name, user: userId, reason: problem });
  throw new BreakwaterError('BW_ERR_INVALID_REQUEST', `refused: ${problem}; nothing was run or decided`, { where: 'request body' });
}

type Schema<T> = { safeParse(v: unknown): { success: true; data: T } | { success: false; error: z.ZodError } };

function parse<T>(schema: Schema<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new BreakwaterError('BW_ERR_INVALID_REQUEST', `invalid ${what}: ${describeIssues(r.error)}`, { where: 'request body' });
  return r.data;
}

/** An interaction's form field `payload`, a JSON text. */
function payloadOf(body: unknown): unknown {
  const text = body && typeof body === 'object' ? (body as Record<string, unknown>).payload : undefined;
  if (typeof text !== 'string') throw new BreakwaterError('BW_ERR_INVALID_REQUEST', 'invalid interaction: expected the form field `payload` (JSON), as Slack sends interactions', { where: 'request body' });
  try {
    return JSON.parse(text);
  } catch {
    throw new BreakwaterError('BW_ERR_INVALID_REQUEST', 'invalid interaction: the form field `payload` is not JSON', { where: 'request body' });
  }
}

/** The user's principal; a refused (unmapped) user is audited as denied and gets undefined. */
async function principalOf(ctx: SlackRoutesContext, integration: SlackIntegration, userId: string, action: 'slack.command' | 'slack.interaction', asked: string): Promise<Principal | undefined> {
  const who = slackPrincipal(integration, userId);
  if (!who) await audit(ctx.store, `slack:${userId}`, action, asked.slice(0, 1024), 'denied', { integration: integration.name, user: userId, reason: 'unmapped user' });
  return who;
}

/** Slack shows a 200's message to the user; a refusal is one (the audit has it as denied). */
function refusal(integration: SlackIntegration): SlackMessage {
  return noticeMessage(`Your Slack user is not mapped to a Breakwater principal in integration \`${integration.name}\` (its \`users\`), and it refuses unmapped users. Ask an admin to add you.`);
}

function webUrl(ctx: SlackRoutesContext, request: FastifyRequest): string {
  if (ctx.webUrl) return ctx.webUrl.replace(/\/+$/, '');
  return `${request.protocol}://${request.host}`;
}

/** Runs a statement through the API's own path (roles, policy, blast radius, audit): its answer as a message. */
async function run(ctx: SlackRoutesContext, statement: string, who: Principal, web: string, yes: boolean): Promise<SlackMessage> {
  try {
    const o = await outcomeOf(runStatement(ctx, { statement, principal: who, ...(yes ? { yes } : {}) }));
    const rows = [...o.result.rows, ...o.result.failures];
    return runMessage({ statement, rows, columns: o.plan.columns, targets: o.result.targets, failed: o.failed, durationMs: o.durationMs, runUrl: o.runId ? `${web}/runs/${o.runId}` : undefined });
  } catch (err) {
    if (err instanceof BreakwaterError && err.code === 'BW_ERR_CONFIRMATION_REQUIRED') return confirmMessage(statement, Number(err.details.targets), Number(err.details.limit));
    return failure(err);
  }
}

function failure(err: unknown): SlackMessage {
  const e = err instanceof BreakwaterError ? err : new BreakwaterError('BW_ERR_INTERNAL', (err as Error).message);
  return noticeMessage(`✗ ${e.code}: ${e.message}`);
}

/** A button: approve or deny through remediation's decision (as the API's), or confirm a run. */
async function act(ctx: SlackRoutesContext, integration: SlackIntegration, who: Principal, action: SlackInteraction['actions'][number], web: string): Promise<SlackMessage> {
  const value = action.value ?? '';
  if (action.action_id === SLACK_ACTIONS.confirmRun) return run(ctx, value, who, web, true);
  const approve = action.action_id === SLACK_ACTIONS.approve;
  if (!approve && action.action_id !== SLACK_ACTIONS.deny) return noticeMessage(`✗ unknown button \`${action.action_id.slice(0, 64)}\``);
  const verb = approve ? 'approve' : 'deny';
  if (!hasRole(who, 'operator')) {
    await audit(ctx.store, who.name, `approval.${verb}`, value.slice(0, 128), 'denied', { integration: integration.name, needed: 'operator', held: who.role });
    return noticeMessage(`✗ BW_ERR_FORBIDDEN: deciding approvals needs the operator role; you act as ${who.name} (${who.role})`);
  }
  try {
    const approval = await ctx.store.getApproval(value);
    const decided = await ctx.remediation.decide(value, approve, who);
    return decisionMessage(approval ?? { bot: '?', action: '?', resource: value }, decided.status, who.name, decided.runId ? `${web}/runs/${decided.runId}` : undefined);
  } catch (err) {
    return failure(err);
  }
}

/** The answer if it is ready within the budget; else "running", and the answer to response_url when done. */
async function answerSoon(ctx: SlackRoutesContext, integration: SlackIntegration, who: Principal, work: Promise<SlackMessage>, responseUrl: string | undefined): Promise<SlackMessage> {
  if (!responseUrl) return work;
  let cancel = () => {};
  const late = new Promise<undefined>((resolve) => (cancel = (ctx.clock ?? systemClock).setTimeout(() => resolve(undefined), ctx.slackAnswerMs ?? ANSWER_MS)));
  const first = await Promise.race([work, late]);
  cancel();
  if (first) return first;
  void deliver(ctx, integration, who.name, work, responseUrl);
  return noticeMessage('Running… the answer follows here when the run ends.');
}

/** Posts a message to response_url once it is ready; a failed post is audited (nowhere else to say it). */
async function deliver(ctx: SlackRoutesContext, integration: SlackIntegration, who: string, work: Promise<SlackMessage>, responseUrl: string): Promise<void> {
  const d = await new SlackSender({ webhookUrl: responseUrl }, ctx.slackSender).send(await work);
  if (!d.ok) await audit(ctx.store, who, 'slack.respond', integration.name, 'failed', { status: d.status, error: d.error, attempts: d.attempts }).catch(() => undefined);
}
