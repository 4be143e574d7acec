/**
 * `fetch` with a CA of its own. Node's global fetch trusts only the system's CAs unless given an
 * undici dispatcher (not a dependency here); this does the same exchange over node:http(s) and
 * returns a standard `Response` whose body streams as it arrives.
 */
import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';

export interface FetchInit {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** PEM of the CA(s) to trust for https:// instead of the system's. */
  readonly ca?: string | undefined;
  readonly signal?: AbortSignal;
}

/**
 * One request; redirects are not followed. Rejects like fetch on a network or TLS error (the
 * original error, with its `code`, so callers can explain it).
 *
 * @example
 * const res = await fetchTrusting('https://127.0.0.1:7070/healthz', { ca: readFileSync('ca.pem', 'utf8') });
 */
export function fetchTrusting(url: string | URL, init: FetchInit = {}): Promise<Response> {
  const target = typeof url === 'string' ? new URL(url) : url;
  return new Promise((resolve, reject) => {
    const req = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, {
      method: init.method ?? 'GET',
      headers: { ...init.headers, ...(init.body !== undefined ? { 'content-length': String(Buffer.byteLength(init.body)) } : {}) },
      ...(init.ca ? { ca: init.ca } : {}),
      ...(init.signal ? { signal: init.signal } : {}),
    });
    req.once('error', reject);
    req.once('response', (res: IncomingMessage) => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(res.headers)) for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) headers.append(k, one);
      const status = res.statusCode ?? 500;
      // The Response constructor allows no body with these statuses.
      const empty = status === 204 || status === 205 || status === 304;
      if (empty) res.resume();
      resolve(new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status, statusText: res.statusMessage ?? '', headers }));
    });
    req.end(init.body);
  });
}
