/**
 * The agent's HTTP client (enrollment, Prometheus scrapes, `http_ok` checks), on node:http and
 * node:https rather than `fetch`: fetch loads undici, whose HTTP parser is WebAssembly, which costs
 * the agent megabytes of resident memory and rules out V8's lite mode.
 */
import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HttpRequest {
  readonly method?: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Whole exchange, connect to last byte. */
  readonly timeoutMs: number;
  /** Bodies beyond this are an error rather than a memory spike. */
  readonly maxBodyBytes?: number;
  /** Read the body (default) or only the status. */
  readonly readBody?: boolean;
  /** https: PEM of the CA(s) to trust instead of the system's (the control plane's own CA). */
  readonly ca?: string | undefined;
}

export interface HttpResponse {
  readonly status: number;
  readonly statusText: string;
  readonly body: string;
}

const DEFAULT_MAX_BODY = 4 * 1024 * 1024;

/**
 * One request; redirects are not followed (a health check answered with a redirect is not 2xx).
 * Rejects with a specific message on a bad URL, a network error, a timeout or an oversized body.
 *
 * @example
 * const res = await request(new URL('http://127.0.0.1:9100/metrics'), { timeoutMs: 2000 });
 */
export function request(url: URL | string, options: HttpRequest): Promise<HttpResponse> {
  let target: URL;
  try {
    target = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return Promise.reject(new InvalidUrlError(String(url)));
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return Promise.reject(new InvalidUrlError(target.href, 'only http: and https: are supported'));
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (outcome: { res: HttpResponse } | { err: Error }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if ('err' in outcome) reject(outcome.err);
      else resolve(outcome.res);
    };
    const req = send(target, { ...(options.ca ? { ca: options.ca } : {}), method: options.method ?? 'GET', headers: { ...options.headers, ...(options.body !== undefined ? { 'content-length': String(Buffer.byteLength(options.body)) } : {}) } });
    const timer = setTimeout(() => {
      settle({ err: new Error(`no answer from ${target.origin} within ${options.timeoutMs} ms`) });
      req.destroy();
    }, options.timeoutMs);
    req.on('error', (err) => settle({ err }));
    req.once('response', (res: IncomingMessage) => {
      const head = { status: res.statusCode ?? 0, statusText: res.statusMessage ?? '' };
      if (options.readBody === false) {
        settle({ res: { ...head, body: '' } });
        res.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBody) {
          settle({ err: new Error(`answer from ${target.origin} is larger than ${maxBody} bytes`) });
          res.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (err) => settle({ err }));
      res.once('end', () => settle({ res: { ...head, body: Buffer.concat(chunks).toString('utf8') } }));
    });
    req.end(options.body);
  });
}

/** The URL cannot be requested: not a URL, or not http(s). */
export class InvalidUrlError extends Error {
  constructor(
    readonly url: string,
    reason = 'not a valid URL',
  ) {
    super(`${JSON.stringify(url)}: ${reason}`);
    this.name = 'InvalidUrlError';
  }
}
