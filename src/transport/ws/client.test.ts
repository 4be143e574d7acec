import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectRefused, connectWebSocket } from './client.js';

/*
 * The agent's side of the WebSocket facing a hostile or broken control plane (a raw TCP server on
 * loopback): whatever it sends, the agent's connection fails or closes with a reason, and nothing
 * escapes as an unhandled 'error' (vitest fails a test on one).
 */

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A server that reads the upgrade request and hands the socket and its Sec-WebSocket-Key to `answer`. */
async function hostile(answer: (socket: Socket, key: string) => void): Promise<string> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    let head = '';
    socket.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      if (head.includes('\r\n\r\n')) answer(socket, /sec-websocket-key: (\S+)/i.exec(head)?.[1] ?? '');
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return `ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/api/v1/agents/connect`;
}

const accept = (key: string) => createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');

describe('connectWebSocket against a hostile control plane', () => {
  it('a refusal whose body is cut off by a reset rejects as ConnectRefused', async () => {
    const url = await hostile((socket) => {
      socket.write('HTTP/1.1 401 Unauthorized\r\nContent-Length: 100000\r\n\r\n{"code":"BW_ERR_UNAUTH');
      setImmediate(() => socket.resetAndDestroy());
    });
    const failure = await connectWebSocket(url, { credential: 'bwa_test', timeoutMs: 5000 }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ConnectRefused);
    expect((failure as ConnectRefused).status).toBe(401);
    expect((failure as Error).message).not.toContain('bwa_test');
  });

  it('a malformed frame after the upgrade closes the connection with the error as its reason', async () => {
    const url = await hostile((socket, key) => {
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(key)}\r\n\r\n`);
      // RSV1 set on a text frame without an extension that defines it, then an unknown opcode.
      setImmediate(() => socket.write(Buffer.from([0xc1, 0x01, 0x61, 0x83, 0x00])));
    });
    const conn = await connectWebSocket(url, { credential: 'bwa_test', timeoutMs: 5000 });
    const closed = await new Promise<{ code: number; reason: string }>((resolve) => conn.onClose((code, reason) => resolve({ code, reason })));
    expect(closed.reason).toMatch(/RSV1 must be clear/);
  });
});
