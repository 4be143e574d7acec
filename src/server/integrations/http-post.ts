import type { DeliveryOutcome } from './channel.js';

/*
 * One JSON POST for a channel, its answer read as an outcome: 2xx delivered; 408, 429 and 5xx
 * retried (a 429's or 503's Retry-After respected); other statuses, and redirects (a signed
 * delivery is not re-sent elsewhere), not retried. The receiver's answer is read up to a bound.
 */

const MAX_ANSWER_BYTES = 16 * 1024;

/** What a channel says about a refusal, from the receiver's answer (PagerDuty's `errors`). */
export type RefusalText = (status: number, answer: string) => string;

/**
 * Posts `body` (already JSON) and classifies the answer.
 *
 * @example
 * const outcome = await postJson(url, JSON.stringify(payload), { 'x-breakwater-signature': sig }, signal);
 */
export async function postJson(url: string, body: string, headers: Readonly<Record<string, string>>, signal: AbortSignal, refusal: RefusalText = (status) => `HTTP ${status}`): Promise<DeliveryOutcome> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'breakwater-outbound', ...headers }, body, signal, redirect: 'manual' });
  } catch (err) {
    return { ok: false, retry: true, error: unreachable(err) };
  }
  const answer = await readBounded(res);
  if (res.ok) return { ok: true, status: res.status };
  const retry = res.status === 408 || res.status === 429 || res.status >= 500;
  const after = retryAfterMs(res.headers.get('retry-after'));
  const error = res.status >= 300 && res.status < 400 ? `HTTP ${res.status}: redirects are not followed (a signed delivery goes only where it was configured to)` : refusal(res.status, answer);
  return { ok: false, retry, error, status: res.status, ...(after !== undefined ? { retryAfterMs: after } : {}) };
}

/** `Retry-After` in seconds (the form receivers send); an HTTP date or nonsense is ignored. */
export function retryAfterMs(header: string | null): number | undefined {
  if (header === null || !/^\d{1,6}$/.test(header.trim())) return undefined;
  return Number(header.trim()) * 1000;
}

function unreachable(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'no answer in time';
  // undici says "fetch failed"; the reason is in the cause (ECONNREFUSED, ENOTFOUND, a TLS error).
  const cause = e.cause?.code ?? e.cause?.message;
  return `unreachable: ${cause ?? e.message}`;
}

async function readBounded(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_ANSWER_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // An answer cut short still has its status.
  } finally {
    void reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, MAX_ANSWER_BYTES);
}
