import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, brotliCompressSync, gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
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
