import type { FastifyInstance, FastifyRequest } from 'fastify';

/*
 * The JSON body as it arrived, for the routes that verify a signature over it (a parsed and
 * re-serialised body is not the bytes that were signed). Kept only under `prefix`, only for the
 * request's life, and bounded by the body limit like the body itself.
 */

const raw = new WeakMap<FastifyRequest, string>();

/** Replaces the JSON parser with fastify's own (same poisoning checks) that also keeps the text of bodies under `prefix`. */
export function keepRawJson(app: FastifyInstance, prefix: string): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (request.url.startsWith(prefix)) raw.set(request, text);
    parse(request, text, done);
  });
}

/**
 * Takes form-encoded bodies (Slack's slash commands and interactions) under `prefix` only, keeping
 * their text like keepRawJson's; elsewhere such a body is refused as an unsupported media type.
 * The fields become an object of strings (a repeated field: its last value), created without a
 * prototype so that `__proto__` is a field like any other.
 */
export function keepRawForm(app: FastifyInstance, prefix: string): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (request, body, done) => {
    if (!request.url.startsWith(prefix)) return done(Object.assign(new Error(`form-encoded bodies are taken only under ${prefix}; send JSON`), { statusCode: 415 }), undefined);
    const text = typeof body === 'string' ? body : body.toString('utf8');
    raw.set(request, text);
    const fields: Record<string, string> = Object.create(null);
    for (const [k, v] of new URLSearchParams(text)) fields[k] = v;
    done(null, fields);
  });
}

/**
 * The request's body as received, when its URL is under keepRawJson's (or keepRawForm's) prefix.
 *
 * @example
 * const text = rawBody(request) ?? '';
 */
export function rawBody(request: FastifyRequest): string | undefined {
  return raw.get(request);
}
