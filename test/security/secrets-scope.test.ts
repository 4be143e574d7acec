import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.js';
import { PROTOCOL_VERSION } from '../../src/protocol/index.js';
import type { RunningServer } from '../../src/server/index.js';
import { AGENT_CONNECT_PATH, startServer } from '../../src/server/index.js';
import type { AgentConnection } from '../../src/transport/index.js';
import { connectWebSocket } from '../../src/transport/index.js';
import { memoryOutput } from '../helpers.js';

/*
 * Host-scoped definitions and secrets as the control plane hands them out, seen
 * from hostile and nosy peers on loopback: agents that connect with the tags of
 * a web host and of a db host (real WebSocket connections with real enrolled
 * credentials), and a viewer token on the API. The server runs in this process
 * with its log in a file, so the value can be looked for there.
 */

const VALUE = 'Tr0ub4dor-and-3-more-words';
const FILE_CONTENT = 'db_password_file: not-for-web-hosts\n';
const DEFS = `
kind: file
name: db-conf
path: /etc/db/db.conf
mode: "0600"
content: ${JSON.stringify(FILE_CONTENT)}
query: host | role = "db"
---
kind: secret
name: db-password
description: the database password
hosts: host | role = "db"
---
kind: action
name: show_secret
command: echo "pw=$BW_SECRET_DB_PASSWORD"
secrets: [db-password]
`;
const HANG_MS = 15_000;

let dir: string;
let server: RunningServer;
let admin: string;
let viewer: string;
const conns: AgentConnection[] = [];

