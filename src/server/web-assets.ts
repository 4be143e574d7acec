import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
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
 * are served (no path from a request touches the file system); any other GET outside `/api/`
 * gets index.html, so client routes (`/fleet`, `/console`) load the app. Hashed assets are
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
    const file = files.get(path) ?? (path.startsWith('/assets/') ? undefined : index);
    if (!file) {
      if (!index) return reply.status(404).type('text/plain; charset=utf-8').send('The web UI is not built: run `npm run build`.\n');
      return reply.status(404).type('text/plain; charset=utf-8').send(`no file ${path}\n`);
    }
    reply.header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache').type(file.type);
    if (file.encoded.size === 0) return reply.send(file.body);
    const encoding = pickEncoding(request.headers['accept-encoding'], [...file.encoded.keys()]);
    reply.header('vary', 'Accept-Encoding');
    return encoding ? reply.header('content-encoding', encoding).send(file.encoded.get(encoding)) : reply.send(file.body);
  });
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
