import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningServer } from '../src/server/index.js';
import { startServer } from '../src/server/index.js';
import { callApi } from './helpers.js';

/*
 * The runbooks API of a real control plane on loopback (SQLite in a temporary directory): create,
 * edit, list, delete, export/import as YAML, saved runs, validation with field errors, roles.
 */

let s: RunningServer;
let dataDir: string;
const tokens: Record<'viewer' | 'operator' | 'admin', string> = { viewer: '', operator: '', admin: '' };

const call = (method: string, path: string, options: { token?: string; body?: unknown } = {}) => callApi(s.url, method, path, options);

const RUNBOOK = {
  name: 'disk-full',
  description: 'When /data fills up on a host',
  params: ['host'],
  cells: [
    { kind: 'markdown', text: '# Disk full\n\nFirst look at the usage.' },
    { kind: 'pipeline', text: 'host | name = $host | `df -h /data`' },
  ],
};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'bw-api-runbooks-'));
  s = await startServer({ port: 0, dataDir, logLevel: 'silent' });
  tokens.admin = s.initialAdminToken as string;
  for (const role of ['viewer', 'operator'] as const) {
    const r = await call('POST', '/api/v1/tokens', { token: tokens.admin, body: { role, name: `${role}-rb` } });
    tokens[role] = r.json.token as string;
  }
}, 60_000);

