import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';

import { expect } from 'vitest';
import WebSocket from 'ws';

import { PROTOCOL_VERSION } from '../src/protocol/index.js';
import type { RunningServer, ServerOptions } from '../src/server/index.js';
import { AGENT_CONNECT_PATH, startServer } from '../src/server/index.js';

/*
 * Raw agents for tests of the agent protocol as the control plane sees it: a real control plane in
 * this process, agents enrolled through the HTTP API that then speak (or mis-speak, or lie in) the
 * protocol frame by frame over a real WebSocket. Call `cleanup()` in afterAll.
 */

/** Generous: only to turn a hang into a failure. */
export const HANG_MS = 15_000;

const dirs: string[] = [];
const servers: RunningServer[] = [];
const sockets: WebSocket[] = [];

/** Closes every socket and server this module opened and removes their data. */
export async function cleanup(): Promise<void> {
  for (const ws of sockets.splice(0)) ws.terminate();
  for (const s of servers.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A control plane on a free loopback port with a fresh data directory, its admin token and a join token. */
export async function server(heartbeat?: string, options: ServerOptions = {}, deps: Parameters<typeof startServer>[1] = {}): Promise<{ server: RunningServer; admin: string; join: string }> {
  const dataDir = mkdtempSync(joinPath(tmpdir(), 'bw-gw-'));
  dirs.push(dataDir);
  const s = await startServer({ port: 0, dataDir, logLevel: 'silent', ...options, ...(heartbeat ? { heartbeat } : {}) }, deps);
  servers.push(s);
  const admin = s.initialAdminToken as string;
  const res = await fetch(`${s.url}/api/v1/tokens`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ role: 'agent', name: 'join' }) });
  const join = ((await res.json()) as { token: string }).token;
  return { server: s, admin, join };
}

/** Enrolls `name` with the join token; returns its credential. */
export async function enroll(s: RunningServer, join: string, name: string): Promise<string> {
  const res = await fetch(`${s.url}/api/v1/agents/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: join, name, hostId: `id-${name}` }) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { credential: string }).credential;
}

export type Message = Record<string, unknown> & { type: string };

/** A raw agent connection: every message it receives is queued for `next()`. */
export class RawAgent {
  readonly received: Message[] = [];
  private waiters: (() => void)[] = [];
  closed: { code: number; reason: string } | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.received.push(JSON.parse(data.toString()) as Message);
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
  }

  static open(s: RunningServer, credential: string): Promise<RawAgent> {
    const ws = new WebSocket(`${s.url.replace(/^http/, 'ws')}${AGENT_CONNECT_PATH}`, { headers: { authorization: `Bearer ${credential}` } });
    sockets.push(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RawAgent(ws)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`refused: HTTP ${res.statusCode}`)));
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  hello(name: string, tags: Record<string, string> = {}): void {
    this.send({ type: 'hello', v: PROTOCOL_VERSION, name, facts: { hostname: name, machineId: `id-${name}`, os: 'linux', distro: 'debian 12', arch: 'x86_64', kernel: '6.1.0', ip: '10.0.0.9', agentVersion: '0.1.0' }, tags });
  }

  /** The next message (of `type`, when given), skipping none: fails on a hang. */
  async next(type?: string): Promise<Message> {
    const deadline = Date.now() + HANG_MS;
    for (;;) {
      const i = this.received.findIndex((m) => !type || m.type === type);
      if (i >= 0) return this.received.splice(i, 1)[0] as Message;
      if (this.closed) throw new Error(`connection closed (${this.closed.code} ${this.closed.reason}) while waiting for ${type ?? 'a message'}; got ${JSON.stringify(this.received)}`);
      if (Date.now() > deadline) throw new Error(`no ${type ?? 'message'} within ${HANG_MS} ms; got ${JSON.stringify(this.received)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  async closedWith(): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + HANG_MS;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('the server did not close the connection');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
    return this.closed;
  }
}

/** Polls `probe` until it gives a value; fails on a hang. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + HANG_MS;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function agentStatus(s: RunningServer, admin: string, name: string): Promise<{ status: string; lastSeenAt: number | null } | undefined> {
  const res = await fetch(`${s.url}/api/v1/agents`, { headers: { authorization: `Bearer ${admin}` } });
  return ((await res.json()) as { name: string; status: string; lastSeenAt: number | null }[]).find((a) => a.name === name);
}
