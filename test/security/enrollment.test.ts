import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { PROTOCOL_VERSION } from '../../src/protocol/index.js';
import type { RunningServer } from '../../src/server/index.js';
import { AGENT_CONNECT_PATH, startServer } from '../../src/server/index.js';
import { hashSecret, newSecret } from '../../src/server/auth.js';
import { waitUntil } from '../helpers.js';

/*
 * Enrollment and identity, tried as an attacker holding a join token would: on loopback, against
 * the real control plane, with raw WebSocket clients standing in for agents.
 */

const HANG_MS = 15_000;

let server: RunningServer;
let dataDir: string;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(joinPath(tmpdir(), 'bw-enroll-'));
  server = await startServer({ port: 0, dataDir, logLevel: 'silent' });
});

afterAll(async () => {
  for (const ws of sockets) ws.terminate();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown> & { code?: string; message?: string; details?: Record<string, unknown> };
}

async function api(method: string, path: string, body?: unknown, token: string | undefined = server.initialAdminToken): Promise<Answer> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

async function joinToken(name: string, extra: Record<string, unknown> = {}): Promise<{ id: string; token: string; expiresAt: number | null }> {
  const created = await api('POST', '/api/v1/tokens', { role: 'agent', name, ...extra });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  return created.body as unknown as { id: string; token: string; expiresAt: number | null };
}

const enroll = (token: string, name: string, hostId: string) => api('POST', '/api/v1/agents/enroll', { token, name, hostId }, undefined);

async function credentialOf(answer: Answer): Promise<string> {
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.credential as string;
}

/** An agent's WebSocket: connected (welcomed) with its close recorded, or refused with status and body. */
type Link = { ok: true; ws: WebSocket; closed: Promise<{ code: number; reason: string }> } | { ok: false; status: number; body: string };

function connect(credential: string, name: string): Promise<Link> {
  const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}${AGENT_CONNECT_PATH}`, { headers: { authorization: `Bearer ${credential}` } });
  sockets.push(ws);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no welcome for ${name} within ${HANG_MS} ms`)), HANG_MS);
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ ok: false, status: res.statusCode ?? 0, body });
      });
    });
    ws.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    ws.once('open', () => ws.send(JSON.stringify({ type: 'hello', v: PROTOCOL_VERSION, name, facts: { hostname: name, machineId: `id-${name}`, os: 'linux', distro: 'debian 12', arch: 'x86_64', kernel: '6.1.0', ip: '127.0.0.1', agentVersion: '0.1.0' }, tags: {} })));
    ws.on('message', (data) => {
      if ((JSON.parse(data.toString()) as { type: string }).type !== 'welcome') return;
      clearTimeout(timer);
      resolve({ ok: true, ws, closed });
    });
  });
}

async function connected(credential: string, name: string): Promise<Extract<Link, { ok: true }>> {
  const link = await connect(credential, name);
  if (!link.ok) throw new Error(`refused: HTTP ${link.status} ${link.body}`);
  return link;
}

async function agentsList(): Promise<{ name: string; status: string; revokedAt: number | null }[]> {
  return (await api('GET', '/api/v1/agents')).body as unknown as { name: string; status: string; revokedAt: number | null }[];
}

async function auditOf(action: string, target: string) {
  const entries = (await api('GET', `/api/v1/audit?action=${action}`)).body as unknown as { target: string; outcome: string; principal: string; detail: Record<string, unknown> }[];
  return entries.filter((e) => e.target === target);
}

