import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/index.js';
import { startServer } from '../../src/server/index.js';
import { REFUSAL_AUDIT_BUDGET } from '../../src/server/audit/index.js';
import { apiRoutes } from '../../src/server/api/routes.js';
import { callApi } from '../helpers.js';

/*
 * Each role as a hostile caller of a real control plane on loopback (SQLite in a temporary
 * directory): what it may not do is refused with a message naming what is needed, and audited.
 * Every route's refusal without a valid token is in test/api.test.ts; here, that it is audited.
 */

type Role = 'viewer' | 'operator' | 'admin';
const dirs: string[] = [];
const servers: RunningServer[] = [];
let s: RunningServer;
const tokens = {} as Record<Role | 'dba', string>;

const call = (server: RunningServer, method: string, path: string, token: string | undefined, body?: unknown) => callApi(server.url, method, path, { token, body });

async function start(options: Parameters<typeof startServer>[0] = {}): Promise<{ server: RunningServer; admin: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bw-perms-'));
  dirs.push(dataDir);
  const server = await startServer({ port: 0, dataDir, logLevel: 'silent', ...options });
  servers.push(server);
  return { server, admin: server.initialAdminToken as string };
}

async function token(server: RunningServer, admin: string, role: Role, name: string): Promise<string> {
  const r = await call(server, 'POST', '/api/v1/tokens', admin, { role, name });
  expect(r.status).toBe(200);
  return r.json.token as string;
}

/** Audit entries, newest first, read as the admin. */
async function auditOf(server: RunningServer, admin: string, query = ''): Promise<{ principal: string; action: string; target: string; outcome: string; detail: Record<string, unknown> }[]> {
  const r = await call(server, 'GET', `/api/v1/audit?limit=1000${query}`, admin);
  expect(r.status).toBe(200);
  return r.json;
}

const DEFS = [
  {
    path: 'defs/db.yaml',
    text: `kind: action
name: restart_db
command: echo restarting
allowed:
  where: host | role = "db"
  roles: [admin]
  principals: [dba]
---
kind: action
name: say_hi
command: echo hi
`,
  },
];

beforeAll(async () => {
  const started = await start({ probeAllow: ['localhost:8080', '10.9.0.0/16'] });
  s = started.server;
  tokens.admin = started.admin;
  tokens.viewer = await token(s, tokens.admin, 'viewer', 'vic');
  tokens.operator = await token(s, tokens.admin, 'operator', 'olga');
  tokens.dba = await token(s, tokens.admin, 'operator', 'dba');
  const plan = await call(s, 'POST', '/api/v1/definitions/plan', tokens.admin, { files: DEFS });
  expect(plan.json.ok).toBe(true);
  const applied = await call(s, 'POST', '/api/v1/definitions/apply', tokens.admin, { files: DEFS, baseVersion: plan.json.baseVersion });
  expect(applied.status).toBe(200);
}, 60_000);

