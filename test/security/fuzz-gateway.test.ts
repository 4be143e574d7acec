import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildServer, Random } from './hostile.js';
import { closePayload, enrollAgent, frame, hammer, hangUp, healthy, mutate, rawSocket, seeded, startChildServer, upgradedSocket } from './hostile.js';

/*
 * Fuzzes the agent gateway of a real `breakwater server` (a child process, so a crash is an exit):
 * raw bytes and random or mutated WebSocket frames, before authentication and as an enrolled agent.
 * Seeded, a fixed number of inputs, each exchange bounded in time; the server must keep answering
 * GET /healthz throughout.
 */

const SEED = 0x5eed_b3;
/**
 * How long one exchange waits for the server to close the connection before hanging up itself
 * (many inputs are half a request the server rightly waits on).
 */
const EXCHANGE_MS = 200;

let server: ChildServer;
const credentials: string[] = [];

beforeAll(async () => {
  server = await startChildServer();
  for (const name of ['fuzz-1', 'fuzz-2', 'fuzz-3', 'fuzz-4']) credentials.push(await enrollAgent(server, name));
});

afterAll(async () => {
  await server.stop();
});

const json = (o: unknown) => Buffer.from(JSON.stringify(o));
/** Frames a real agent sends, as seeds for mutation. */
const VALID = [
  () => frame({ opcode: 1, payload: json({ type: 'hello', v: 1, hostId: 'id-fuzz', tags: { role: 'web' } }) }),
  () => frame({ opcode: 1, payload: json({ type: 'heartbeat', time: Date.now() }) }),
  () => frame({ opcode: 1, payload: json({ type: 'events', events: [{ id: 'e1', type: 'alarm_fired', host: 'fuzz-1', time: 1 }] }) }),
  () => frame({ opcode: 0x9, payload: Buffer.from('ping') }),
  () => frame({ opcode: 0xa }),
  () => frame({ opcode: 0x8, payload: closePayload(1000, 'bye') }),
  () => frame({ opcode: 2, payload: Buffer.from([1, 2, 3]) }),
];

/** One random or malformed frame (or run of frames) as bytes. */
function hostileFrames(random: Random): Buffer {
  switch (random.int(5)) {
    case 0:
      return mutate(random, random.pick(VALID)());
    case 1:
      return frame({ fin: random.chance(0.7), rsv: random.chance(0.2) ? random.int(8) : 0, opcode: random.int(16), masked: random.chance(0.9), payload: random.bytes(random.int(200)), ...(random.chance(0.1) ? { length: random.pick([126, 65_535, 65_536, 2 ** 24 + 1, 2 ** 32, 2 ** 50]) } : {}) });
    case 2:
      return frame({ opcode: random.pick([0x8]), payload: closePayload(random.int(65_536), random.chance(0.5) ? 'x' : '') });
    case 3:
      return Buffer.concat([frame({ opcode: 1, fin: false, payload: Buffer.from('{"type":') }), mutate(random, frame({ opcode: random.pick([0, 1, 9]), payload: Buffer.from('"hello"}') }))]);
    default:
      return random.bytes(1 + random.int(64));
  }
}

describe('agent gateway fuzz', () => {
  it('before authentication: 1,500 raw byte strings and mutated upgrade requests; the server lives', async () => {
    const random = seeded(SEED);
    const upgrade = Buffer.from('GET /api/v1/agents/connect HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer bwa_not-a-real-credential\r\n\r\n');
    await hammer(server, 1500, 16, 250, async () => {
      const socket = await rawSocket(server);
      const kind = random.int(3);
      if (kind === 0) socket.write(random.bytes(1 + random.int(512)));
      else if (kind === 1) socket.write(mutate(random, upgrade));
      else socket.write(Buffer.concat([upgrade, hostileFrames(random)]));
      await hangUp(random, socket, EXCHANGE_MS);
    });
    expect(await healthy(server)).toBe(true);
  });

  it('as an enrolled agent: 400 connections, 2,000 random and mutated frames; the server lives', async () => {
    const random = seeded(SEED + 1);
    await hammer(server, 400, 4, 50, async (i) => {
      const socket = await upgradedSocket(server, credentials[i % credentials.length]);
      if (random.chance(0.5)) socket.write(VALID[0]?.() as Buffer);
      for (let n = 0; n < 5 && !socket.destroyed; n++) socket.write(hostileFrames(random));
      await hangUp(random, socket, EXCHANGE_MS);
    });
    expect(await healthy(server)).toBe(true);
  });
});
