/**
 * A small service for the lab's scenarios, run as its own process on each
 * lab host (`node dist/lab/faults/app.js <host-dir> <port>`):
 * - answers GET /health on 127.0.0.1:<port> (503 while most workers hang);
 * - has 8 workers; while `<host-dir>/run/fault-hang` exists (the buggy shared
 *   library), one more worker hangs each second, which shows in no CPU or
 *   memory metric, only in `<host-dir>/run/app.busy`;
 * - SIGUSR2 applies the config patch, in memory only: hung workers recover
 *   and no more hang, until the next restart forgets it;
 * - leaks a little memory every second, like the services operators restart; while
 *   `<host-dir>/run/fault-leak` exists (a leaking release), 8 MiB more a second, up to 256 MiB.
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const [dir, portText] = process.argv.slice(2);
if (!dir || !portText) {
  process.stderr.write('usage: app.js <host-dir> <port>\n');
  process.exit(2);
}
process.title = 'bw-app';
const WORKERS = 8;
const run = join(dir, 'run');
mkdirSync(run, { recursive: true });
writeFileSync(join(run, 'app.pid'), String(process.pid));

let busy = 0;
let patched = false;
const leak: Buffer[] = [];
/** The leaking release's chunks: 8 a second, 1 MiB each, written so they stay resident. */
const fastLeak: Buffer[] = [];

const publish = () => writeFileSync(join(run, 'app.busy'), `${busy}\n`);
publish();

setInterval(() => {
  if (!patched && existsSync(join(run, 'fault-hang')) && busy < WORKERS) busy++;
  if (leak.length < 200) leak.push(Buffer.alloc(256 * 1024, 1));
  if (existsSync(join(run, 'fault-leak'))) for (let i = 0; i < 8 && fastLeak.length < 256; i++) fastLeak.push(Buffer.alloc(1024 * 1024, 1));
}, 1000).unref();
setInterval(publish, 250).unref();

process.on('SIGUSR2', () => {
  patched = true;
  busy = 0;
  publish();
});
process.on('SIGTERM', () => process.exit(0));

createServer((req, res) => {
  const healthy = busy < WORKERS / 2;
  res.writeHead(req.url === '/health' ? (healthy ? 200 : 503) : 404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ busy, patched, pid: process.pid }));
}).listen(Number(portText), '127.0.0.1');
