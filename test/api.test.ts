import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ResultRow } from '../src/protocol/index.js';
import type { RunningServer } from '../src/server/index.js';
import { startServer } from '../src/server/index.js';
import { apiRoutes } from '../src/server/api/routes.js';
import { createToken } from '../src/server/auth.js';
import type { ApiAnswer } from './helpers.js';
import { callApi } from './helpers.js';

/*
 * The HTTP API of a real control plane on loopback (SQLite in a temporary directory), driven with
 * fetch as a script or the CLI would.
 */

type Role = 'agent' | 'viewer' | 'operator' | 'admin';
const RANK: Record<Role, number> = { agent: 0, viewer: 1, operator: 2, admin: 3 };

/** The route table as data (method, url, role): the handlers are not called, so the context is a stub. */
const STUB_CONTEXT = { queryTimeoutMs: 1000, version: 'test' } as unknown as Parameters<typeof apiRoutes>[0];
const TABLE = apiRoutes(STUB_CONTEXT).map(({ method, url, role, body, tokenInQuery }) => ({ method, url, role, hasBody: body !== undefined, tokenInQuery: tokenInQuery === true }));

const dirs: string[] = [];
const servers: RunningServer[] = [];

async function server(): Promise<RunningServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bw-api-'));
  dirs.push(dataDir);
  const s = await startServer({ port: 0, dataDir, logLevel: 'silent' });
  servers.push(s);
  return s;
}

