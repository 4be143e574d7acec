import { connect } from 'node:net';
import type { Socket } from 'node:net';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerResponse } from 'node:http';
import type { SseStream } from './sse.js';
import { SSE_MAX_BUFFERED_BYTES, openSse } from './sse.js';

/** Generous: only turns a hang into a failure. */
const HANG_MS = 15_000;

const apps: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

/** A server whose one route opens a stream and hands it to `use`. */
async function serve(use: (sse: SseStream, raw: ServerResponse) => void): Promise<number> {
  const app = Fastify();
  apps.push(app);
  app.get('/stream', async (request, reply) => use(openSse(request, reply), reply.raw));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

/** A raw client that sends the request and then reads nothing (a paused reader) unless told to. */
function client(port: number, read: boolean): Promise<{ socket: Socket; received: () => string; closed: Promise<void>; ended: Promise<void> }> {
  return new Promise((resolve) => {
    let text = '';
    let ended: () => void = () => undefined;
    const socket = connect(port, '127.0.0.1', () => {
      socket.write('GET /stream HTTP/1.1\r\nHost: x\r\n\r\n');
      if (read) {
        socket.on('data', (d: Buffer) => {
          text += d.toString('utf8');
          if (text.endsWith('\r\n0\r\n\r\n')) ended(); // the chunked body's last chunk
        });
      } else socket.pause();
      resolve({ socket, received: () => text, closed: new Promise((r) => socket.once('close', () => r())), ended: new Promise((r) => (ended = r)) });
    });
    socket.on('error', () => undefined);
  });
}

function within<T>(what: string, p: Promise<T>): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), HANG_MS))]);
}

describe('openSse', () => {
  it('disconnects a reader that stopped reading once it is more than the buffer limit behind, and never holds much more', async () => {
    let stream: SseStream | undefined;
    let mostBuffered = 0;
    const message = JSON.stringify({ pad: 'x'.repeat(4000) });
    const ended = new Promise<void>((resolve) => {
      void serve((sse, raw) => {
        stream = sse;
        sse.onClose(resolve);
        // A flood that ignores back-pressure, as events arriving from a busy fleet do.
        const flood = () => {
          for (let i = 0; i < 64 && !sse.closed; i++) {
            sse.send(message);
            mostBuffered = Math.max(mostBuffered, raw.writableLength);
          }
          if (!sse.closed) setImmediate(flood);
        };
        flood();
      }).then((port) => client(port, false));
    });
    await within('the paused reader to be disconnected', ended);
    expect(stream?.endReason?.code).toBe('BW_ERR_SLOW_READER');
    expect(mostBuffered).toBeLessThanOrEqual(SSE_MAX_BUFFERED_BYTES + message.length + 100);
  });

  it('ends with a last `event: error` message naming the reason when the reader keeps up', async () => {
    const port = await serve((sse) => setImmediate(() => sse.end({ code: 'BW_ERR_UNAUTHENTICATED', message: 'token `t` expired' })));
    const c = await client(port, true);
    await within('the stream to end', c.ended);
    c.socket.destroy();
    expect(c.received()).toContain('event: error\ndata: {"type":"error","code":"BW_ERR_UNAUTHENTICATED","message":"token `t` expired","details":{}}\n\n');
  });
});
