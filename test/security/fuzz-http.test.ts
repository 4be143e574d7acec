import { describe, expect, it } from 'vitest';
import type { ChildServer, Random } from './hostile.js';
import { childServerForFile, hammer, hangUp, healthy, mutate, rawSocket, seeded } from './hostile.js';

/*
 * Fuzzes the HTTP port of a real `breakwater server` (a child process, so a crash is an exit):
 * random request lines, headers and bodies, half-sent requests and resets, with and without a
 * token. Seeded, a fixed number of inputs, each exchange bounded in time; the server must keep
 * answering GET /healthz throughout.
 */

const SEED = 0x4771_fe;
/** How long one exchange waits for the server's answer or close before hanging up itself. */
const EXCHANGE_MS = 200;

let server: ChildServer;
childServerForFile((s) => (server = s));

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'CONNECT', 'TRACE', 'PRI', 'G\0T', 'get', ''];
const PATHS = ['/', '/healthz', '/api/v1/query', '/api/v1/query/live?q=host&every=1s', '/api/v1/events/stream', '/api/v1/agents/enroll', '/api/v1/agents/connect', '/api/v1/tokens', '/api/v1/audit?limit=-1', '/assets/../../etc/passwd', '*', 'http://evil/', '/%00%ff', `/${'a'.repeat(9000)}`];
const VERSIONS = ['HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/1.1 x', ''];
const HEADERS = [
  'Host: 127.0.0.1',
  'Content-Type: application/json',
  'Content-Type: text/plain',
  'Content-Length: 10',
  'Content-Length: -1',
  'Content-Length: 99999999999',
  'Content-Length: 5\r\nContent-Length: 7',
  'Transfer-Encoding: chunked',
  'Transfer-Encoding: gzip, chunked',
  'Upgrade: websocket\r\nConnection: Upgrade',
  'Upgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings',
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13',
  'Authorization: Bearer bwt_forged',
  'Authorization: Bearer',
  'Expect: 100-continue',
  'Connection: keep-alive',
  `X-Long: ${'x'.repeat(20_000)}`,
  'Bad Header Name: 1',
  'X-Nul: a\0b',
  'X-Obs-Fold: a\r\n b',
];
const BODIES = ['', '{"statement":"host | count"}', '{"statement":', '{"a":'.repeat(2000), '5\r\nhello\r\n0\r\n\r\n', 'zz\r\nnot-hex\r\n', '{"token":"bwt_x","name":"\u0000","hostId":"\ud800"}', '[]', 'null'];

/** One random request: chosen parts, sometimes mutated as a whole. */
function hostileRequest(random: Random, admin: string): Buffer {
  const headers = Array.from({ length: random.int(6) }, () => random.pick(HEADERS));
  if (random.chance(0.3)) headers.push(`Authorization: Bearer ${admin}`);
  const head = `${random.pick(METHODS)} ${random.pick(PATHS)} ${random.pick(VERSIONS)}\r\n${headers.join('\r\n')}${headers.length ? '\r\n' : ''}\r\n`;
  const request = Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(random.pick(BODIES))]);
  if (random.chance(0.3)) return mutate(random, request);
  // Half-sent: the request stops somewhere.
  if (random.chance(0.2)) return request.subarray(0, random.int(request.length));
  return request;
}

describe('HTTP port fuzz', () => {
  it('2,000 random request lines, headers, bodies, half-sent requests and resets; the server lives', async () => {
    const random = seeded(SEED);
    await hammer(server, 2000, 16, 250, async () => {
      const socket = await rawSocket(server);
      const data = hostileRequest(random, server.admin);
      // Sometimes in pieces, as a slow or fragmenting client would.
      if (random.chance(0.3)) {
        const cut = random.int(data.length + 1);
        socket.write(data.subarray(0, cut));
        await new Promise((r) => setImmediate(r));
        if (!socket.destroyed) socket.write(data.subarray(cut));
      } else socket.write(data);
      await hangUp(random, socket, EXCHANGE_MS);
    });
    expect(await healthy(server)).toBe(true);
  });
});