describe('enrollment: a name belongs to the host that enrolled it', () => {
  it('a join token does not take over an enrolled host, connected or not; an admin delete frees the name', async () => {
    const join = await joinToken('fleet-join');
    const web1 = await connected(await credentialOf(await enroll(join.token, 'web-1', 'machine-a')), 'web-1');

    const whileConnected = await enroll(join.token, 'web-1', 'machine-b');
    expect(whileConnected.status).toBe(409);
    expect(whileConnected.body.code).toBe('BW_ERR_HOST_MISMATCH');

    web1.ws.close();
    await web1.closed;
    await waitUntil('web-1 to be disconnected', () => !server.fleet.connected('web-1'), HANG_MS);
    const takeover = await enroll(join.token, 'web-1', 'machine-b');
    expect(takeover.status, JSON.stringify(takeover.body)).toBe(409);
    expect(takeover.body.code).toBe('BW_ERR_HOST_MISMATCH');
    expect(takeover.body.message).toContain('`web-1`');
    expect(takeover.body.message).toContain('breakwater agent delete web-1');
    expect(takeover.body.message).not.toContain('machine-a'); // the enrolled host's id is not handed out
    expect((await auditOf('agent.enroll', 'web-1')).filter((e) => e.outcome === 'denied').map((e) => [e.principal, e.detail.reason])).toEqual([
      ['fleet-join', 'host_mismatch'],
      ['fleet-join', 'host_mismatch'],
    ]);

    expect((await api('DELETE', '/api/v1/agents/web-1')).status).toBe(200);
    await connected(await credentialOf(await enroll(join.token, 'web-1', 'machine-b')), 'web-1');
  });

  it('the same host id enrolls again (it lost its credential): a new credential, the old one refused', async () => {
    const join = await joinToken('reinstall-join');
    const first = await credentialOf(await enroll(join.token, 'web-2', 'machine-c'));
    const second = await credentialOf(await enroll(join.token, 'web-2', 'machine-c'));
    const old = await connect(first, 'web-2');
    expect(old.ok ? 'connected' : old.status).toBe(401);
    await connected(second, 'web-2');
    // Connected, it has not lost its credential: even its own host id cannot replace it now.
    const whileConnected = await enroll(join.token, 'web-2', 'machine-c');
    expect(whileConnected.status).toBe(409);
    expect(whileConnected.body.code).toBe('BW_ERR_CONFLICT');
    expect(whileConnected.body.message).toContain('is connected with its credential right now');
  });
});

describe('join tokens: expiry and uses', () => {
  it('expire after 24 h unless created to never expire', async () => {
    const before = Date.now();
    const daily = await joinToken('daily');
    const after = Date.now();
    expect(daily.expiresAt).toBeGreaterThanOrEqual(before + 86_400_000);
    expect(daily.expiresAt).toBeLessThanOrEqual(after + 86_400_000);
    expect((await joinToken('forever', { expiresInSeconds: null })).expiresAt).toBeNull();
    const viewer = await api('POST', '/api/v1/tokens', { role: 'viewer', name: 'person' });
    expect(viewer.body.expiresAt).toBeNull(); // user tokens keep their lifetime as asked
  });

  it('an expired join token is refused, saying so', async () => {
    const secret = newSecret('bwt');
    await server.store.createToken({ id: 'expired-join', name: 'old-join', role: 'agent', hash: hashSecret(secret), createdAt: Date.now() - 2 * 86_400_000, expiresAt: Date.now() - 86_400_000, revokedAt: null, createdBy: 'test', maxUses: null, uses: 0 });
    const refused = await enroll(secret, 'late-1', 'machine-late');
    expect(refused.status).toBe(401);
    expect(refused.body.message).toMatch(/^join token `old-join` expired at \d{4}-/);
    expect(refused.body.details).toMatchObject({ reason: 'expired' });
    expect(JSON.stringify(refused.body)).not.toContain(secret);
  });

  it('a one-use token enrolls exactly one of two hosts enrolling at once, then says it is used up', async () => {
    const once = await joinToken('one-shot', { uses: 1 });
    const answers = await Promise.all([enroll(once.token, 'race-a', 'machine-ra'), enroll(once.token, 'race-b', 'machine-rb')]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 401]);
    const loser = answers.find((a) => a.status === 401) as Answer;
    expect(loser.body.details).toMatchObject({ reason: 'used_up' });
    expect(loser.body.message).toContain('has enrolled 1 of the 1 agent(s) it allows');
    expect((await agentsList()).filter((a) => a.name.startsWith('race-'))).toHaveLength(1);
  });

  it('uses is for join tokens only', async () => {
    const refused = await api('POST', '/api/v1/tokens', { role: 'operator', name: 'ops', uses: 3 });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain('only a join token (role agent) has uses');
  });
});

