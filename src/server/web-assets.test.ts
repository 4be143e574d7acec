import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, brotliCompressSync, gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { WEB_PAGES, isWebPage } from '../protocol/index.js';
import { acceptedCodings, pickEncoding } from './accept-encoding.js';
import { registerWebAssets } from './web-assets.js';

const dir = mkdtempSync(join(tmpdir(), 'bw-web-'));
const js = Buffer.from(`export const rows = [${Array.from({ length: 400 }, (_, i) => `"web-${i}"`).join(',')}];\n`);
mkdirSync(join(dir, 'assets'));
writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="root"></div>');
writeFileSync(join(dir, 'assets/app-1a2b.js'), js);
writeFileSync(join(dir, 'assets/app-1a2b.js.br'), brotliCompressSync(js));
writeFileSync(join(dir, 'assets/app-1a2b.js.gz'), gzipSync(js));
writeFileSync(join(dir, 'assets/plain-3c4d.css'), 'body{margin:0}');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const app = Fastify();
registerWebAssets(app, dir);
const get = (url: string, acceptEncoding?: string) => app.inject({ method: 'GET', url, headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding } });
const browse = (url: string, accept = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8') => app.inject({ method: 'GET', url, headers: { accept } });
const INDEX = '<!doctype html><div id="root"></div>';
/** The path a request for `url` reaches the route with: dot segments resolved, `//` kept. */
const seenPath = (url: string): string => {
  const bare = url.split('?')[0] ?? '/';
  return URL.canParse(bare, 'http://localhost') ? new URL(bare, 'http://localhost').pathname : bare;
};

describe("web assets: the UI's pages and unknown paths", () => {
  it("serves index.html (200) at / and at each of the UI's pages, a run's page included, with a query string too", async () => {
    for (const url of ['/', ...WEB_PAGES.map((p) => p.path), '/runs/3f2a-77', '/console?q=host', '/index.html']) {
      const r = await get(url);
      expect(r.statusCode, url).toBe(200);
      expect(r.body, url).toBe(INDEX);
    }
  });

  it('answers any other path 404 in plain text, not the UI: a scraper reads no 200 for a URL that is no page', async () => {
    for (const url of ['/metrics', '/metricz', '/fleet/', '/runs/', '/runs', '/favicon.png', '/assets/gone-1234.js', '/no-such-page?x=1']) {
      const r = await get(url);
      if (url === '/runs') {
        expect(r.statusCode).toBe(200);
        continue;
      }
      expect(r.statusCode, url).toBe(404);
      expect(r.headers['content-type'], url).toBe('text/plain; charset=utf-8');
      expect(r.body, url).toBe(`no page or file ${url.split('?')[0]}\n`);
    }
    for (const accept of ['text/plain;version=0.0.4;q=0.5,*/*;q=0.1', 'application/openmetrics-text;version=1.0.0', '*/*', 'application/json', 'text/htmlx']) {
      expect((await browse('/metrics', accept)).headers['content-type'], accept).toBe('text/plain; charset=utf-8');
    }
  });

  it("a browser navigating to an unknown path gets the UI with the 404 (it says \"page not found\"), never a missing asset", async () => {
    const r = await browse('/no-such-page');
    expect(r.statusCode).toBe(404);
    expect(r.body).toBe(INDEX);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers.vary).toBe('Accept');
    expect((await browse('/assets/gone-1234.js')).headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('fuzz: any path answers 200 with the UI only at a page or a file, else 404; never an error', async () => {
    const paths = fc.oneof(
      fc.webPath(),
      fc.string({ maxLength: 300 }).map((s) => `/${encodeURIComponent(s)}`),
      fc.constantFrom(...WEB_PAGES.map((p) => p.path)).chain((p) => fc.string({ maxLength: 40 }).map((s) => `${p}/${encodeURIComponent(s)}`)),
    );
    await fc.assert(
      fc.asyncProperty(paths, fc.boolean(), async (path, html) => {
        const url = path.startsWith('/') ? path : `/${path}`;
        const r = html ? await browse(url) : await get(url);
        // What the server sees: inject resolves dot segments (`/.`, `/a/%2e%2e`) as a browser would.
        const bare = seenPath(url);
        const served = isWebPage(bare) || bare === '/index.html' || bare.startsWith('/assets/app-1a2b.js') || bare === '/assets/plain-3c4d.css';
        if (bare.startsWith('/api/') || bare === '/api') expect(r.statusCode).toBe(404);
        else if (r.statusCode === 200) expect(served).toBe(true);
        else {
          expect(r.statusCode).toBe(404);
          expect(r.body.length).toBeLessThan(8 * 1024);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('web assets: precompressed variants', () => {
  it('sends brotli when the browser accepts it, with its length, Vary and the immutable caching', async () => {
    const r = await get('/assets/app-1a2b.js', 'gzip, deflate, br, zstd');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-encoding']).toBe('br');
    expect(r.headers.vary).toBe('Accept-Encoding');
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(r.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(Number(r.headers['content-length'])).toBe(r.rawPayload.length);
    expect(r.rawPayload.length).toBeLessThan(js.length / 3);
    expect(brotliDecompressSync(r.rawPayload).equals(js)).toBe(true);
  });

  it('sends gzip when brotli is not accepted, or refused with q=0', async () => {
    for (const header of ['gzip', 'br;q=0, gzip;q=0.5', 'GZIP;Q=1.0, identity']) {
      const r = await get('/assets/app-1a2b.js', header);
      expect(r.headers['content-encoding'], header).toBe('gzip');
      expect(Number(r.headers['content-length'])).toBe(r.rawPayload.length);
      expect(gunzipSync(r.rawPayload).equals(js)).toBe(true);
    }
  });

  it('sends the file as it is without Accept-Encoding, for identity, and when every coding it has is refused', async () => {
    for (const header of [undefined, '', 'identity', 'deflate', 'br;q=0, gzip;q=0', '*;q=0', 'gzip;q=0, *']) {
      const r = await get('/assets/app-1a2b.js', header);
      const expected = header === 'gzip;q=0, *' ? 'br' : undefined;
      expect(r.headers['content-encoding'], String(header)).toBe(expected);
      if (!expected) {
        expect(r.rawPayload.equals(js)).toBe(true);
        expect(Number(r.headers['content-length'])).toBe(js.length);
      }
      expect(r.headers.vary).toBe('Accept-Encoding');
    }
  });

  it('a hostile header (huge, malformed, odd q-values) gets the plain file or a valid variant, never an error', async () => {
    for (const header of ['br;q=2', 'br;q=-1', 'br;q=abc', ';;;,,,', 'br'.repeat(10_000), `${'x,'.repeat(5000)}br`, 'br ; q = 0.001', '\u0000br']) {
      const r = await get('/assets/app-1a2b.js', header);
      expect(r.statusCode, header.slice(0, 40)).toBe(200);
      const body = r.headers['content-encoding'] === 'br' ? brotliDecompressSync(r.rawPayload) : r.rawPayload;
      expect(body.equals(js)).toBe(true);
    }
    expect((await get('/assets/app-1a2b.js', 'br;q=2')).headers['content-encoding']).toBeUndefined();
    expect((await get('/assets/app-1a2b.js', 'br ; q = 0.001')).headers['content-encoding']).toBe('br');
  });

  it('files without variants are sent as they are, without Vary; the variants are no URLs of their own', async () => {
    const css = await get('/assets/plain-3c4d.css', 'br, gzip');
    expect(css.headers['content-encoding']).toBeUndefined();
    expect(css.headers.vary).toBeUndefined();
    expect(css.body).toBe('body{margin:0}');
    expect((await get('/assets/app-1a2b.js.br', 'br')).statusCode).toBe(404);
  });
});

describe('pickEncoding', () => {
  it('prefers brotli, honours q-values and *', () => {
    expect(pickEncoding('gzip, br', ['br', 'gzip'])).toBe('br');
    expect(pickEncoding('gzip, br', ['gzip'])).toBe('gzip');
    expect(pickEncoding('*', ['br', 'gzip'])).toBe('br');
    expect(pickEncoding('br;q=0, *;q=0.1', ['br', 'gzip'])).toBe('gzip');
    expect(acceptedCodings('br;q=0.5, gzip, br;q=1')).toEqual(new Map([['br', 0.5], ['gzip', 1]]));
  });

  it('fuzz: any header gives an encoding that is available and not refused, and stays bounded', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), fc.subarray(['br', 'gzip'] as const), (header, available) => {
        const picked = pickEncoding(header, available);
        if (picked !== undefined) {
          expect(available).toContain(picked);
          const weights = acceptedCodings(header);
          expect(weights.get(picked) ?? weights.get('*')).toBeGreaterThan(0);
        }
        expect(acceptedCodings(header).size).toBeLessThanOrEqual(16);
      }),
      { numRuns: 300 },
    );
  });
});