afterAll(async () => {
  await s?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('runbooks API', () => {
  it('an operator creates, edits, lists and deletes a runbook; a viewer reads but may not write', async () => {
    const created = await call('POST', '/api/v1/runbooks', { token: tokens.operator, body: RUNBOOK });
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ ...RUNBOOK, updatedBy: 'operator-rb' });
    expect(typeof created.json.id).toBe('string');
    expect(typeof created.json.updatedAt).toBe('number');
    const id = created.json.id as string;

    expect((await call('GET', `/api/v1/runbooks/${id}`, { token: tokens.viewer })).json).toEqual(created.json);
    expect((await call('GET', '/api/v1/runbooks', { token: tokens.viewer })).json).toEqual([created.json]);
    const refused = await call('POST', '/api/v1/runbooks', { token: tokens.viewer, body: { ...RUNBOOK, name: 'other' } });
    expect(refused.status).toBe(403);

    const taken = await call('POST', '/api/v1/runbooks', { token: tokens.operator, body: RUNBOOK });
    expect(taken.status).toBe(409);
    expect(taken.json).toMatchObject({ code: 'BW_ERR_CONFLICT', message: 'a runbook named `disk-full` exists already' });

    const edited = await call('PUT', `/api/v1/runbooks/${id}`, { token: tokens.admin, body: { ...RUNBOOK, description: 'edited', params: ['host', 'service'] } });
    expect(edited.status).toBe(200);
    expect(edited.json).toMatchObject({ id, description: 'edited', params: ['host', 'service'], updatedBy: expect.any(String) });
    expect((await call('GET', `/api/v1/runbooks/${id}`, { token: tokens.viewer })).json.description).toBe('edited');
    expect((await call('PUT', '/api/v1/runbooks/no-such-id', { token: tokens.operator, body: RUNBOOK })).status).toBe(404);

    const audit = await call('GET', '/api/v1/audit?action=runbook.update', { token: tokens.admin });
    expect(audit.json).toEqual([expect.objectContaining({ principal: 'admin', target: 'disk-full', outcome: 'ok' })]);

    expect((await call('DELETE', `/api/v1/runbooks/${id}`, { token: tokens.operator })).json).toEqual({ deleted: id });
    expect((await call('GET', `/api/v1/runbooks/${id}`, { token: tokens.viewer })).status).toBe(404);
    expect((await call('DELETE', `/api/v1/runbooks/${id}`, { token: tokens.operator })).status).toBe(404);
  });

  it('validates payloads with the field named', async () => {
    const bad = async (body: unknown, ...parts: string[]) => {
      const r = await call('POST', '/api/v1/runbooks', { token: tokens.operator, body });
      expect(r.status).toBe(400);
      expect(r.json.code).toBe('BW_ERR_INVALID_REQUEST');
      for (const p of parts) expect(r.json.message).toContain(p);
    };
    await bad({ ...RUNBOOK, name: 'has spaces' }, 'name');
    await bad({ ...RUNBOOK, cells: [{ kind: 'shell', text: 'x' }] }, 'cells');
    await bad({ ...RUNBOOK, params: ['1host'] }, 'params', 'parameter name');
    await bad({ ...RUNBOOK, params: ['host', 'host'] }, 'params', 'unique');
    await bad({ name: 'x' }, 'cells');
    await bad({ ...RUNBOOK, extra: 1 }, 'extra');
    // Text no database here can hold: refused as the caller's mistake, naming the field, and nothing is stored.
    await bad({ ...RUNBOOK, name: 'nul-text', description: 'a\u0000b' }, 'description', 'U+0000');
    await bad({ ...RUNBOOK, name: 'lone-surrogate', cells: [{ kind: 'markdown', text: 'x \ud800' }] }, 'cells', 'surrogate');
    const list = await call('GET', '/api/v1/runbooks', { token: tokens.viewer });
    expect(list.json.map((r: { name: string }) => r.name)).not.toContain('nul-text');
  });

  it('saves runs with their outputs, lists them newest first and gets one; refuses parameter values with line breaks', async () => {
    const id = (await call('POST', '/api/v1/runbooks', { token: tokens.operator, body: { ...RUNBOOK, name: 'with-runs' } })).json.id as string;
    const output = { cell: 1, statement: 'host | name = "web-1" | `df -h /data`', rows: [{ status: 'ok', resource: { type: 'host', id: 'web-1' }, values: { stdout: 'ok\n', exit_code: 0 } }], summary: { rows: 1, failures: 0 }, error: null };
    const first = await call('POST', `/api/v1/runbooks/${id}/runs`, { token: tokens.operator, body: { params: { host: 'web-1' }, outputs: [output] } });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ runbookId: id, createdBy: 'operator-rb', params: { host: 'web-1' }, outputs: [output] });
    await new Promise((r) => setTimeout(r, 5));
    const second = await call('POST', `/api/v1/runbooks/${id}/runs`, { token: tokens.operator, body: { params: { host: 'web-2' }, outputs: [] } });
    const list = await call('GET', `/api/v1/runbooks/${id}/runs`, { token: tokens.viewer });
    expect(list.json.map((r: { id: string }) => r.id)).toEqual([second.json.id, first.json.id]);
    expect((await call('GET', `/api/v1/runbooks/${id}/runs/${first.json.id}`, { token: tokens.viewer })).json).toEqual(first.json);
    expect((await call('GET', `/api/v1/runbooks/${id}/runs/no-such-run`, { token: tokens.viewer })).status).toBe(404);
    expect((await call('GET', '/api/v1/runbooks/no-such-id/runs', { token: tokens.viewer })).status).toBe(404);

    const newline = await call('POST', `/api/v1/runbooks/${id}/runs`, { token: tokens.operator, body: { params: { host: 'web-1"\n| `reboot`' }, outputs: [] } });
    expect(newline.status).toBe(400);
    expect(newline.json.message).toContain('line break');
    const unknown = await call('POST', `/api/v1/runbooks/${id}/runs`, { token: tokens.operator, body: { params: { nope: 'x' }, outputs: [] } });
    expect(unknown.status).toBe(400);
    expect(unknown.json.message).toContain('`nope` is not a parameter');
    const markdownCell = await call('POST', `/api/v1/runbooks/${id}/runs`, { token: tokens.operator, body: { params: {}, outputs: [{ ...output, cell: 0 }] } });
    expect(markdownCell.status).toBe(400);
    expect(markdownCell.json.message).toContain('cell 0 is not a pipeline cell');
    expect((await call('POST', `/api/v1/runbooks/${id}/runs`, { token: tokens.viewer, body: { params: {}, outputs: [] } })).status).toBe(403);
  });

  it('exports a runbook as a YAML file (kind: runbook) and imports it back', async () => {
    const id = (await call('POST', '/api/v1/runbooks', { token: tokens.operator, body: { ...RUNBOOK, name: 'to-export' } })).json.id as string;
    const exported = await call('GET', `/api/v1/runbooks/${id}/export`, { token: tokens.viewer });
    expect(exported.status).toBe(200);
    expect(exported.type).toContain('application/yaml');
    expect(exported.text).toMatch(/^kind: runbook\nname: to-export\n/);
    expect(exported.text).toContain('pipeline: host | name = $host | `df -h /data`');

    const again = await call('POST', '/api/v1/runbooks/import', { token: tokens.operator, body: { text: exported.text } });
    expect(again.status).toBe(409);
    const imported = await call('POST', '/api/v1/runbooks/import', { token: tokens.operator, body: { text: exported.text.replace('name: to-export', 'name: imported') } });
    expect(imported.status).toBe(200);
    expect(imported.json).toMatchObject({ ...RUNBOOK, name: 'imported' });

    const wrongKind = await call('POST', '/api/v1/runbooks/import', { token: tokens.operator, body: { text: 'kind: alarm\nname: x\n' } });
    expect(wrongKind.status).toBe(400);
    expect(wrongKind.json.message).toContain('expected `kind: runbook`');
    const badField = await call('POST', '/api/v1/runbooks/import', { token: tokens.operator, body: { text: 'kind: runbook\nname: x\ncells:\n  - shell: ls\n' } });
    expect(badField.status).toBe(400);
    expect(badField.json.message).toContain('cells.0.kind');
  });
});
