import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { isWebPage } from '../protocol/index.js';
import type { Precompressed } from './accept-encoding.js';
import { PRECOMPRESSED, pickEncoding } from './accept-encoding.js';

/** A file served, with the precompressed variants the build left next to it (`app.js.br`, `app.js.gz`). */
interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
  readonly immutable: boolean;
  readonly encoded: ReadonlyMap<Precompressed, Buffer>;
}

/** The file name suffix of each precompressed variant (tools/compress-web.mjs writes them). */
const SUFFIX: Record<Precompressed, string> = { br: '.br', gzip: '.gz' };

/**
 * Serves the built web UI (dist/web, from `npm run build`) at `/`. Only files present at start-up
 * are served (no path from a request touches the file system); the UI's own pages (`/fleet`,
 * `/runs/<id>`: protocol's isWebPage) get index.html, so they load the app. Any other path is a
 * 404: the catalogue's JSON error under `/api/`, a plain one elsewhere (a scraper or a script
 * asking for a URL that does not exist must not read the UI's 200), except that a browser
 * navigating there (Accept: text/html) gets index.html with the 404, so the UI says "page not
 * found" with links to its pages. Hashed assets are
 * cached for a year, index.html is revalidated every time. No token is needed: the app asks for
 * one and calls the API with it. Security headers (CSP, nosniff, ...) come from security-headers.ts.
 * A file with brotli or gzip variants beside it (made at build time) is sent in the best encoding
 * the request's Accept-Encoding allows, as it is otherwise; the variants are not URLs of their own.
 */
export function registerWebAssets(app: FastifyInstance, dir = defaultWebDir()): void {
  const files = new Map<string, StaticFile>();
  if (existsSync(join(dir, 'index.html'))) {
    const paths = readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name));
    const present = new Set(paths);
    const isVariant = (full: string) => PRECOMPRESSED.some((c) => full.endsWith(SUFFIX[c]) && present.has(full.slice(0, -SUFFIX[c].length)));
    for (const full of paths.filter((p) => !isVariant(p))) {
      const url = `/${relative(dir, full).split(sep).join('/')}`;
      const encoded = new Map(PRECOMPRESSED.filter((c) => present.has(full + SUFFIX[c])).map((c) => [c, readFileSync(full + SUFFIX[c])] as const));
      files.set(url, { body: readFileSync(full), type: TYPES[extname(full)] ?? 'application/octet-stream', immutable: url.startsWith('/assets/'), encoded });
    }
  }
  const index = files.get('/index.html');

  app.get('/*', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (path.startsWith('/api/') || path === '/api') {
      return reply.status(404).send({ code: 'BW_ERR_NOT_FOUND', message: `no route GET ${path}`, details: {} });
    }
    const page = isWebPage(path);
    let file = files.get(path) ?? (page ? index : undefined);
    if (!file) {
      if (page) return reply.status(404).type('text/plain; charset=utf-8').send('The web UI is not built: run `npm run build`.\n');
      if (!index || path.startsWith('/assets/') || !acceptsHtml(request.headers.accept)) return reply.status(404).type('text/plain; charset=utf-8').send(`no page or file ${path}\n`);
      reply.status(404).header('vary', 'Accept');
      file = index;
    }
    reply.header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache').type(file.type);
    if (file.encoded.size === 0) return reply.send(file.body);
    const encoding = pickEncoding(request.headers['accept-encoding'], [...file.encoded.keys()]);
    reply.header('vary', reply.statusCode === 404 ? 'Accept, Accept-Encoding' : 'Accept-Encoding');
    return encoding ? reply.header('content-encoding', encoding).send(file.encoded.get(encoding)) : reply.send(file.body);
  });
}

/** A browser's navigation asks for text/html by name; scrapers, curl and scripts do not. */
function acceptsHtml(accept: string | undefined): boolean {
  return accept !== undefined && /(^|,)\s*text\/html\s*(;|,|$)/i.test(accept.slice(0, 1024));
}

/** dist/web beside the compiled server (dist/server); from sources (tests), the built one. */
function defaultWebDir(): string {
  const compiled = fileURLToPath(new URL('../web/', import.meta.url));
  return import.meta.url.endsWith('.ts') ? fileURLToPath(new URL('../../dist/web/', import.meta.url)) : compiled;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};
