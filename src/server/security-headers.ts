import type { FastifyInstance } from 'fastify';

/**
 * The web UI's Content-Security-Policy. The built app is one module script and stylesheets from
 * /assets, calls only its own origin (the API, server-sent events), and draws charts on a canvas;
 * React and uPlot set styles through the DOM (element.style), which style-src does not govern, so
 * no 'unsafe-inline' is needed. frame-ancestors 'none' stops other sites framing the UI
 * (clickjacking the Approve button); base-uri and form-action keep injected markup from
 * redirecting scripts or forms.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/**
 * Adds the security headers to every HTTP answer, the web UI's and the API's alike (an API answer
 * opened in a tab is a page too). Set on the raw response when the request arrives, so answers that
 * take over the socket (server-sent events, the NDJSON query stream) carry them as well: node merges
 * them into whatever writeHead sends, and a header a route sets itself still wins. Call before routes
 * are registered.
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', async (_request, reply) => {
    for (const [name, value] of Object.entries(HEADERS)) reply.raw.setHeader(name, value);
  });
}
