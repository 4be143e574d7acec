import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningServer, ServerOptions } from '../../src/server/index.js';
import { startServer } from '../../src/server/index.js';
import { openEventStream } from '../helpers.js';
import { HANG_MS } from './hostile.js';

/*
 * The HTTP port's limits against hostile clients, on an in-process control plane (loopback only):
 * stream caps and expiry, oversized bodies, slow headers, and idle unauthenticated connections.
 */

const dirs: string[] = [];
const servers: RunningServer[] = [];
const sockets: Socket[] = [];

afterAll(async () => {
  for (const s of sockets) s.destroy();
  for (const s of servers) await s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function server(options: Partial<ServerOptions> = {}): Promise<{ s: RunningServer; admin: string; port: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bw-limits-'));
  dirs.push(dataDir);
  const s = await startServer({ port: 0, dataDir, logLevel: 'silent', ...options });
  servers.push(s);
  return { s, admin: s.initialAdminToken as string, port: Number(new URL(s.url).port) };
}

async function token(s: RunningServer, admin: string, role: string, expiresInSeconds?: number): Promise<string> {
  const res = await fetch(`${s.url}/api/v1/tokens`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ role, name: `t-${role}-${Math.random().toString(36).slice(2, 8)}`, ...(expiresInSeconds ? { expiresInSeconds } : {}) }) });
  return ((await res.json()) as { token: string }).token;
}

/** A raw connection; resolves once connected. Records what the server sent and whether it closed. */
function raw(port: number): Promise<{ socket: Socket; text: () => string; closed: () => boolean; waitClosed: () => Promise<void> }> {
  return new Promise((resolve) => {
    let text = '';
    let isClosed = false;
    const waiters: (() => void)[] = [];
    const socket = connect(port, '127.0.0.1', () =>
      resolve({
        socket,
        text: () => text,
        closed: () => isClosed,
        waitClosed: () =>
          new Promise<void>((r, reject) => {
            if (isClosed) return r();
            waiters.push(r);
            setTimeout(() => reject(new Error('timed out waiting for the server to close the connection')), HANG_MS);
          }),
      }),
    );
    sockets.push(socket);
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      isClosed = true;
      for (const w of waiters.splice(0)) w();
    });
  });
}

describe('server-sent-event streams', () => {
  it('a token holds at most 12 event streams: the 13th is refused with 429 BW_ERR_TOO_MANY_REQUESTS', async () => {
    const { s, admin } = await server();
    const viewer = await token(s, admin, 'viewer');
    const open = [];
    for (let i = 0; i < 12; i++) {
      const stream = await openEventStream(`${s.url}/api/v1/events/stream`, { authorization: `Bearer ${viewer}` });
      expect(stream.res.status).toBe(200);
      open.push(stream);
    }
    const extra = await fetch(`${s.url}/api/v1/events/stream`, { headers: { authorization: `Bearer ${viewer}` } });
    expect(extra.status).toBe(429);
    const body = (await extra.json()) as { code: string; message: string };
    expect(body.code).toBe('BW_ERR_TOO_MANY_REQUESTS');
    expect(body.message).toContain('has 12 event streams open, the most allowed');
    // Another token is not affected.
    const other = await openEventStream(`${s.url}/api/v1/events/stream`, { authorization: `Bearer ${await token(s, admin, 'viewer')}` });
    expect(other.res.status).toBe(200);
    for (const stream of [...open, other]) await stream.close();
  });

  it('an event stream and a live query end when their token expires, with a last error message saying so', async () => {
    const { s, admin } = await server();
    const viewer = await token(s, admin, 'viewer', 1);
    const events = await openEventStream(`${s.url}/api/v1/events/stream`, { authorization: `Bearer ${viewer}` });
    const live = await openEventStream(`${s.url}/api/v1/query/live?q=${encodeURIComponent('host | count')}&every=60s`, { authorization: `Bearer ${viewer}` });
    expect([events.res.status, live.res.status]).toEqual([200, 200]);
    for (const stream of [events, live]) {
      await stream.waitFor('the stream to end', () => (stream.ended ? true : undefined), HANG_MS);
      const last = JSON.parse(stream.messages.at(-1)?.data ?? '{}') as { type: string; code: string; message: string };
      expect(last).toMatchObject({ type: 'error', code: 'BW_ERR_UNAUTHENTICATED' });
      expect(last.message).toMatch(/^token `t-viewer-\w+` expired$/);
    }
  });
});

describe('request limits', () => {
  it('a body over the limit is refused with 413 BW_ERR_PAYLOAD_TOO_LARGE', async () => {
    const { s, admin } = await server();
    const res = await fetch(`${s.url}/api/v1/query`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ statement: 'x'.repeat(2 * 1024 * 1024) }) });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'BW_ERR_PAYLOAD_TOO_LARGE', details: { limit: 1024 * 1024 } });
  });

  it('a client dripping its headers a byte at a time is answered 408 and disconnected at the headers timeout', async () => {
    const { port } = await server({ httpLimits: { headersTimeoutMs: 1000 } });
    const c = await raw(port);
    const request = 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(1000);
    let i = 0;
    const drip = setInterval(() => {
      if (!c.closed()) c.socket.write(request[i++ % request.length] as string);
    }, 100);
    try {
      await c.waitClosed();
    } finally {
      clearInterval(drip);
    }
    expect(c.text()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('one address holds at most N unauthenticated connections: newer ones are closed, authenticated ones do not count', async () => {
    const { admin, port } = await server({ httpLimits: { maxUnauthenticatedPerAddress: 8 } });
    const idle: Awaited<ReturnType<typeof raw>>[] = [];
    for (let i = 0; i < 8; i++) idle.push(await raw(port));
    const ninth = await raw(port);
    await ninth.waitClosed();
    expect(ninth.text()).toBe('');
    expect(idle.filter((c) => c.closed())).toEqual([]);
    // One of the eight authenticates (a request with a valid token, kept alive): room for one more.
    idle[0]?.socket.write(`GET /api/v1/agents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin}\r\n\r\n`);
    await new Promise<void>((r) => idle[0]?.socket.once('data', () => r()));
    expect(idle[0]?.text()).toMatch(/^HTTP\/1\.1 200 /);
    const tenth = await raw(port);
    const health = await new Promise<string>((resolve) => {
      tenth.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      tenth.socket.once('close', () => resolve(tenth.text()));
    });
    expect(health).toMatch(/^HTTP\/1\.1 200 /);
  });
});
