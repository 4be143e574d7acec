import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/**
 * Serves the built web UI (dist/web, from `npm run build`) at `/`. Only files present at start-up
 * are served (no path from a request touches the file system); any other GET outside `/api/`
 * gets index.html, so client routes (`/fleet`, `/console`) load the app. Hashed assets are
 * cached for a year, index.html is revalidated every time. No token is needed: the app asks for
 * one and calls the API with it. Security headers (CSP, nosniff, ...) come from security-headers.ts.
 */
export function registerWebAssets(app: FastifyInstance, dir = defaultWebDir()): void {
  const files = new Map<string, { body: Buffer; type: string; immutable: boolean }>();
  if (existsSync(join(dir, 'index.html'))) {
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const full = join(entry.parentPath, entry.name);
      const url = `/${relative(dir, full).split(sep).join('/')}`;
      files.set(url, { body: readFileSync(full), type: TYPES[extname(entry.name)] ?? 'application/octet-stream', immutable: url.startsWith('/assets/') });
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
    return reply
      .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .type(file.type)
      .send(file.body);
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
