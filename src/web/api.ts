/**
 * The web UI's client of the public HTTP API (the same endpoints the CLI uses; no private ones).
 * The user's token is kept in sessionStorage: it is gone when the tab closes (new tabs of the
 * session are handed it by an open one: session-share.ts).
 */
import type { Catalogue, Plan } from '../lang/index.js';
import { PlanSchema } from '../lang/index.js';
import type { Approval, AuditEntry, ErrorLine, FleetEvent, QueryLine as ProtocolQueryLine, ResultRow, Run, RunWithResults } from '../protocol/index.js';
import { readQueryStream } from '../protocol/index.js';

const TOKEN_KEY = 'breakwater.token';

export type Role = 'viewer' | 'operator' | 'admin';

const ROLE_RANK: Readonly<Record<Role, number>> = { viewer: 1, operator: 2, admin: 3 };

/** Whether `role` holds at least `needed` (viewer < operator < admin), as the control plane checks. */
export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[needed];
}

export interface Whoami {
  readonly name: string;
  readonly role: Role;
  readonly may: string;
}

export interface Agent {
  readonly name: string;
  readonly id: string;
  readonly status: 'connected' | 'disconnected';
  readonly lastSeenAt: number | null;
  readonly tags: Record<string, string>;
  readonly attributes: Record<string, unknown>;
}

/** An error answer of the API: `{code, message, details}`. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** What went wrong, for an error box: an API error's code and message, or another error's message. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

export function savedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function saveToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

async function request(path: string, init: RequestInit = {}, token = savedToken()): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  if (init.body) headers.set('content-type', 'application/json');
  const res = await fetch(path, { ...init, headers });
  if (!res.ok) {
    let body: { code?: string; message?: string; details?: Record<string, unknown> } = {};
    try {
      body = (await res.json()) as typeof body;
    } catch {
      // not JSON: keep the status text
    }
    throw new ApiError(body.code ?? `HTTP_${res.status}`, body.message ?? res.statusText, res.status, body.details ?? {});
  }
  return res;
}

export async function getJson<T>(path: string, token?: string): Promise<T> {
  const res = await request(path, {}, token ?? savedToken());
  return (await res.json()) as T;
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  const res = await request(path, { method: 'POST', body: JSON.stringify(body) });
  return (await res.json()) as T;
}

export const whoami = (token?: string) => getJson<Whoami>('/api/v1/whoami', token);
export const agents = () => getJson<Agent[]>('/api/v1/agents');
export const catalogue = () => getJson<Catalogue>('/api/v1/catalogue');

/** One NDJSON line of POST /api/v1/query, its plan checked against the language's plan schema. */
export type QueryLine = ProtocolQueryLine<Plan>;

export interface QueryRequest {
  readonly statement: string;
  readonly dryRun?: boolean;
  readonly yes?: boolean;
  /** The stored runbook's cell (index from 0) the statement is run from: the run is recorded as that runbook's. */
  readonly runbook?: { readonly id: string; readonly cell: number };
}

/**
 * Runs a statement and calls `onLine` for each NDJSON line as it arrives (fetch + ReadableStream).
 * Refusals before the stream starts (permissions, blast radius, bad statement) throw ApiError.
 */
export async function streamQuery(body: QueryRequest, onLine: (line: QueryLine) => void, signal?: AbortSignal): Promise<void> {
  const res = await request('/api/v1/query', { method: 'POST', body: JSON.stringify(body), ...(signal ? { signal } : {}) });
  if (!res.body) throw new ApiError('BW_ERR_INTERNAL', 'the answer has no body', res.status);
  for await (const line of readQueryStream(textChunks(res.body), PlanSchema)) onLine(line);
}

/** A response body as text chunks, through a reader: not every browser's streams are async-iterable. */
async function* textChunks(body: ReadableStream<BufferSource>): AsyncGenerator<string> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    yield value;
  }
}

/** Runs a statement to the end and returns its rows (for the Fleet page's periodic queries). */
export async function query(statement: string, signal?: AbortSignal): Promise<{ rows: ResultRow[]; failures: ResultRow[]; plan?: Plan }> {
  const rows: ResultRow[] = [];
  const failures: ResultRow[] = [];
  let plan: Plan | undefined;
  let error: ErrorLine | undefined;
  await streamQuery(
    { statement },
    (line) => {
      if (line.type === 'row') (line.row.status === 'ok' ? rows : failures).push(line.row);
      else if (line.type === 'plan') plan = line.plan;
      else if (line.type === 'error') error = line;
    },
    signal,
  );
  if (error) throw new ApiError(error.code, error.message, 200, error.details);
  return plan ? { rows, failures, plan } : { rows, failures };
}

/** One message of GET /api/v1/query/live: an answer, or why this evaluation failed (the next one tries again). */
export type LiveMessage =
  | { type: 'result'; time: number; rows: ResultRow[]; failures: ResultRow[]; agentsAsked: number; agentsAnswered: number; durationMs: number }
  | { type: 'error'; code: string; message: string; details?: Record<string, unknown> };

/** Whether answers are arriving; `error` says why not when the control plane refused the stream. */
export interface LiveState {
  readonly live: boolean;
  readonly error?: string;
  /** The control plane did not answer at all (down, or the network in between), rather than refusing. */
  readonly unreachable?: boolean;
}

