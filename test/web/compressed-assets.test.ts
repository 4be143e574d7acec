import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerWebAssets } from '../../src/server/web-assets.js';

/*
 * The build's precompression (tools/compress-web.mjs, run by `npm run build:web`) on the real
 * dist/web, served by the real asset routes: every script and style sheet has brotli and gzip
 * variants that decode to the file itself, and a browser's Accept-Encoding gets the smaller one.
 */

const WEB = fileURLToPath(new URL('../../dist/web/', import.meta.url));
const built = existsSync(`${WEB}index.html`);
if (!built) console.warn('\n⚠  SKIPPING compressed assets: dist/web is not built (run `npm run build`).\n');

describe.skipIf(!built)('compressed web assets (the built dist/web)', () => {
  const app = Fastify();
  registerWebAssets(app, WEB);
  const assets = readdirSync(`${WEB}assets`).filter((f) => /\.(js|css)$/.test(f));

  it('sends every script and style sheet as brotli to Chromium, gzip to a gzip-only client, and plain to one that asks for neither', async () => {
    expect(assets.length).toBeGreaterThan(5);
    let plain = 0;
    let sent = 0;
    for (const name of assets) {
      const file = readFileSync(`${WEB}assets/${name}`);
      const get = (encoding: string) => app.inject({ method: 'GET', url: `/assets/${name}`, headers: { 'accept-encoding': encoding } });
      const br = await get('gzip, deflate, br, zstd');
      expect(br.headers['content-encoding'], name).toBe('br');
      expect(brotliDecompressSync(br.rawPayload).equals(file), name).toBe(true);
      const gz = await get('gzip');
      expect(gz.headers['content-encoding'], name).toBe('gzip');
      expect(gunzipSync(gz.rawPayload).equals(file), name).toBe(true);
      const identity = await get('identity');
      expect(identity.headers['content-encoding']).toBeUndefined();
      expect(identity.rawPayload.equals(file)).toBe(true);
      plain += file.length;
      sent += br.rawPayload.length;
    }
    // Minified JS and CSS compress to well under half.
    expect(sent / plain).toBeLessThan(0.4);
  });
});