afterAll(async () => {
  for (const s of servers) await s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const call = (server: RunningServer, method: string, path: string, options: Parameters<typeof callApi>[3] = {}): Promise<ApiAnswer> => callApi(server.url, method, path, options);

/** A concrete path for a route (`:id` filled in). */
const pathOf = (url: string) => url.replace(/:(\w+)/g, 'no-such-$1');

/** Lines of an NDJSON answer. */
const lines = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

let s: RunningServer;
let admin: string;
const tokens = {} as Record<Role, string>;

beforeAll(async () => {
  s = await server();
  expect(s.initialAdminToken).toMatch(/^bwt_/);
  admin = s.initialAdminToken as string;
  for (const role of ['agent', 'viewer', 'operator', 'admin'] as const) {
    const r = await call(s, 'POST', '/api/v1/tokens', { token: admin, body: { role, name: `${role}-1` } });
    expect(r.status).toBe(200);
    tokens[role] = r.json.token as string;
  }
}, 60_000);

describe('authentication', () => {
  it('the route table has public and protected routes (sanity of what the sweep covers)', () => {
    expect(TABLE.some((r) => r.role === 'public')).toBe(true);
    expect(TABLE.filter((r) => r.role !== 'public').length).toBeGreaterThan(5);
  });

  it.each(TABLE.filter((r) => r.role !== 'public').map((r) => [r.method, r.url] as const))('%s %s without a token: 401 BW_ERR_UNAUTHENTICATED', async (method, url) => {
    const r = await call(s, method, pathOf(url), TABLE.find((t) => t.url === url && t.method === method)?.hasBody ? { body: {} } : {});
    expect(r.status).toBe(401);
    expect(r.type).toContain('application/json');
    expect(r.json.code).toBe('BW_ERR_UNAUTHENTICATED');
    expect(r.json.message).toContain('Authorization: Bearer');
  });

  it.each(TABLE.filter((r) => r.role !== 'public').map((r) => [r.method, r.url] as const))('%s %s with an unknown or malformed token: 401', async (method, url) => {
    for (const headers of [{ authorization: 'Bearer bwt_not-a-real-token' }, { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` }, { authorization: `Bearer ${tokens.admin.slice(0, -2)}` }]) {
      const r = await call(s, method, pathOf(url), { headers });
      expect(r.status).toBe(401);
      expect(r.json.code).toBe('BW_ERR_UNAUTHENTICATED');
    }
  });

  it('public routes answer without a token', async () => {
    const health = await call(s, 'GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ ok: true, agents: 0 });
    const enroll = await call(s, 'POST', '/api/v1/agents/enroll', { body: {} });
    expect(enroll.status).toBe(400); // reaches validation: no token needed to try
    const openapi = await call(s, 'GET', '/api/v1/openapi.json');
    expect(openapi.status).toBe(200);
    for (const r of TABLE.filter((t) => t.role === 'public' && t.method === 'GET')) expect((await call(s, 'GET', pathOf(r.url))).status).toBe(200);
  });

  it('whoami names the token and its role', async () => {
    const r = await call(s, 'GET', '/api/v1/whoami', { token: tokens.operator });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ name: 'operator-1', role: 'operator', may: 'queries and defined actions' });
  });
});

describe('roles', () => {
  const cases = TABLE.filter((r) => r.role !== 'public').flatMap((r) => (['agent', 'viewer', 'operator', 'admin'] as const).map((held) => [r.method, r.url, r.role, held] as const));

  it.each(cases)('%s %s needs %s; a %s token', async (method, url, needed, held) => {
    const r = await call(s, method, pathOf(url), { token: tokens[held], ...(TABLE.find((t) => t.url === url && t.method === method)?.hasBody ? { body: {} } : {}) });
    if (held === 'agent' || RANK[held] < RANK[needed as Role]) {
      expect(r.status).toBe(403);
      expect(r.json.code).toBe('BW_ERR_FORBIDDEN');
      expect(r.json.message).toContain(`needs the ${needed} role`);
      expect(r.json.message).toContain(`has ${held}`);
      expect(r.json.details).toEqual({ needed, held });
    } else {
      // Allowed: whatever the answer (400 for the empty body, 404 for the made-up id), not refused.
      expect([401, 403]).not.toContain(r.status);
    }
  });

  it('a viewer may query but not run shell commands; the refusal names both roles', async () => {
    const r = await call(s, 'POST', '/api/v1/query', { token: tokens.viewer, body: { statement: 'host | `uptime`' } });
    expect(r.status).toBe(403);
    expect(r.json).toMatchObject({ code: 'BW_ERR_FORBIDDEN', details: { needed: 'admin', held: 'viewer' } });
    expect(r.json.message).toBe('running shell commands needs the admin role; token `viewer-1` has viewer');
  });

  it('an operator may not run ok(...) checks either (they run commands)', async () => {
    const r = await call(s, 'POST', '/api/v1/query', { token: tokens.operator, body: { statement: 'host | ok(`true`)' } });
    expect(r.status).toBe(403);
    expect(r.json.details).toEqual({ needed: 'admin', held: 'operator' });
  });

  it('a refused statement with commands is audited as denied', async () => {
    await call(s, 'POST', '/api/v1/query', { token: tokens.viewer, body: { statement: 'host | `reboot`' } });
    const audit = await call(s, 'GET', '/api/v1/audit?action=run', { token: admin });
    expect(audit.status).toBe(200);
    expect(audit.json).toEqual(expect.arrayContaining([expect.objectContaining({ principal: 'viewer-1', target: 'host | `reboot`', outcome: 'denied' })]));
  });
});

describe('payload validation', () => {
  const invalid = async (path: string, body: unknown, field: string) => {
    const r = await call(s, 'POST', path, { token: admin, body });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('BW_ERR_INVALID_REQUEST');
    expect(r.json.message).toContain(field);
    return r;
  };

  it('a missing statement names the field', async () => {
    await invalid('/api/v1/query', {}, 'statement');
    await invalid('/api/v1/check', {}, 'statement');
  });

  it('an empty statement says so', async () => {
    const r = await invalid('/api/v1/check', { statement: '' }, 'statement');
    expect(r.json.message).toContain('the statement is empty');
  });

  it('wrong types name the field', async () => {
    await invalid('/api/v1/check', { statement: 42 }, 'statement');
    await invalid('/api/v1/query', { statement: 'host', timeoutMs: 'fast' }, 'timeoutMs');
    await invalid('/api/v1/query', { statement: 'host', dryRun: 'yes' }, 'dryRun');
    await invalid('/api/v1/query', { statement: 'host', timeoutMs: 5 }, 'timeoutMs');
    await invalid('/api/v1/tokens', { role: 'viewer', name: 'x', expiresInSeconds: -1 }, 'expiresInSeconds');
    await invalid('/api/v1/tokens', { role: 'agent', name: 'x', expiresInSeconds: 9e15 }, 'expiresInSeconds');
  });

  it('an unknown role names the field and the roles there are', async () => {
    const r = await invalid('/api/v1/tokens', { role: 'superuser', name: 'x' }, 'role');
    expect(r.json.message).toMatch(/viewer/);
  });

  it('a bad token name names the field', async () => {
    await invalid('/api/v1/tokens', { role: 'viewer', name: 'two words' }, 'name');
  });

  it('a body that is not JSON is an invalid request', async () => {
    const r = await call(s, 'POST', '/api/v1/check', { token: admin, raw: '{"statement": ' });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('BW_ERR_INVALID_REQUEST');
  });

  it('a 2 MB body is refused as too large (413), and the server keeps answering', async () => {
    const r = await call(s, 'POST', '/api/v1/check', { token: admin, body: { statement: `host | name = "${'x'.repeat(2 * 1024 * 1024)}"` } });
    expect(r.status).toBe(413);
    expect(r.json.code).toBe('BW_ERR_PAYLOAD_TOO_LARGE');
    expect(r.json.message).toBe('the request body is larger than 1048576 bytes, the most accepted');
    expect((await call(s, 'GET', '/healthz')).status).toBe(200);
  });

  it('an invalid statement is BW_ERR_INVALID_STATEMENT with the diagnostics', async () => {
    const r = await call(s, 'POST', '/api/v1/query', { token: admin, body: { statement: 'host | disk_usge > 90' } });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('BW_ERR_INVALID_STATEMENT');
    expect(r.json.message).toContain('disk_usge');
    const diagnostics = r.json.details.diagnostics as { severity: string; code: string; message: string }[];
    expect(diagnostics.length).toBeGreaterThan(0);
    expect(diagnostics.some((d) => d.severity === 'error' && d.message.includes('disk_usage'))).toBe(true);
  });

  it('check answers diagnostics for an invalid statement and a plan for a valid one', async () => {
    const bad = await call(s, 'POST', '/api/v1/check', { token: tokens.viewer, body: { statement: 'host | disk_usge > 90' } });
    expect(bad.status).toBe(200);
    expect(bad.json.ok).toBe(false);
    expect(bad.json.plan).toBeNull();
    expect(bad.json.diagnostics.length).toBeGreaterThan(0);
    const good = await call(s, 'POST', '/api/v1/check', { token: tokens.viewer, body: { statement: 'host | count' } });
    expect(good.json).toMatchObject({ ok: true, diagnostics: [], plan: { version: 1, requires: 'viewer' } });
  });
});

describe('unknown routes', () => {
  it.each([
    ['GET', '/api/v1/nothing-here'],
    ['POST', '/api/v2/query'],
    ['DELETE', '/api/v1/agents'],
  ])('%s %s: 404 JSON naming the route', async (method, path) => {
    const r = await call(s, method, `${path}?x=1`, { token: admin });
    expect(r.status).toBe(404);
    expect(r.type).toContain('application/json');
    expect(r.json).toEqual({ code: 'BW_ERR_NOT_FOUND', message: `no route ${method} ${path}`, details: {} });
  });
});

describe('tokens', () => {
  it('create shows the secret once; the list has names and roles, never secrets or hashes', async () => {
    const created = await call(s, 'POST', '/api/v1/tokens', { token: admin, body: { role: 'viewer', name: 'ci-bot', expiresInSeconds: 3600 } });
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ name: 'ci-bot', role: 'viewer' });
    expect(created.json.token).toMatch(/^bwt_[A-Za-z0-9_-]{43}$/);
    expect(created.json.expiresAt).toBeGreaterThan(Date.now());
    const secret = created.json.token as string;

    const list = await call(s, 'GET', '/api/v1/tokens', { token: admin });
    expect(list.status).toBe(200);
    const mine = (list.json as Record<string, unknown>[]).find((t) => t.id === created.json.id);
    expect(mine).toMatchObject({ name: 'ci-bot', role: 'viewer', createdBy: 'admin', revokedAt: null });
    for (const t of list.json as Record<string, unknown>[]) {
      expect(Object.keys(t)).not.toContain('hash');
      expect(Object.keys(t)).not.toContain('token');
      expect(Object.keys(t)).not.toContain('secret');
    }
    // Neither any secret nor any secret's hash appears anywhere in the list.
    for (const known of [secret, admin, ...Object.values(tokens)]) {
      expect(list.text).not.toContain(known);
      expect(list.text).not.toContain(createHash('sha256').update(known).digest('hex'));
    }
    expect(list.text).not.toMatch(/bwt_/);
  });

  it('a revoked token is refused from then on; revoking twice is 404', async () => {
    const created = await call(s, 'POST', '/api/v1/tokens', { token: admin, body: { role: 'operator', name: 'short-lived' } });
    const secret = created.json.token as string;
    expect((await call(s, 'GET', '/api/v1/whoami', { token: secret })).status).toBe(200);

    const revoked = await call(s, 'DELETE', `/api/v1/tokens/${created.json.id as string}`, { token: admin });
    expect(revoked.status).toBe(200);
    expect(revoked.json).toEqual({ revoked: created.json.id, agentsKept: 0 });

    const after = await call(s, 'GET', '/api/v1/whoami', { token: secret });
    expect(after.status).toBe(401);
    expect(after.json).toMatchObject({ code: 'BW_ERR_UNAUTHENTICATED', message: 'the token is unknown, expired or revoked' });
    const list = await call(s, 'GET', '/api/v1/tokens', { token: admin });
    expect((list.json as { id: string; revokedAt: number | null }[]).find((t) => t.id === created.json.id)?.revokedAt).toEqual(expect.any(Number));

    const again = await call(s, 'DELETE', `/api/v1/tokens/${created.json.id as string}`, { token: admin });
    expect(again.status).toBe(404);
    expect(again.json.code).toBe('BW_ERR_NOT_FOUND');
  });

  it('an expired token is refused', async () => {
    const { secret } = await createToken(s.store, 'admin', 'expired-admin', 'test', Date.now() - 1000);
    const r = await call(s, 'GET', '/api/v1/whoami', { token: secret });
    expect(r.status).toBe(401);
    expect(r.json.code).toBe('BW_ERR_UNAUTHENTICATED');
  });

  it('token changes are audited', async () => {
    const audit = await call(s, 'GET', '/api/v1/audit?action=token.create', { token: tokens.operator });
    expect(audit.status).toBe(200);
    expect((audit.json as { target: string }[]).map((a) => a.target)).toEqual(expect.arrayContaining(['viewer-1', 'ci-bot']));
  });
});

describe('enrollment', () => {
  const enroll = (token: string, name: string, hostId = `host-id-${name}`) => call(s, 'POST', '/api/v1/agents/enroll', { body: { token, name, hostId } });

  it('an agent join token buys the host its own credential', async () => {
    const r = await enroll(tokens.agent, 'enrolled-1');
    expect(r.status).toBe(200);
    expect(r.json.agentId).toEqual(expect.any(String));
    expect(r.json.credential).toMatch(/^bwa_/);
    const agents = await call(s, 'GET', '/api/v1/agents', { token: tokens.viewer });
    expect(agents.json).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'enrolled-1', id: r.json.agentId, status: 'disconnected' })]));
  });

  it('a viewer (or admin) token cannot enroll: a join token has the agent role', async () => {
    for (const [role, token] of [['viewer', tokens.viewer], ['admin', admin]] as const) {
      const r = await enroll(token, `refused-${role}`);
      expect(r.status).toBe(401);
      expect(r.json.code).toBe('BW_ERR_UNAUTHENTICATED');
      expect(r.json.message).toContain(`has role ${role}; enrollment needs a join token with role agent`);
    }
  });

  it('an expired, revoked or unknown join token is refused', async () => {
    const expired = await createToken(s.store, 'agent', 'expired-join', 'test', Date.now() - 1000);
    expect((await enroll(expired.secret, 'refused-expired')).status).toBe(401);

    const created = await call(s, 'POST', '/api/v1/tokens', { token: admin, body: { role: 'agent', name: 'join-revoked' } });
    await call(s, 'DELETE', `/api/v1/tokens/${created.json.id as string}`, { token: admin });
    expect((await enroll(created.json.token as string, 'refused-revoked')).status).toBe(401);

    const unknown = await enroll('bwt_nope', 'refused-unknown');
    expect(unknown.status).toBe(401);
    expect(unknown.json.message).toBe('the join token is unknown; ask an admin for a new one (breakwater token create --role agent)');

    const names = ((await call(s, 'GET', '/api/v1/agents', { token: admin })).json as { name: string }[]).map((a) => a.name);
    expect(names.filter((n) => n.startsWith('refused-'))).toEqual([]);
  });

  it('a bad agent name is an invalid request naming the field', async () => {
    const r = await enroll(tokens.agent, 'web 1; rm -rf /');
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('BW_ERR_INVALID_REQUEST');
    expect(r.json.message).toContain('name');
  });
});

describe('the OpenAPI document', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let doc: any;
  beforeAll(async () => {
    doc = (await call(s, 'GET', '/api/v1/openapi.json')).json;
  });

  it('is OpenAPI 3.1 with a bearer security scheme', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('lists every route of the table with its method and role', () => {
    const listed = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const table = TABLE.map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`);
    expect(listed.sort()).toEqual(table.sort());
    for (const r of TABLE) expect(doc.paths[r.url.replace(/:(\w+)/g, '{$1}')][r.method.toLowerCase()]['x-breakwater-role']).toBe(r.role);
  });

  it('non-public routes require the bearer token; public ones do not', () => {
    for (const r of TABLE) {
      const op = doc.paths[r.url.replace(/:(\w+)/g, '{$1}')][r.method.toLowerCase()];
      if (r.role === 'public') expect(op.security).toBeUndefined();
      else expect(op.security).toEqual(r.tokenInQuery ? [{ bearer: [] }, { queryToken: [] }] : [{ bearer: [] }]);
    }
  });

  it('describes request bodies with their schemas', () => {
    for (const r of TABLE.filter((t) => t.hasBody)) {
      const op = doc.paths[r.url.replace(/:(\w+)/g, '{$1}')][r.method.toLowerCase()];
      expect(op.requestBody?.content?.['application/json']?.schema?.type).toBe('object');
    }
    const query = doc.paths['/api/v1/query'].post.requestBody.content['application/json'].schema;
    expect(query.required).toContain('statement');
    expect(query.properties.statement.type).toBe('string');
    expect(query.properties.timeoutMs.type).toBe('integer');
    const token = doc.paths['/api/v1/tokens'].post.requestBody.content['application/json'].schema;
    expect(token.properties.role.enum).toEqual(['agent', 'viewer', 'operator', 'admin']);
  });

  it('describes path parameters and the NDJSON answer of queries', () => {
    expect(doc.paths['/api/v1/tokens/{id}'].delete.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true })]);
    for (const op of [doc.paths['/api/v1/agents/{name}/revoke'].post, doc.paths['/api/v1/agents/{name}'].delete]) {
      expect(op['x-breakwater-role']).toBe('admin');
      expect(op.parameters).toEqual([expect.objectContaining({ name: 'name', in: 'path', required: true })]);
    }
    expect(Object.keys(doc.paths['/api/v1/query'].post.responses['200'].content)).toEqual(['application/x-ndjson']);
  });
});

describe('queries', () => {
  it('with no agents: an NDJSON stream with the plan, 0 hosts asked and a summary of 0 rows', async () => {
    const empty = await server();
    const r = await call(empty, 'POST', '/api/v1/query', { token: empty.initialAdminToken, body: { statement: 'host | cpu_usage > 50' } });
    expect(r.status).toBe(200);
    expect(r.type).toContain('application/x-ndjson');
    const out = lines(r.text);
    expect(out[0]).toMatchObject({ type: 'plan', runId: null, dryRun: false, plan: { version: 1, source: 'host' } });
    expect(out.filter((l) => l.type === 'row')).toEqual([]);
    expect(out.at(-1)).toMatchObject({ type: 'summary', rows: 0, failures: 0, failed: 0, targets: 0, agentsAsked: 0, agentsAnswered: 0 });
    expect(out.map((l) => l.type)).toEqual(['plan', 'targets', 'summary']);
    expect(out[1]).toEqual({ type: 'targets', hosts: 0 });
  });

  it('hosts enrolled but never connected are offline rows (never connected)', async () => {
    const fleet = await server();
    const token = fleet.initialAdminToken as string;
    const join = (await call(fleet, 'POST', '/api/v1/tokens', { token, body: { role: 'agent', name: 'join' } })).json.token as string;
    for (const name of ['web-10', 'web-2']) expect((await call(fleet, 'POST', '/api/v1/agents/enroll', { body: { token: join, name, hostId: name } })).status).toBe(200);

    const r = await call(fleet, 'POST', '/api/v1/query', { token, body: { statement: 'host | cpu_usage > 50' } });
    expect(r.status).toBe(200);
    const out = lines(r.text);
    const rows = out.filter((l) => l.type === 'row').map((l) => l.row as ResultRow);
    expect(rows).toEqual([
      { resource: { type: 'host', id: 'web-2', name: 'web-2', host: 'web-2' }, status: 'offline', error: 'agent offline (never connected)', values: {} },
      { resource: { type: 'host', id: 'web-10', name: 'web-10', host: 'web-10' }, status: 'offline', error: 'agent offline (never connected)', values: {} },
    ]);
    expect(out.at(-1)).toMatchObject({ type: 'summary', rows: 0, failures: 2, agentsAsked: 0, agentsAnswered: 0 });

    // The inventory alone still sees them.
    const count = lines((await call(fleet, 'POST', '/api/v1/query', { token, body: { statement: 'host | count' } })).text);
    expect(count.filter((l) => l.type === 'row').map((l) => (l.row as ResultRow).values)).toEqual([{ count: 2 }]);
  });

  it('a statement with commands is recorded as a run, viewable afterwards', async () => {
    const r = await call(s, 'POST', '/api/v1/query', { token: admin, body: { statement: 'host | name = "nobody" | `uptime`' } });
    const out = lines(r.text);
    const runId = out[0]?.runId as string;
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.at(-1)).toMatchObject({ type: 'summary', runId });
    // Output is for operators, admins and whoever ran it (test/security/permissions-api.test.ts has the refusal).
    const run = await call(s, 'GET', `/api/v1/runs/${runId}`, { token: tokens.operator });
    expect(run.status).toBe(200);
    expect(run.json).toMatchObject({ run: { id: runId, principal: 'admin', statement: 'host | name = "nobody" | `uptime`', status: 'succeeded', targets: 0 }, results: [] });
    expect((await call(s, 'GET', '/api/v1/runs/no-such-run', { token: tokens.viewer })).json.code).toBe('BW_ERR_NOT_FOUND');
  });
});
