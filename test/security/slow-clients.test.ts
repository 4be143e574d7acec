import { describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import type { ChildServer } from './hostile.js';
import { HANG_MS, childServerForFile, healthy, rawSocket } from './hostile.js';

/*
 * The measured defect: 1,000 connections with no credential dripping a byte of their request
 * headers now and then all stayed open. Against a real `breakwater server` (child process, default
 * limits): beyond 64 per address they are closed at once, and the rest are answered 408 and closed
 * at the headers timeout.
 */

const CONNECTIONS = 1000;
const PER_ADDRESS_CAP = 64;
const DRIP_EVERY_MS = 2000;

let server: ChildServer;
childServerForFile((s) => (server = s));

async function until(what: string, probe: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('slow unauthenticated clients', () => {
  it(`${CONNECTIONS} connections dripping their headers: all but ${PER_ADDRESS_CAP} closed at once, those answered 408 at the headers timeout`, async () => {
    const clients: { socket: Socket; received: string; closed: boolean }[] = [];
    for (let i = 0; i < CONNECTIONS; i++) {
      const socket = await rawSocket(server).catch(() => undefined);
      if (!socket) continue; // refused while connecting counts as closed at once
      const client = { socket, received: '', closed: false };
      socket.on('data', (d: Buffer) => (client.received += d.toString('latin1')));
      socket.on('close', () => (client.closed = true));
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ');
      clients.push(client);
    }
    const drip = setInterval(() => {
      for (const c of clients) if (!c.closed) c.socket.write('a');
    }, DRIP_EVERY_MS);
    try {
      const open = () => clients.filter((c) => !c.closed).length;
      await until(`all but ${PER_ADDRESS_CAP} connections to be closed`, () => open() <= PER_ADDRESS_CAP, HANG_MS);
      const capped = clients.filter((c) => c.closed);
      expect(capped.every((c) => c.received === '')).toBe(true);
      expect(open()).toBe(PER_ADDRESS_CAP);
      await until('the rest to be closed by the headers timeout', () => open() === 0, 2 * HANG_MS);
      const timedOut = clients.filter((c) => !capped.includes(c));
      expect(timedOut.every((c) => c.received.startsWith('HTTP/1.1 408 '))).toBe(true);
    } finally {
      clearInterval(drip);
      for (const c of clients) c.socket.destroy();
    }
    expect(await healthy(server)).toBe(true);
  });
});
