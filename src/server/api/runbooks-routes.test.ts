import { describe, expect, it } from 'vitest';
import { closeAppsAfterEach, injectApp, manualClock } from '../../../test/inject-app.js';
import { runbooksRoutes } from './runbooks-routes.js';

closeAppsAfterEach();

/** Cell 0 is markdown, cell 1 a pipeline taking `$host`. */
const CELLS = [
  { kind: 'markdown', text: '# Disk full' },
  { kind: 'pipeline', text: 'host | name = $host | `df -h /data`' },
];
const RUNBOOK = { name: 'disk-full', description: 'When /data fills up', params: ['host'], cells: CELLS };

async function app() {
  const clock = manualClock(1_780_000_000_000);
  const t = await injectApp((store) => runbooksRoutes({ store, clock }));
  return { t, clock };
}

describe('runbooks routes: writing', () => {
  it('creates, replaces and deletes a runbook, dated by the clock, each write audited under the caller\'s name', async () => {
    const { t, clock } = await app();
    const created = await t.call('POST', '/api/v1/runbooks', 'operator', RUNBOOK);
    expect(created.json).toMatchObject({ ...RUNBOOK, updatedAt: 1_780_000_000_000, updatedBy: 'operator' });
    const id = created.json.id as string;
    clock.set(1_780_000_060_000);
    const replaced = await t.call('PUT', `/api/v1/runbooks/${id}`, 'admin', { ...RUNBOOK, name: 'disk-full-v2' });
    expect(replaced.json).toMatchObject({ id, name: 'disk-full-v2', updatedAt: 1_780_000_060_000, updatedBy: 'admin' });
    clock.set(1_780_000_120_000);
    expect((await t.call('DELETE', `/api/v1/runbooks/${id}`, 'operator')).json).toEqual({ deleted: id });
    expect((await t.audit()).map((e) => [e.time, e.principal, e.action, e.target, e.outcome, e.detail])).toEqual([
      [1_780_000_000_000, 'operator', 'runbook.create', 'disk-full', 'ok', { id }],
      [1_780_000_060_000, 'admin', 'runbook.update', 'disk-full-v2', 'ok', { id }],
      [1_780_000_120_000, 'operator', 'runbook.delete', 'disk-full-v2', 'ok', { id }],
    ]);
    expect((await t.call('GET', `/api/v1/runbooks/${id}`, 'viewer')).json).toEqual({ code: 'BW_ERR_NOT_FOUND', message: `no runbook with id ${id}`, details: {} });
  });

  it('refuses a taken name (409), a viewer\'s write (403) and parameters named twice (400)', async () => {
    const { t } = await app();
    await t.call('POST', '/api/v1/runbooks', 'operator', RUNBOOK);
    const taken = await t.call('POST', '/api/v1/runbooks', 'operator', RUNBOOK);
    expect(taken.status).toBe(409);
    expect(taken.json).toEqual({ code: 'BW_ERR_CONFLICT', message: 'a runbook named `disk-full` exists already', details: { name: 'disk-full' } });
    expect((await t.call('POST', '/api/v1/runbooks', 'viewer', { ...RUNBOOK, name: 'other' })).status).toBe(403);
    const twice = await t.call('POST', '/api/v1/runbooks', 'operator', { ...RUNBOOK, name: 'other', params: ['host', 'host'] });
    expect(twice.status).toBe(400);
    expect(twice.json.message).toBe('invalid request body: params: parameter names must be unique');
    expect((await t.call('GET', '/api/v1/runbooks', 'viewer')).json.map((r: { name: string }) => r.name)).toEqual(['disk-full']);
  });
});

describe('runbooks routes: files and runs', () => {
  it('exports a runbook as a YAML file that imports as a new runbook', async () => {
    const { t } = await app();
    const id = (await t.call('POST', '/api/v1/runbooks', 'operator', RUNBOOK)).json.id as string;
    const file = await t.call('GET', `/api/v1/runbooks/${id}/export`, 'viewer');
    expect(file.headers['content-type']).toBe('application/yaml; charset=utf-8');
    expect(file.headers['content-disposition']).toBe('attachment; filename="disk-full.runbook.yaml"');
    await t.call('DELETE', `/api/v1/runbooks/${id}`, 'operator');
    const imported = await t.call('POST', '/api/v1/runbooks/import', 'operator', { text: file.text });
    expect(imported.json).toMatchObject(RUNBOOK);
    expect(imported.json.id).not.toBe(id);
    const broken = await t.call('POST', '/api/v1/runbooks/import', 'operator', { text: 'kind: runbook\nname: x\ncells: 3\n' });
    expect(broken).toMatchObject({ status: 400, json: { code: 'BW_ERR_INVALID_REQUEST', details: { where: 'text' } } });
  });

  it('saves a run of its pipeline cells with the parameters it has, dated by the clock, and lists it', async () => {
    const { t } = await app();
    const id = (await t.call('POST', '/api/v1/runbooks', 'operator', RUNBOOK)).json.id as string;
    const outputs = [{ cell: 1, statement: 'host | name = "web-1" | `df -h /data`', rows: [{ host: 'web-1' }] }];
    const saved = await t.call('POST', `/api/v1/runbooks/${id}/runs`, 'operator', { params: { host: 'web-1' }, outputs });
    expect(saved.json).toMatchObject({ runbookId: id, createdAt: 1_780_000_000_000, createdBy: 'operator', params: { host: 'web-1' }, outputs: [{ ...outputs[0], summary: null, error: null }] });
    expect((await t.call('GET', `/api/v1/runbooks/${id}/runs`, 'viewer')).json.map((r: { id: string }) => r.id)).toEqual([saved.json.id]);
    expect((await t.call('GET', `/api/v1/runbooks/${id}/runs/${saved.json.id as string}`, 'viewer')).json).toEqual(saved.json);
    const unknownParam = await t.call('POST', `/api/v1/runbooks/${id}/runs`, 'operator', { params: { mount: '/data' }, outputs });
    expect(unknownParam.json.message).toBe('invalid request body: params: `mount` is not a parameter of runbook `disk-full` (it has host)');
    const markdown = await t.call('POST', `/api/v1/runbooks/${id}/runs`, 'operator', { outputs: [{ ...outputs[0], cell: 0 }] });
    expect(markdown.json.message).toBe('invalid request body: outputs: cell 0 is not a pipeline cell of runbook `disk-full`');
    expect((await t.call('GET', `/api/v1/runbooks/${id}/runs/nope`, 'viewer')).status).toBe(404);
  });
});
