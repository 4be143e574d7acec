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
 * The request's JSON body as received, when its URL is under keepRawJson's prefix.
 *
 * @example
 * const text = rawBody(request) ?? '';
 */
export function rawBody(request: FastifyRequest): string | undefined {
  return raw.get(request);
}