afterAll(async () => {
  for (const server of servers) await server.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('probes: http_ok and tcp_ok make every agent open connections', () => {
  it('a viewer\'s live query with http_ok to a target off the allow-list is refused, naming the role and the allow-list, and audited', async () => {
    const q = encodeURIComponent('host | http_ok("http://169.254.169.254/latest/meta-data/")');
    const r = await call(s, 'GET', `/api/v1/query/live?q=${q}&every=1s`, tokens.viewer);
    expect(r.status).toBe(403);
    expect(r.json.code).toBe('BW_ERR_FORBIDDEN');
    expect(r.json.message).toBe(
      '`http_ok("http://169.254.169.254/latest/meta-data/")` makes every selected agent open a network connection: that needs the operator role, or a target on the server\'s probe allow-list (--probe-allow), and it is not on the server\'s probe allow-list (localhost:8080, 10.9.0.0/16); token `vic` has viewer',
    );
    const denied = (await auditOf(s, tokens.admin, '&principal=vic')).find((a) => a.outcome === 'denied' && a.detail.reason === 'probe');
    expect(denied?.detail.probes).toEqual(['http_ok("http://169.254.169.254/latest/meta-data/")']);
  });

  it('a viewer\'s tcp_ok query is refused the same way; on the allow-list it runs; an operator probes anything', async () => {
    expect((await call(s, 'POST', '/api/v1/query', tokens.viewer, { statement: 'host | tcp_ok("10.10.0.1:22")' })).status).toBe(403);
    for (const statement of ['host | tcp_ok("10.9.3.4:5432")', 'host | http_ok("http://localhost:8080/health")']) {
      const ok = await call(s, 'POST', '/api/v1/query', tokens.viewer, { statement });
      expect(ok.status, statement).toBe(200);
    }
    expect((await call(s, 'POST', '/api/v1/query', tokens.operator, { statement: 'host | tcp_ok("10.10.0.1:22")' })).status).toBe(200);
  });
});

describe('who may run an action (its `allowed` rule)', () => {
  it('an operator not named by the rule is refused: which action, which rule, who; audited', async () => {
    const r = await call(s, 'POST', '/api/v1/query', tokens.operator, { statement: 'host | restart_db()' });
    expect(r.status).toBe(403);
    expect(r.json.message).toBe('action `restart_db` may be run only by the admin role or `dba` (its `allowed` rule); `olga` has the operator role and is not named');
    const denied = (await auditOf(s, tokens.admin, '&principal=olga')).find((a) => a.detail.reason === 'action rule');
    expect(denied).toMatchObject({ action: 'run', target: 'host | restart_db()', outcome: 'denied', detail: { action: 'restart_db', caller: 'olga' } });
  });

  it('the admin role and the named token run it; an action without a rule stays open to operators', async () => {
    for (const t of [tokens.admin, tokens.dba]) expect((await call(s, 'POST', '/api/v1/query', t, { statement: 'host | restart_db()' })).status).toBe(200);
    expect((await call(s, 'POST', '/api/v1/query', tokens.operator, { statement: 'host | say_hi()' })).status).toBe(200);
  });

  it('an approval: the approver must be allowed too; a refused approval stays pending', async () => {
    const id = 'a0a0a0a0-0000-4000-8000-000000000001';
    const now = Date.now();
    await s.store.createApproval({ id, createdAt: now, expiresAt: now + 600_000, bot: 'fix-db', action: 'restart_db', host: 'db-1', resource: 'db-1', statement: 'host | name = "db-1" | restart_db()', details: {}, status: 'pending', decidedBy: null, decidedAt: null, runId: null });
    const r = await call(s, 'POST', `/api/v1/approvals/${id}/approve`, tokens.operator);
    expect(r.status).toBe(403);
    expect(r.json.message).toContain('`olga` has the operator role and is not named');
    expect((await s.store.getApproval(id))?.status).toBe('pending');
    // The admin may, but the bot that asked is not named by the rule (it changed since it asked).
    const admin = await call(s, 'POST', `/api/v1/approvals/${id}/approve`, tokens.admin);
    expect(admin.status).toBe(403);
    expect(admin.json.message).toContain('`bot:fix-db@db-1` is not named in its principals');
    expect((await s.store.getApproval(id))?.status).toBe('pending');
  });
});

describe('run output: operators, admins and whoever ran it', () => {
  it('a viewer reading another principal\'s run is refused (and audited) while an operator reads it; a viewer reads its own', async () => {
    const ran = await call(s, 'POST', '/api/v1/query', tokens.admin, { statement: 'host | name = "nobody" | `cat /etc/shadow`' });
    const runId = JSON.parse(ran.text.split('\n')[0] as string).runId as string;
    const viewer = await call(s, 'GET', `/api/v1/runs/${runId}`, tokens.viewer);
    expect(viewer.status).toBe(403);
    expect(viewer.json.message).toBe(`the output of run ${runId} is readable by operators, admins and the principal who ran it (\`admin\`): reading it needs the operator role; token \`vic\` has viewer (the server's --run-output-visibility is operator)`);
    expect((await auditOf(s, tokens.admin, '&action=run.read'))[0]).toMatchObject({ principal: 'vic', target: runId, outcome: 'denied' });
    expect((await call(s, 'GET', `/api/v1/runs/${runId}`, tokens.operator)).status).toBe(200);

    const own = await call(s, 'POST', '/api/v1/query', tokens.viewer, { statement: 'host | cpu_usage', dryRun: true });
    const ownId = JSON.parse(own.text.split('\n')[0] as string).runId as string;
    expect((await call(s, 'GET', `/api/v1/runs/${ownId}`, tokens.viewer)).status).toBe(200);
  });

  it('a bot\'s output in its bot_ran event is left out for a viewer, kept for an operator', async () => {
    const event = { id: 'e0e0e0e0-0000-4000-8000-000000000001', time: Date.now(), type: 'bot_ran' as const, host: 'web-1', resource: 'web-1', alarm: null, bot: 'dump', action: 'dump_config', severity: null, runId: null, principal: 'bot:dump', message: 'bot dump ran dump_config on web-1: exit 0', value: null, details: { ok: true, stdout: 'password=hunter2', stderr: '', exitCode: 0 } };
    await s.store.appendEvents([event]);
    const viewer = (await call(s, 'GET', '/api/v1/events?type=bot_ran', tokens.viewer)).json.find((e: { id: string }) => e.id === event.id);
    expect(viewer.details).toEqual({ ok: true, exitCode: 0, outputHidden: true });
    const operator = (await call(s, 'GET', '/api/v1/events?type=bot_ran', tokens.operator)).json.find((e: { id: string }) => e.id === event.id);
    expect(operator.details.stdout).toBe('password=hunter2');
  });

  it('with --run-output-visibility all, viewers read every run', async () => {
    const { server, admin } = await start({ runOutputVisibility: 'all' });
    const viewer = await token(server, admin, 'viewer', 'vera');
    const ran = await call(server, 'POST', '/api/v1/query', admin, { statement: 'host | name = "nobody" | `uptime`' });
    const runId = JSON.parse(ran.text.split('\n')[0] as string).runId as string;
    expect((await call(server, 'GET', `/api/v1/runs/${runId}`, viewer)).status).toBe(200);
  });
});

describe('refused calls are audited, and name the role the whole operation needs', () => {
  it('a viewer planning to apply is told at once that apply needs admin; the refusal is audited as definitions.apply', async () => {
    const r = await call(s, 'POST', '/api/v1/definitions/plan?intent=apply', tokens.viewer, { files: DEFS });
    expect(r.status).toBe(403);
    expect(r.json.message).toBe('apply needs the admin role; token `vic` has viewer');
    // An operator may plan, but not plan to apply.
    expect((await call(s, 'POST', '/api/v1/definitions/plan', tokens.operator, { files: DEFS })).status).toBe(200);
    expect((await call(s, 'POST', '/api/v1/definitions/plan?intent=apply', tokens.operator, { files: DEFS })).json.message).toBe('apply needs the admin role; token `olga` has operator');
    const refusedApply = await call(s, 'POST', '/api/v1/definitions/apply', tokens.operator, { files: DEFS, baseVersion: 1 });
    expect(refusedApply.status).toBe(403);
    const entries = await auditOf(s, tokens.admin, '&action=definitions.apply');
    expect(entries.filter((e) => e.outcome === 'denied').map((e) => [e.principal, e.target, e.detail.needed, e.detail.held])).toEqual([
      ['olga', 'POST /api/v1/definitions/apply', 'admin', 'operator'],
      ['olga', 'POST /api/v1/definitions/plan', 'admin', 'operator'],
      ['vic', 'POST /api/v1/definitions/plan', 'admin', 'viewer'],
    ]);
  });

  it('every route a viewer may not call refuses it, naming the role needed, and each refusal is audited', async () => {
    const table = apiRoutes({ queryTimeoutMs: 1000, version: 'test' } as unknown as Parameters<typeof apiRoutes>[0]).filter((r) => r.role === 'operator' || r.role === 'admin');
    // Within one token's audit budget a minute, so every refusal is written.
    expect(table.length).toBeLessThanOrEqual(REFUSAL_AUDIT_BUDGET.token);
    const sweeper = await token(s, tokens.admin, 'viewer', 'sweeper');
    for (const r of table) {
      const answer = await call(s, r.method, r.url.replace(/:(\w+)/g, 'no-such-$1'), sweeper, r.body ? {} : undefined);
      expect(answer.status, `${r.method} ${r.url}`).toBe(403);
      expect(answer.json.message).toBe(`${r.method} ${r.url} needs the ${r.role} role; token \`sweeper\` has viewer`);
    }
    const audited = (await auditOf(s, tokens.admin, '&principal=sweeper')).filter((a) => a.outcome === 'denied').map((a) => a.target);
    expect(new Set(audited)).toEqual(new Set(table.map((r) => `${r.method} ${r.url}`)));
  });

  it('a forbidden call on any route is audited with the role it needed (a viewer listing tokens)', async () => {
    expect((await call(s, 'GET', '/api/v1/tokens', tokens.viewer)).status).toBe(403);
    expect((await auditOf(s, tokens.admin, '&principal=vic&action=request'))[0]).toMatchObject({ target: 'GET /api/v1/tokens', outcome: 'denied', detail: { needed: 'admin', held: 'viewer' } });
  });

  it('calls with no or an unknown token are audited as anonymous, at most one entry per address a minute', async () => {
    const before = (await auditOf(s, tokens.admin, '&principal=anonymous')).length;
    // 200 refusals, 25 at a time: below the cap on unauthenticated connections per address (64), which would reset the rest.
    const flood = [];
    for (let batch = 0; batch < 8; batch++) flood.push(...(await Promise.all(Array.from({ length: 25 }, (_, i) => call(s, 'GET', '/api/v1/agents', i % 2 ? 'bwt_forged' : undefined)))));
    expect(flood.every((r) => r.status === 401)).toBe(true);
    const after = await auditOf(s, tokens.admin, '&principal=anonymous');
    // A fresh control plane's first refusal from this address is written; the rest of the minute is counted.
    expect(after.length - before).toBeLessThanOrEqual(1);
    expect(after.length).toBeGreaterThanOrEqual(1);
    expect(after[after.length - 1]).toMatchObject({ principal: 'anonymous', action: 'request', outcome: 'denied', detail: { address: '127.0.0.1' } });
    expect(JSON.stringify(after)).not.toContain('bwt_forged');
  });

  it('a refused enrollment (a bad join token) is audited as anonymous too', async () => {
    const { server, admin } = await start();
    const r = await call(server, 'POST', '/api/v1/agents/enroll', undefined, { token: 'bwt_nope', name: 'web-9', hostId: 'h9' });
    expect(r.status).toBe(401);
    expect((await auditOf(server, admin, '&principal=anonymous'))[0]).toMatchObject({ target: 'POST /api/v1/agents/enroll', outcome: 'denied' });
  });
});
