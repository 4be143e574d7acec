import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningServer } from '../../src/server/index.js';
import { startServer } from '../../src/server/index.js';

/*
 * Every HTTP answer of a real control plane (the web UI's pages and assets, API answers and
 * refusals) carries the security headers: a CSP that forbids framing, inline scripts and foreign
 * origins, nosniff, no referrer. test/web/console.test.ts checks that the app works under the CSP.
 */

let server: RunningServer;
let dataDir: string;
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'bw-headers-'));
  server = await startServer({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
});
afterAll(async () => {
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('security headers', () => {
  it.each([
    ['GET', '/'],
    ['GET', '/console'],
    ['GET', '/assets/no-such-file.js'],
    ['GET', '/api/v1/health'],
    ['GET', '/api/v1/agents'],
    ['GET', '/api/v1/nothing'],
    ['POST', '/api/v1/query'],
    // Streams take over the socket (writeHead on the raw response): they must carry the headers too.
    ['GET', '/api/v1/events/stream', 'admin'],
    ['POST', '/api/v1/query', 'admin', { statement: 'host | count' }],
  ])('%s %s %s', async (method, path, as?: string, body?: unknown) => {
    const headers: Record<string, string> = as ? { authorization: `Bearer ${server.initialAdminToken}` } : {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${server.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    if (as) expect(res.status).toBe(200);
    if (res.headers.get('content-type')?.startsWith('text/event-stream')) await res.body?.cancel();
    else await res.arrayBuffer();
    const csp = res.headers.get('content-security-policy') ?? '';
    const directives = new Map(csp.split(';').map((d) => { const [name = '', ...values] = d.trim().split(/\s+/); return [name, values.join(' ')] as const; }));
    expect(Object.fromEntries(directives)).toMatchObject({
      'default-src': "'self'",
      'script-src': "'self'",
      'style-src': "'self'",
      'img-src': "'self' data:",
      'connect-src': "'self'",
      'frame-ancestors': "'none'",
      'base-uri': "'none'",
      'form-action': "'self'",
    });
    expect(csp).not.toContain('unsafe');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });
});
