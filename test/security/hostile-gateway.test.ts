import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChildServer } from './hostile.js';
import { closePayload, closed, enrollAgent, frame, healthy, rawSocket, startChildServer, upgradedSocket } from './hostile.js';

/*
 * Each malformed input that used to kill the control plane (an unhandled 'error' event), sent to the
 * real `breakwater server` in a child process: the connection ends, the process lives on and still
 * answers GET /healthz. A crash in one case restarts the server, so every case is judged alone.
 */

let server: ChildServer | undefined;
let credential = '';

async function live(): Promise<ChildServer> {
  if (server && !server.exited) return server;
  await server?.stop();
  server = await startChildServer();
  credential = await enrollAgent(server, 'hostile-1');
  return server;
}

beforeEach(async () => {
  await live();
});

afterAll(async () => {
  await server?.stop();
});

async function expectAlive(s: ChildServer): Promise<void> {
  expect(await healthy(s), `server exited: ${JSON.stringify(s.exited)}`).toBe(true);
  expect(s.exited).toBeUndefined();
}

describe('no credential: an Upgrade request reset at once', () => {
  for (const path of ['/anything', '/api/v1/agents/connect']) {
    for (const upgrade of ['websocket', 'h2c']) {
      it(`${upgrade} to ${path}, reset 50 times: the server lives`, async () => {
        const s = await live();
        for (let i = 0; i < 50; i++) {
          const socket = await rawSocket(s);
          socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: ${upgrade}\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
          socket.resetAndDestroy();
          await closed(socket);
        }
        await expectAlive(s);
      });
    }
  }
});

const text = (s: string) => Buffer.from(s, 'utf8');
const hello = text(JSON.stringify({ type: 'hello', v: 1 }));

/** Malformed frames an enrolled agent sent, each of which used to kill the control plane. */
const MALFORMED: Record<string, () => Buffer[]> = {
  'invalid UTF-8 in a text frame': () => [frame({ opcode: 1, payload: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) })],
  'RSV bits set': () => [frame({ opcode: 1, rsv: 0b111, payload: hello })],
  'an unknown opcode': () => [frame({ opcode: 0x3, payload: hello })],
  'an unmasked client frame': () => [frame({ opcode: 1, masked: false, payload: hello })],
  'a stray continuation frame': () => [frame({ opcode: 0, payload: hello })],
  'a fragmented control frame': () => [frame({ opcode: 0x9, fin: false, payload: text('ping') })],
  'a control frame over 125 bytes': () => [frame({ opcode: 0x9, payload: Buffer.alloc(126, 0x61) })],
  'a length over the limit': () => [frame({ opcode: 1, length: 2 ** 40, payload: Buffer.alloc(0) })],
  'close code 999': () => [frame({ opcode: 0x8, payload: closePayload(999) })],
  'a close frame with invalid UTF-8 in its reason': () => [frame({ opcode: 0x8, payload: Buffer.concat([closePayload(1000), Buffer.from([0xff])]) })],
  'a 17 MiB frame': () => [frame({ opcode: 2, payload: Buffer.alloc(17 * 1024 * 1024) })],
  'a new message inside a fragmented one': () => [frame({ opcode: 1, fin: false, payload: text('{"type"') }), frame({ opcode: 1, payload: hello })],
};

describe('an enrolled agent sends a malformed frame', () => {
  for (const [what, frames] of Object.entries(MALFORMED)) {
    it(`${what}: that connection ends, the server lives`, async () => {
      const s = await live();
      const socket = await upgradedSocket(s, credential);
      for (const f of frames()) socket.write(f);
      expect(await closed(socket)).toBe(true);
      await expectAlive(s);
    });
  }
});