describe('revoking and deleting agents', () => {
  it('revoke ends the credential and the connection at once; the host stays known and may enroll again', async () => {
    const join = await joinToken('revoke-join');
    const credential = await credentialOf(await enroll(join.token, 'db-1', 'machine-d'));
    const link = await connected(credential, 'db-1');

    const viewer = (await api('POST', '/api/v1/tokens', { role: 'operator', name: 'op' })).body.token as string;
    expect((await api('POST', '/api/v1/agents/db-1/revoke', undefined, viewer)).status).toBe(403);

    const revoked = await api('POST', '/api/v1/agents/db-1/revoke');
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    expect(revoked.body.disconnected).toBe(true);
    expect((await link.closed).reason).toContain('revoked');
    expect((await agentsList()).find((a) => a.name === 'db-1')).toMatchObject({ status: 'disconnected', revokedAt: expect.any(Number) as number });

    const again = await connect(credential, 'db-1');
    expect(again.ok).toBe(false);
    if (again.ok) return;
    expect(again.status).toBe(401);
    expect(again.body).toContain('was revoked');
    expect((await auditOf('agent.revoke', 'db-1')).map((e) => e.outcome)).toEqual(['ok']);

    await connected(await credentialOf(await enroll(join.token, 'db-1', 'machine-d')), 'db-1');
  });

  it('revoke also ends a connection authenticated just before it, whose hello has not come yet', async () => {
    const join = await joinToken('race-join');
    const credential = await credentialOf(await enroll(join.token, 'db-3', 'machine-h'));
    const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}${AGENT_CONNECT_PATH}`, { headers: { authorization: `Bearer ${credential}` } });
    sockets.push(ws);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const revoked = await api('POST', '/api/v1/agents/db-3/revoke');
    expect(revoked.body.disconnected).toBe(true);
    const open = new Promise<string>((resolve) => setTimeout(() => resolve('still open'), HANG_MS).unref());
    expect(await Promise.race([closed, open])).toBe(4401);
  });

  it('delete removes the agent from the inventory and disconnects it at once', async () => {
    const join = await joinToken('delete-join');
    const credential = await credentialOf(await enroll(join.token, 'db-2', 'machine-e'));
    const link = await connected(credential, 'db-2');
    const deleted = await api('DELETE', '/api/v1/agents/db-2');
    expect(deleted.body).toEqual({ deleted: 'db-2', disconnected: true });
    await link.closed;
    expect((await agentsList()).map((a) => a.name)).not.toContain('db-2');
    const again = await connect(credential, 'db-2');
    expect(again.ok ? 'connected' : again.status).toBe(401);
    expect((await auditOf('agent.delete', 'db-2')).map((e) => e.outcome)).toEqual(['ok']);
    expect((await api('DELETE', '/api/v1/agents/db-2')).status).toBe(404);
  });

  it('revoking a join token stops enrollments with it; the agents it enrolled keep working', async () => {
    const join = await joinToken('retired-join');
    const credential = await credentialOf(await enroll(join.token, 'app-1', 'machine-f'));
    const link = await connected(credential, 'app-1');
    expect((await api('GET', '/api/v1/agents')).body).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'app-1', enrolledWith: 'retired-join', enrolledWithId: join.id })]));
    const revoked = await api('DELETE', `/api/v1/tokens/${join.id}`);
    expect(revoked.body).toEqual({ revoked: join.id, agentsKept: 1 });
    const refused = await enroll(join.token, 'app-2', 'machine-g');
    expect(refused.status).toBe(401);
    expect(refused.body.details).toMatchObject({ reason: 'revoked' });
    link.ws.close();
    await link.closed;
    await connected(credential, 'app-1'); // the credential outlives the token that issued it
  });
});
