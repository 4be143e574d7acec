import type { Plan } from '../lang/index.js';
import { PlanSchema } from '../lang/index.js';
import { BreakwaterError, readQueryStream } from '../protocol/index.js';
import type { ErrorCode, QueryLine } from '../protocol/index.js';
import type { ClientTrust } from '../transport/index.js';
import { explainTlsError, fetchTrusting, trustedCa } from '../transport/index.js';

/** Where the control plane is, who we are, and which CA vouches for it: from flags, else the environment. */
export interface Endpoint {
  readonly server: string;
  readonly token: string;
  /** Unset: the system's CAs (a control plane with a publicly signed certificate). */
  readonly trust?: ClientTrust;
}

/** What to tell someone whose CLI does not trust the control plane's certificate. */
export const CLI_TRUST_HINT = 'pass --ca <data>/tls/ca.pem or set BREAKWATER_CA (or BREAKWATER_CA_FINGERPRINT to the SHA-256 the server printed)';

export function endpointFrom(flags: { server?: string; token?: string; ca?: string }, env: NodeJS.ProcessEnv): Endpoint {
  const server = flags.server ?? env.BREAKWATER_SERVER;
  const token = flags.token ?? env.BREAKWATER_TOKEN;
  if (!server) throw new BreakwaterError('BW_ERR_CONFIG', 'no control plane: pass --server URL or set BREAKWATER_SERVER (e.g. https://127.0.0.1:7070)');
  if (!/^https?:\/\//.test(server)) throw new BreakwaterError('BW_ERR_CONFIG', `--server: expected an http:// or https:// URL, found ${JSON.stringify(server)}`);
  if (!token) throw new BreakwaterError('BW_ERR_CONFIG', 'no token: pass --token or set BREAKWATER_TOKEN (the server prints an admin token on its first start)');
  const caFile = flags.ca ?? env.BREAKWATER_CA;
  const caFingerprint = flags.ca ? undefined : env.BREAKWATER_CA_FINGERPRINT;
  return { server: server.replace(/\/+$/, ''), token, ...(caFile || caFingerprint ? { trust: { caFile, caFingerprint } } : {}) };
}

/** The CA of each endpoint, read or fetched once per process (a REPL sends many requests). */
const trusted = new WeakMap<Endpoint, Promise<string | undefined>>();

/** Calls the API; a non-2xx answer becomes a BreakwaterError with the server's code and message. `signal` gives up early: a stream being read, or shell completion waiting briefly. */
export async function request(ep: Endpoint, method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
  const url = new URL(`${ep.server}${path}`);
  let res: Response;
  try {
    let ca = trusted.get(ep);
    if (!ca) trusted.set(ep, (ca = trustedCa(ep.trust ?? {}, url)));
    res = await fetchTrusting(url, {
      method,
      headers: { authorization: `Bearer ${ep.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ca: await ca,
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    if (err instanceof BreakwaterError) throw err;
    const tlsProblem = explainTlsError(err, CLI_TRUST_HINT, url);
    throw new BreakwaterError(tlsProblem && url.protocol === 'https:' ? 'BW_ERR_UNAUTHENTICATED' : 'BW_ERR_UNAVAILABLE', `cannot reach the control plane at ${ep.server}: ${tlsProblem ?? (err as Error).message}`, {}, { cause: err });
  }
  if (!res.ok) {
    const payload = (await res.json().catch(() => ({}))) as { code?: ErrorCode; message?: string; details?: Record<string, unknown> };
    throw new BreakwaterError(payload.code ?? 'BW_ERR_INTERNAL', payload.message ?? `HTTP ${res.status}`, payload.details ?? {});
  }
  return res;
}

export async function getJson<T>(ep: Endpoint, path: string, signal?: AbortSignal): Promise<T> {
  return (await (await request(ep, 'GET', path, undefined, signal)).json()) as T;
}

export async function postJson<T>(ep: Endpoint, path: string, body: unknown): Promise<T> {
  return (await (await request(ep, 'POST', path, body)).json()) as T;
}

/**
 * Reads the answer of POST /api/v1/query line by line, as the lines arrive, each checked against
 * the protocol's line types and the plan against lang's plan schema.
 *
 * @example
 * for await (const line of queryLines(await request(ep, 'POST', '/api/v1/query', { statement }))) if (line.type === 'row') rows.push(line.row);
 */
export function queryLines(res: Response): AsyncGenerator<QueryLine<Plan>> {
  return readQueryStream(responseText(res.body), PlanSchema);
}

/**
 * A response body as text chunks (UTF-8; a character split between chunks is kept whole). A
 * connection lost mid-answer (the control plane killed, a proxy cut) is BW_ERR_UNAVAILABLE: the
 * CLI reports it in one line instead of crashing with Node's bare `aborted`.
 */
export async function* responseText(body: ReadableStream<Uint8Array> | null): AsyncGenerator<string> {
  if (!body) return;
  const decoder = new TextDecoder();
  try {
    for await (const chunk of body) yield decoder.decode(chunk, { stream: true });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new BreakwaterError('BW_ERR_UNAVAILABLE', `the connection to the control plane was lost before its answer was complete (${(err as Error).message}${typeof code === 'string' ? `, ${code}` : ''}); what ran is in \`breakwater get runs\``, {}, { cause: err });
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}
