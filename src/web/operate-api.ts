/**
 * The calls of the operating pages (Operate, Admin, Automation) and the shapes they answer: the
 * rest of the API client, request plumbing and sign-in included, is in api.ts.
 */
import type { AlarmPrediction, BotState, Maintenance, ScheduleState, Silence, Switches } from '../protocol/index.js';
import type { Agent, Role } from './api.js';
import { getJson, postJson, sendJson } from './api.js';

// ---- silences, maintenance and bot switches (the Operate page) ----

export const silences = () => getJson<Silence[]>('/api/v1/silences');
export const createSilence = (body: { alarm: string | null; hosts: string; durationSeconds: number; reason: string }) => sendJson<Silence>('POST', '/api/v1/silences', body);
export const endSilence = (id: string) => sendJson<Silence>('DELETE', `/api/v1/silences/${encodeURIComponent(id)}`);
export const maintenance = () => getJson<Maintenance>('/api/v1/maintenance');
export const setMaintenance = (on: boolean, reason: string) => sendJson<Maintenance>('PUT', '/api/v1/maintenance', { on, reason });
export const switches = () => getJson<Switches>('/api/v1/switches');
export const switchBot = (name: string, enable: boolean, reason: string) => sendJson<Switches>('POST', `/api/v1/bots/${encodeURIComponent(name)}/${enable ? 'enable' : 'disable'}`, { reason });

// ---- admin: tokens, agents, drift, back-test (the Admin page) ----

/** A token as GET /api/v1/tokens lists it: never its secret nor its hash. */
export interface TokenInfo {
  readonly id: string;
  readonly name: string;
  readonly role: Role | 'agent';
  readonly createdAt: number;
  readonly createdBy: string | null;
  readonly expiresAt: number | null;
  readonly revokedAt: number | null;
  readonly uses: number;
  readonly maxUses: number | null;
}

/** What POST /api/v1/tokens answers: the secret (`token`), in this answer only. */
export interface CreatedToken {
  readonly id: string;
  readonly name: string;
  readonly role: TokenInfo['role'];
  readonly expiresAt: number | null;
  readonly maxUses: number | null;
  readonly token: string;
}

export interface TokenRequest {
  readonly role: TokenInfo['role'];
  readonly name: string;
  /** null: never expires; omitted: the API's default (a day for a join token, never for others). */
  readonly expiresInSeconds?: number | null;
  /** Join tokens only: how many agents it may enroll. */
  readonly uses?: number;
}

/** An agent as GET /api/v1/agents lists it, with how it was enrolled and whether its credential was revoked. */
export interface AgentInfo extends Agent {
  readonly enrolledWith: string | null;
  readonly revokedAt: number | null;
}

/** One agent's definitions version (GET /api/v1/drift); `drift` is null while it is disconnected. */
export interface DriftRow {
  readonly name: string;
  readonly connected: boolean;
  readonly version: number | null;
  readonly current: number;
  readonly drift: boolean | null;
}

/** When an alarm would have fired or cleared on a resource during a back-test. */
export interface BacktestTransition {
  readonly time: number;
  readonly resource: string;
  readonly state: 'fired' | 'cleared';
  readonly value: number | null;
  /** A predictive alarm's forecast when it fired: when its fitted line reaches the threshold. */
  readonly predicted?: AlarmPrediction;
}

/** POST /api/v1/backtest's answer: each connected host's replay of the alarm. */
export interface BacktestAnswer {
  readonly alarm: string;
  readonly seconds: number;
  readonly hosts: readonly { readonly host: string; readonly answered: boolean; readonly error: string | null; readonly transitions: readonly BacktestTransition[] }[];
}

export const tokens = () => getJson<TokenInfo[]>('/api/v1/tokens');
export const createToken = (body: TokenRequest) => postJson<CreatedToken>('/api/v1/tokens', body);
export const revokeToken = (id: string) => sendJson<{ revoked: string; agentsKept: number }>('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`);
export const agentList = () => getJson<AgentInfo[]>('/api/v1/agents');
export const drift = () => getJson<DriftRow[]>('/api/v1/drift');
export const revokeAgent = (name: string) => postJson<{ name: string; revokedAt: number; disconnected: boolean }>(`/api/v1/agents/${encodeURIComponent(name)}/revoke`, {});
export const deleteAgent = (name: string) => sendJson<{ deleted: string; disconnected: boolean }>('DELETE', `/api/v1/agents/${encodeURIComponent(name)}`);
/** Replays the alarm in `files` (definition files holding one alarm) over the last `seconds` of every connected agent's metrics. */
export const backtest = (files: readonly { path: string; text: string }[], seconds: number) => postJson<BacktestAnswer>('/api/v1/backtest', { files, seconds });

// ---- bots and schedules (the Automation page) ----

/** Every bot's state: its limits and what the fleet did with them. */
export const bots = () => getJson<BotState[]>('/api/v1/bots');
export const schedules = () => getJson<ScheduleState[]>('/api/v1/schedules');
/** POST /api/v1/schedules/:name/run (operator): answers when the run has ended. */
export const runSchedule = (name: string) => postJson<{ runId: string | null; targets: number; failed: number; durationMs: number }>(`/api/v1/schedules/${encodeURIComponent(name)}/run`, {});