/**
 * Whether a failed request never reached a working control plane: fetch rejects with a bare
 * TypeError ("Failed to fetch"), which says nothing to an operator, or a gateway or a stopping
 * server answers 502/503/504 without the API's error body. An API error or an abort is not that.
 *
 * @example
 * catch (err) { if (unreachable(err)) showRetrying(); else showError(err); }
 */
export function unreachable(err: unknown): boolean {
  if (err instanceof ApiError) return err.code.startsWith('HTTP_') && [502, 503, 504].includes(err.status);
  return (err as Error | undefined)?.name !== 'AbortError';
}

/** One server-sent message of a live query; one that is not JSON becomes an error message rather than an exception. */
export function parseLive(data: string): LiveMessage {
  try {
    return JSON.parse(data) as LiveMessage;
  } catch {
    return { type: 'error', code: 'BW_ERR_INTERNAL', message: `the live query sent a message that is not JSON: ${data.slice(0, 80)}` };
  }
}

/** After a refusal, how long before asking again (the control plane may be back, a tab closed). */
const LIVE_RETRY_MS = 5000;

/**
 * A read-only statement the control plane re-runs `every` (e.g. `2s`) and pushes as server-sent
 * events (GET /api/v1/query/live; the token in the URL as for eventStream). After a network error
 * the browser reconnects by itself; a refusal (a revoked token, too many live queries) closes the
 * source without saying why, so the same URL is asked once with fetch to learn it, then retried.
 */
export function liveQuery(statement: string, every: string, onMessage: (m: LiveMessage) => void, onState: (s: LiveState) => void): () => void {
  const path = `/api/v1/query/live${queryString({ q: statement, every })}`;
  let source: EventSource | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const probe = new AbortController();
  const refusal = async (): Promise<LiveState> => {
    try {
      const res = await request(path, { signal: probe.signal });
      await res.body?.cancel();
      return { live: false, error: 'the live query was interrupted' };
    } catch (err) {
      return { live: false, error: (err as Error).message, unreachable: unreachable(err) };
    }
  };
  const connect = () => {
    source = new EventSource(`${path}&token=${encodeURIComponent(savedToken() ?? '')}`);
    source.onopen = () => onState({ live: true });
    source.onmessage = (m: MessageEvent<string>) => onMessage(parseLive(m.data));
    source.onerror = () => {
      if (source?.readyState !== EventSource.CLOSED) return onState({ live: false });
      void refusal().then((state) => {
        if (probe.signal.aborted) return;
        onState(state);
        retry = setTimeout(connect, LIVE_RETRY_MS);
      });
    };
  };
  connect();
  return () => {
    probe.abort();
    clearTimeout(retry);
    source?.close();
  };
}

// ---- events, approvals, audit (the Alarms & events and Audit pages) ----

export type { FleetEvent };

export interface EventFilter {
  readonly type?: string;
  readonly host?: string;
  readonly alarm?: string;
  /** A part of the host, alarm, bot or message, any case. */
  readonly text?: string;
  readonly limit?: number;
}

function queryString(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** GET /api/v1/events: newest first. */
export const events = (f: EventFilter = {}) => getJson<FleetEvent[]>(`/api/v1/events${queryString({ type: f.type, host: f.host, alarm: f.alarm, text: f.text, limit: f.limit })}`);

/**
 * Live events (GET /api/v1/events/stream, server-sent events). EventSource cannot send an
 * Authorization header, so the token goes in the URL; this route alone accepts it there.
 */
export function eventStream(onEvent: (e: FleetEvent) => void, onState: (live: boolean) => void): () => void {
  const token = savedToken() ?? '';
  const source = new EventSource(`/api/v1/events/stream?token=${encodeURIComponent(token)}`);
  source.onopen = () => onState(true);
  source.onerror = () => onState(false);
  source.onmessage = (m: MessageEvent<string>) => {
    try {
      onEvent(JSON.parse(m.data) as FleetEvent);
    } catch {
      // not an event: ignore
    }
  };
  return () => source.close();
}

export const pendingApprovals = () => getJson<Approval[]>('/api/v1/approvals?status=pending');
export const decideApproval = (id: string, approve: boolean) => postJson<{ status: string; runId: string | null }>(`/api/v1/approvals/${encodeURIComponent(id)}/${approve ? 'approve' : 'deny'}`, {});

export type { Approval, AuditEntry };

/** GET /api/v1/audit (operator role): newest first; `text` is a part of the principal, action or target, any case. */
export const auditLog = (f: { principal?: string; action?: string; text?: string; limit?: number } = {}) => getJson<AuditEntry[]>(`/api/v1/audit${queryString({ principal: f.principal, action: f.action, text: f.text, limit: f.limit })}`);

// ---- runbooks (the Runbooks page) ----

/** A request with a JSON body (or none) answered with JSON: PUT, DELETE, POST. */
export async function sendJson<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const res = await request(path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return (await res.json()) as T;
}

// ---- runs (the Runs page) ----

/** GET /api/v1/runs with its filters (the query string the Runs page builds, runs-url.ts): newest first. */
export const runs = (query: Record<string, string | number | undefined>) => getJson<Run[]>(`/api/v1/runs${queryString(query)}`);

/** GET /api/v1/runs/:id: the run and each resource's result with its output. */
export const run = (id: string) => getJson<RunWithResults>(`/api/v1/runs/${encodeURIComponent(id)}`);
