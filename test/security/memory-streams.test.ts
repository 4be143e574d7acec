import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PROTOCOL_VERSION } from '../../src/protocol/index.js';
import type { ChildServer } from './hostile.js';
import { HANG_MS, closed, enrollAgent, healthy, rawSocket, startChildServer } from './hostile.js';

/*
 * Paused readers of the event stream while the fleet floods events, against a real `breakwater
 * server` in a child process: its resident memory stays bounded (it used to grow by every event
 * times every paused reader: 149 MB to 1,011 MB) and every paused reader is disconnected, which
 * the server logs.
 */

const AGENTS = 4;
const MESSAGES_PER_AGENT = 3;
const EVENTS_PER_MESSAGE = 1000;
/** Each event carries a message near the protocol's 4,096-character limit: ~4.3 kB as JSON. */
const PAD = 'x'.repeat(4000);
const READERS = 20;
/** Without the bound each paused reader would hold every event: READERS × ~52 MB. */
const MAX_GROWTH_BYTES = 200 * 1024 * 1024;

let server: ChildServer;
const agents: WebSocket[] = [];

beforeAll(async () => {
  server = await startChildServer();
});

afterAll(async () => {
  for (const ws of agents) ws.terminate();
  await server.stop();
});

/** Connects an enrolled agent, says hello, and resolves once welcomed; `acks` counts acknowledged event batches. */
async function agent(name: string): Promise<{ ws: WebSocket; acked: () => number }> {
  const credential = await enrollAgent(server, name);
  const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/api/v1/agents/connect`, { headers: { authorization: `Bearer ${credential}` } });
  agents.push(ws);
  let acks = 0;
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as { type: string };
      if (msg.type === 'welcome') resolve();
      if (msg.type === 'ack') acks++;
    });
    ws.once('open', () => ws.send(JSON.stringify({ type: 'hello', v: PROTOCOL_VERSION, name, facts: { hostname: name, machineId: `id-${name}`, os: 'linux', distro: 'debian 12', arch: 'x86_64', kernel: '6.1.0', ip: '10.0.0.9', agentVersion: '0.1.0' }, tags: {} })));
  });
  return { ws, acked: () => acks };
}

async function until(what: string, probe: () => boolean): Promise<void> {
  const deadline = Date.now() + 4 * HANG_MS;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('paused event-stream readers during an event flood', () => {
  it(`${READERS} paused readers, ${AGENTS * MESSAGES_PER_AGENT * EVENTS_PER_MESSAGE} events of ~4 kB: memory stays bounded, every paused reader is disconnected`, async () => {
    const readers: Awaited<ReturnType<typeof rawSocket>>[] = [];
    for (let i = 0; i < READERS; i++) {
      // Two tokens: a token holds at most 12 event streams.
      const token = i % 2 === 0 ? server.admin : await viewerToken();
      const socket = await rawSocket(server);
      socket.write(`GET /api/v1/events/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`);
      socket.pause(); // reads nothing, ever
      readers.push(socket);
    }
    const flooders: Awaited<ReturnType<typeof agent>>[] = [];
    for (let a = 0; a < AGENTS; a++) flooders.push(await agent(`mem-${a}`));
    const before = server.rssBytes();
    for (const [a, f] of flooders.entries()) {
      for (let m = 0; m < MESSAGES_PER_AGENT; m++) {
        const events = Array.from({ length: EVENTS_PER_MESSAGE }, (_, i) => ({ id: `mem-${a}-${m}-${i}`, time: Date.now(), type: 'alarm_fired', host: `mem-${a}`, resource: `mem-${a}`, alarm: 'flood', bot: null, action: null, severity: 'warning', runId: null, principal: null, message: PAD, value: 1, details: {} }));
        f.ws.send(JSON.stringify({ type: 'events', events }));
      }
    }
    await until('every event batch to be stored', () => flooders.every((f) => f.acked() >= MESSAGES_PER_AGENT));
    const after = server.rssBytes();
    expect(after - before, `RSS ${before} -> ${after}`).toBeLessThan(MAX_GROWTH_BYTES);
    // The server says it dropped each one; a dropped reader that reads again finds its stream ended
    // after at most what the socket buffers held, far from every event.
    await until('every paused reader to be dropped', () => server.stderr().split('the client fell more than').length - 1 >= READERS);
    for (const socket of readers) {
      let received = 0;
      socket.on('data', (d: Buffer) => (received += d.length));
      socket.resume();
      expect(await closed(socket)).toBe(true);
      expect(received).toBeLessThan(AGENTS * MESSAGES_PER_AGENT * EVENTS_PER_MESSAGE * PAD.length);
    }
    expect(await healthy(server)).toBe(true);
  });
});

let viewer: string | undefined;
async function viewerToken(): Promise<string> {
  if (viewer) return viewer;
  const res = await fetch(`${server.url}/api/v1/tokens`, { method: 'POST', headers: { authorization: `Bearer ${server.admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ role: 'viewer', name: 'paused-reader' }) });
  viewer = ((await res.json()) as { token: string }).token;
  return viewer;
}
