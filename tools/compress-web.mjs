// Precompresses the built web UI's text files (dist/web: JS, CSS, HTML, SVG, JSON) with brotli and
// gzip, writing `name.br` and `name.gz` beside each, so the control plane sends the smallest
// variant a browser accepts without compressing on every request (src/server/web-assets.ts).
// A variant is kept only when it is smaller than the file. Node's zlib: no dependency.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const dir = process.argv[2] ?? 'dist/web';
const TEXT = new Set(['.js', '.css', '.html', '.svg', '.json', '.txt']);
let before = 0;
let after = 0;
for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !TEXT.has(extname(entry.name))) continue;
  const full = join(entry.parentPath, entry.name);
  const body = readFileSync(full);
  const br = brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } });
  const gz = gzipSync(body, { level: 9 });
  if (br.length < body.length) writeFileSync(`${full}.br`, br);
  if (gz.length < body.length) writeFileSync(`${full}.gz`, gz);
  before += body.length;
  after += Math.min(br.length, body.length);
}
console.log(`compress-web: ${Math.round(before / 1024)} KiB of text, ${Math.round(after / 1024)} KiB with brotli`);