async function api<T>(path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<{ status: number; body: T; text: string }> {
  const res = await fetch(`${server.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { authorization: `Bearer ${init.token ?? admin}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, text };
}

type Message = Record<string, unknown> & { type: string };

/** An agent on a real WebSocket, with an enrolled credential and the tags it claims; keeps what it receives. */
async function agent(name: string, tags: Record<string, string>) {
  const join = (await api<{ token: string }>('/api/v1/tokens', { body: { role: 'agent', name: `join-${name}` } })).body.token;
  const enrolled = await fetch(`${server.url}/api/v1/agents/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: join, name, hostId: `id-${name}` }) });
  const { credential } = (await enrolled.json()) as { credential: string };
  const conn = await connectWebSocket(`${server.url.replace(/^http/, 'ws')}${AGENT_CONNECT_PATH}`, { credential, timeoutMs: HANG_MS });
  conns.push(conn);
  const received: Message[] = [];
  conn.onMessage((frame) => received.push(JSON.parse(frame) as Message));
  const hello = (t: Record<string, string>) =>
    conn.send({ type: 'hello', v: PROTOCOL_VERSION, name, facts: { hostname: name, machineId: `id-${name}`, os: 'linux', distro: 'debian 12', arch: 'x86_64', kernel: '6.1.0', ip: '127.0.0.1', agentVersion: '0.1.0' }, tags: t });
  hello(tags);
  /** The definitions messages received so far, after waiting for the `count`-th. */
  const definitions = async (count: number) => {
    const deadline = Date.now() + HANG_MS;
    for (;;) {
      const defs = received.filter((m) => m.type === 'definitions') as (Message & { version: number; definitions: { kind: string; name: string }[]; secrets?: Record<string, string> })[];
      if (defs.length >= count) return defs;
      if (Date.now() > deadline) throw new Error(`${name}: no definitions message #${count} within ${HANG_MS} ms; got ${JSON.stringify(received.map((m) => m.type))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  /** Answers every query it is sent with one row whose stdout is `stdout` (a careless or hostile agent). */
  const answerWith = (stdout: string) =>
    conn.onMessage((frame) => {
      const msg = JSON.parse(frame) as Message & { id?: string };
      if (msg.type !== 'query' || !msg.id) return;
      conn.send({ type: 'rows', query: msg.id, rows: [{ resource: { type: 'host', id: name, name, host: name }, status: 'ok', values: { stdout, exit_code: 0 } }] });
      conn.send({ type: 'done', query: msg.id });
    });
  return { received, hello, definitions, answerWith };
}

async function cli(args: string[], token: string, input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const { stdout, stderr, out, err } = memoryOutput();
  const code = await main(args, { stdout, stderr, stdin: Readable.from([input]), env: { BREAKWATER_SERVER: server.url, BREAKWATER_TOKEN: token, NO_COLOR: '1' } });
  return { code, stdout: out(), stderr: err() };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bw-secrets-scope-'));
  const logger = pino({ level: 'debug' }, pino.destination({ dest: join(dir, 'server.log'), sync: true }));
  server = await startServer({ port: 0, dataDir: join(dir, 'data') }, { logger });
  admin = server.initialAdminToken as string;
  viewer = (await api<{ token: string }>('/api/v1/tokens', { body: { role: 'viewer', name: 'nosy-viewer' } })).body.token;
  const plan = await api<{ baseVersion: number }>('/api/v1/definitions/plan', { body: { files: [{ path: 'defs.yaml', text: DEFS }] } });
  expect(plan.status).toBe(200);
  const applied = await api('/api/v1/definitions/apply', { body: { files: [{ path: 'defs.yaml', text: DEFS }], baseVersion: plan.body.baseVersion } });
  expect(applied.status, applied.text).toBe(200);
  const set = await cli(['secret', 'set', 'db-password'], admin, `${VALUE}\n`);
  expect(set, set.stderr).toMatchObject({ code: 0 });
}, 60_000);

afterAll(async () => {
  for (const c of conns) c.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('host-scoped definitions reach only the hosts they select', () => {
  it('a file and a secret scoped to role = "db" reach the db agent only; the web agent gets neither', async () => {
    const db = await agent('db-1', { role: 'db' });
    const web = await agent('web-1', { role: 'web' });
    const [dbDefs] = await db.definitions(1);
    const [webDefs] = await web.definitions(1);
    expect(dbDefs?.definitions.map((d) => `${d.kind}/${d.name}`)).toEqual(['file/db-conf', 'action/show_secret']);
    expect(dbDefs?.secrets).toEqual({ 'db-password': VALUE });
    expect(webDefs?.definitions.map((d) => `${d.kind}/${d.name}`)).toEqual(['action/show_secret']);
    expect(webDefs?.secrets).toEqual({});
    expect(JSON.stringify(web.received)).not.toContain(VALUE);
    expect(JSON.stringify(web.received)).not.toContain('not-for-web-hosts');
  });

  it('takes the secret back from a host whose tags leave the scope, and gives it to one that enters', async () => {
    const moving = await agent('db-2', { role: 'db' });
    const entering = await agent('web-2', { role: 'web' });
    expect((await moving.definitions(1))[0]?.secrets).toEqual({ 'db-password': VALUE });
    expect((await entering.definitions(1))[0]?.secrets).toEqual({});
    moving.hello({ role: 'quarantined' });
    entering.hello({ role: 'db' });
    const after = (await moving.definitions(2))[1];
    expect(after?.secrets).toEqual({});
    expect(after?.definitions.map((d) => d.name)).toEqual(['show_secret']);
    expect((await entering.definitions(2))[1]?.secrets).toEqual({ 'db-password': VALUE });
  });
});

describe('the control plane redacts what agents send', () => {
  it('replaces a secret value in an agent\'s rows with [secret:NAME] in the answer and the stored run, even if the agent did not', async () => {
    const leaky = await agent('db-leaky', { role: 'db' });
    await leaky.definitions(1);
    leaky.answerWith(`password=${VALUE}\n`);
    const res = await fetch(`${server.url}/api/v1/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ statement: 'host | name = "db-leaky" | `cat /etc/db/db.conf`' }),
    });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    expect(text).toContain('password=[secret:db-password]');
    expect(text).not.toContain(VALUE);
    const runs = await api<{ id: string; statement: string }[]>('/api/v1/runs?limit=1');
    const run = await api<{ results: { stdout: string | null }[] }>(`/api/v1/runs/${runs.body[0]?.id ?? ''}`);
    expect(run.body.results.map((r) => r.stdout)).toEqual(['password=[secret:db-password]\n']);
  });
});

describe('what people can read', () => {
  it('a viewer sees a scoped file\'s size and digest, not its content; an admin sees the content; nobody sees a secret value', async () => {
    const asViewer = await api<{ definitions: Record<string, unknown>[] }>('/api/v1/definitions', { token: viewer });
    expect(asViewer.status).toBe(200);
    const file = asViewer.body.definitions.find((d) => d.name === 'db-conf');
    expect(file).toMatchObject({ contentHidden: true, content: expect.stringMatching(new RegExp(`^\\(hidden from non-admins: ${FILE_CONTENT.length} bytes, sha256 [0-9a-f]{64}\\)$`)) });
    expect(asViewer.text).not.toContain('not-for-web-hosts');
    const version = await api<{ definitions: Record<string, unknown>[] }>('/api/v1/definitions/versions/1', { token: viewer });
    expect(version.text).not.toContain('not-for-web-hosts');
    expect(version.body.definitions.find((d) => d.name === 'db-conf')).toMatchObject({ contentHidden: true });

    const asAdmin = await api<{ definitions: Record<string, unknown>[] }>('/api/v1/definitions');
    expect(asAdmin.body.definitions.find((d) => d.name === 'db-conf')).toMatchObject({ content: FILE_CONTENT });
    expect(asAdmin.body.definitions.find((d) => d.name === 'db-password')).toMatchObject({ kind: 'secret', value: '(set)' });
    for (const r of [asViewer, version, asAdmin]) expect(r.text).not.toContain(VALUE);
  });

  it('secrets are listed to admins only, without values; a viewer cannot set or list them, and is told why', async () => {
    const list = await cli(['secret', 'list'], admin);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^db-password\s+host \| role = "db"\s+store\s+\(set\)\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ by admin$/m);
    expect(list.stdout).not.toContain(VALUE);
    const denied = await api<{ code: string; message: string }>('/api/v1/secrets', { token: viewer });
    expect(denied.status).toBe(403);
    expect(denied.body.message).toContain('needs the admin role');
    const setDenied = await cli(['secret', 'set', 'db-password'], viewer, 'stolen\n');
    expect(setDenied.code).toBe(1);
    expect(setDenied.stderr).toContain('needs the admin role');
  });

  it('export writes the secret without a value, and refuses a viewer rather than export hidden content', async () => {
    const exported = await cli(['export'], admin);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain('# secrets/db-password.yaml\nkind: secret\nname: db-password\n');
    expect(exported.stdout).toContain('hosts: host | role = "db"');
    expect(exported.stdout).not.toContain(VALUE);
    const refused = await cli(['export'], viewer);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('the content of file db-conf is shown to admins only: export with an admin token');
  });

  it('the audit names who set the secret, never the value; the value is nowhere in the log or the store\'s files', async () => {
    const audit = await api<{ action: string; target: string; outcome: string; principal: string }[]>('/api/v1/audit?action=secret.set');
    expect(audit.body.filter((a) => a.outcome === 'ok').map((a) => [a.principal, a.action, a.target])).toEqual([['admin', 'secret.set', 'db-password']]);
    expect(JSON.stringify(audit.body)).not.toContain(VALUE);
    const log = readFileSync(join(dir, 'server.log'), 'utf8');
    expect(log).toContain('"level":'); // the log was written
    expect(log).not.toContain(VALUE);
    for (const f of readdirSync(join(dir, 'data'))) {
      expect(readFileSync(join(dir, 'data', f)).includes(VALUE), f).toBe(false);
    }
  });
});
