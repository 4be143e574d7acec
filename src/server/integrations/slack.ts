import type { IntegrationDefinition } from '../../definitions/index.js';
import { SLACK_RESPONSE_ORIGINS } from '../../definitions/index.js';
import type { Principal } from '../auth.js';
import type { SlackMessage } from './slack-blocks.js';
import { noticeMessage } from './slack-blocks.js';

/*
 * Who a Slack user is in Breakwater, and what a slash command's text asks for
 * (docs/integrations.md "## Slack").
 */

export type SlackIntegration = Extract<IntegrationDefinition, { type: 'slack' }>;

/**
 * The principal a Slack user acts as: the integration's `users` entry, else a viewer named
 * `slack:<user id>` when `unmapped: viewer`, else none (refused).
 *
 * @example
 * slackPrincipal(integration, 'U012AB3CD') // { id: 'slack:ops-chat:U012AB3CD', name: 'alice', role: 'operator' }
 */
export function slackPrincipal(integration: SlackIntegration, userId: string): Principal | undefined {
  const id = `slack:${integration.name}:${userId}`;
  const mapped = Object.hasOwn(integration.users, userId) ? integration.users[userId] : undefined;
  if (mapped) return { id, name: mapped.principal, role: mapped.role };
  return integration.unmapped === 'viewer' ? { id, name: `slack:${userId}`, role: 'viewer' } : undefined;
}

/**
 * Why the control plane will not post to a request's `response_url`, or undefined when its origin is
 * one of the integration's `response_origins` (Slack's hooks by default). A signed request is Slack's,
 * but a leaked signing secret must not turn the control plane into a poster to any address.
 *
 * @example
 * slackResponseProblem(integration, 'http://10.0.0.5/admin') // 'response_url points to http://10.0.0.5, not one of …'
 */
export function slackResponseProblem(integration: SlackIntegration, responseUrl: string): string | undefined {
  let origin: string;
  try {
    origin = new URL(responseUrl).origin;
  } catch {
    return 'response_url is not an absolute URL';
  }
  const allowed = integration.responseOrigins ?? SLACK_RESPONSE_ORIGINS;
  if (allowed.includes(origin)) return undefined;
  return `response_url points to ${origin}, not one of integration \`${integration.name}\`'s response_origins (${allowed.join(', ')})`;
}

/** What a slash command's text asks for. */
export type SlackRequest = { readonly verb: 'help' } | { readonly verb: 'run'; readonly statement: string } | { readonly verb: 'unknown'; readonly word: string };

/**
 * Reads `run <pipeline>` or `help` (and nothing, which is help).
 *
 * @example
 * slackRequest('run host | where cpu_usage > 90') // { verb: 'run', statement: 'host | where cpu_usage > 90' }
 */
export function slackRequest(text: string): SlackRequest {
  const t = text.trim();
  const [word = '', ...rest] = t.split(/\s+/);
  if (word === '' || word === 'help') return { verb: 'help' };
  if (word === 'run') {
    const statement = t.slice(3).trim();
    return statement && rest.length ? { verb: 'run', statement } : { verb: 'help' };
  }
  return { verb: 'unknown', word: word.slice(0, 40) };
}

/** The slash command's usage, as its answer to `help` and to what it does not know. */
export function slackHelp(command: string, who: Principal, unknown?: string): SlackMessage {
  const c = command.slice(0, 64);
  return noticeMessage(
    [
      ...(unknown !== undefined ? [`Unknown subcommand \`${unknown.replace(/`/g, "'")}\`.`] : []),
      `*${c} run <pipeline>*: runs a pipeline across the fleet, as \`breakwater run\` does, e.g. \`${c} run host | where disk_usage > 90\``,
      `*${c} help*: this text.`,
      `You act as *${who.name}* (${who.role}). Commands and actions obey the same roles, policy, blast-radius limit and audit as the CLI.`,
    ].join('\n'),
  );
}
