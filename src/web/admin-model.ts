/**
 * What the Admin page shows of tokens, agents and back-tests, as plain functions (the page's
 * components only lay them out).
 */
import type { Role } from './api.js';
import type { AgentInfo, BacktestAnswer, BacktestTransition, DriftRow, TokenInfo } from './operate-api.js';
import { ApiError, errorMessage } from './api.js';
import { BY_NAME } from './format.js';

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/**
 * Why a role cannot use a part of the Admin page, in words (as the Audit page says it for the
 * audit log), or undefined when it can.
 *
 * @example
 * refusalFor('viewer', 'admin', 'manage tokens') // 'Your role (viewer) cannot manage tokens; ask an admin for a token with the admin role.'
 */
export function refusalFor(held: Role, needed: Role, what: string): string | undefined {
  return RANK[held] >= RANK[needed] ? undefined : `Your role (${held}) cannot ${what}; ask an admin for a token with the ${needed} role.`;
}

/** Lifetimes offered for a new token (seconds; null: never expires). */
export const TOKEN_LIFETIMES: readonly { readonly label: string; readonly seconds: number | null }[] = [
  { label: '1 hour', seconds: 3600 },
  { label: '1 day', seconds: 86_400 },
  { label: '30 days', seconds: 30 * 86_400 },
  { label: '90 days', seconds: 90 * 86_400 },
  { label: '1 year', seconds: 365 * 86_400 },
  { label: 'never', seconds: null },
];

export type TokenState = 'active' | 'revoked' | 'expired' | 'used up';

/**
 * Whether a token still works: revoked wins, then expired, then (a join token) every use spent.
 *
 * @example
 * tokenState({ ...t, expiresAt: Date.now() - 1 }, Date.now()) // 'expired'
 */
export function tokenState(t: TokenInfo, now: number): TokenState {
  if (t.revokedAt !== null) return 'revoked';
  if (t.expiresAt !== null && t.expiresAt <= now) return 'expired';
  if (t.role === 'agent' && t.maxUses !== null && t.uses >= t.maxUses) return 'used up';
  return 'active';
}

/** Uses as "used/max": only join tokens count them (a user token is used for every call). */
export function usesText(t: TokenInfo): string {
  if (t.role !== 'agent') return '—';
  return `${t.uses}/${t.maxUses === null ? 'any' : t.maxUses}`;
}

/** One row of the agents table: the inventory joined with each agent's definitions version. */
export interface AgentRow {
  readonly agent: AgentInfo;
  readonly version: number | null;
  readonly current: number | null;
  /** true: runs another version than the current one; null: not known (disconnected). */
  readonly drift: boolean | null;
  /** The agent's own version, as it reported it when it connected. */
  readonly agentVersion: string;
}

/** The inventory and drift joined by agent name, sorted by name as the CLI sorts hosts. */
export function agentRows(agents: readonly AgentInfo[], drift: readonly DriftRow[]): AgentRow[] {
  const byName = new Map(drift.map((d) => [d.name, d]));
  return [...agents]
    .sort((a, b) => BY_NAME.compare(a.name, b.name))
    .map((agent) => {
      const d = byName.get(agent.name);
      const reported = agent.attributes.agent_version;
      return { agent, version: d?.version ?? null, current: d?.current ?? null, drift: d?.drift ?? null, agentVersion: typeof reported === 'string' ? reported : '' };
    });
}

/** A transition of a back-test with the host that reported it. */
export interface HostTransition extends BacktestTransition {
  readonly host: string;
}

/** A back-test's answer summed up: how often and where the alarm would have fired. */
export interface BacktestSummary {
  /** How many times it would have fired, across all hosts. */
  readonly firings: number;
  readonly hostsFired: number;
  readonly hosts: readonly { readonly host: string; readonly firings: number; readonly firingAtEnd: number; readonly error: string | null }[];
  /** Every transition, newest first. */
  readonly transitions: readonly HostTransition[];
}

/**
 * Sums up a back-test: per host, how many times the alarm fired and on how many resources it was
 * still firing at the end of the window; and all transitions, newest first.
 *
 * @example
 * summarizeBacktest(answer).firings // 3
 */
export function summarizeBacktest(answer: BacktestAnswer): BacktestSummary {
  const hosts = answer.hosts
    .map((h) => {
      const last = new Map<string, BacktestTransition['state']>();
      for (const t of [...h.transitions].sort((a, b) => a.time - b.time)) last.set(t.resource, t.state);
      return { host: h.host, firings: h.transitions.filter((t) => t.state === 'fired').length, firingAtEnd: [...last.values()].filter((s) => s === 'fired').length, error: h.error };
    })
    .sort((a, b) => BY_NAME.compare(a.host, b.host));
  const transitions = answer.hosts.flatMap((h) => h.transitions.map((t) => ({ ...t, host: h.host }))).sort((a, b) => b.time - a.time || BY_NAME.compare(a.host, b.host));
  return { firings: hosts.reduce((n, h) => n + h.firings, 0), hostsFired: hosts.filter((h) => h.firings > 0).length, hosts, transitions };
}

/** Hours offered for a back-test's window (the API allows up to 24 h). */
export const BACKTEST_HOURS: readonly number[] = [1, 3, 6, 12, 24];

/**
 * A back-test's definition file for an alarm written as an expression: `query` selects the hosts,
 * `fire` is the condition (the YAML quotes both, so any expression text stays one value).
 *
 * @example
 * expressionAlarm('host', 'cpu_usage > 90') // 'kind: alarm\nname: backtest\nquery: "host"\nfire: "cpu_usage > 90"\n'
 */
export function expressionAlarm(query: string, fire: string): string {
  return `kind: alarm\nname: backtest\nquery: ${JSON.stringify(query)}\nfire: ${JSON.stringify(fire)}\n`;
}

/**
 * A refused back-test in words: the API's message, then each problem it found in the alarm (its
 * `diagnostics`: code and message), so a typo in an expression is named rather than summed up.
 *
 * @example
 * backtestProblems(err) // ['BW_ERR_INVALID_REQUEST: the alarm definition has problems', 'BWD_BAD_QUERY: unknown metric `disk_usge`']
 */
export function backtestProblems(err: unknown): string[] {
  const diagnostics = err instanceof ApiError && Array.isArray(err.details.diagnostics) ? (err.details.diagnostics as unknown[]) : [];
  const lines = diagnostics.map((d) => {
    const { code, message } = (d ?? {}) as { code?: unknown; message?: unknown };
    return typeof message === 'string' ? `${typeof code === 'string' ? `${code}: ` : ''}${message}` : JSON.stringify(d);
  });
  return [errorMessage(err), ...lines];
}
