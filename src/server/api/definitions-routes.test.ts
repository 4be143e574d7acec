import { describe, expect, it } from 'vitest';
import { closeAppsAfterEach, injectApp } from '../../../test/inject-app.js';
import type { AlarmDefinition } from '../../definitions/index.js';
import { BUILTIN_CATALOGUE } from '../../lang/index.js';
import type { Principal } from '../auth.js';
import type { DefinitionsContext } from './definitions-routes.js';
import { definitionsRoutes } from './definitions-routes.js';
import { HIDDEN_CONTENT } from './secret-routes.js';

closeAppsAfterEach();

const FILES = [{ path: 'defs.yaml', text: 'kind: alarm\nname: disk\nquery: host\nfire: disk_usage > 90\n' }];
const FILE_DEF = { kind: 'file', name: 'motd', hosts: 'host', path: '/etc/motd', content: 'hello', sha256: 'ab12', mode: '0644' };
const SECRET_DEF = { kind: 'secret', name: 'db-password', hosts: 'host' };

/** Remediation behind the routes, faked: it records what it was asked and answers as remediation does. */
function remediation() {
  const calls: unknown[][] = [];
  const fake = {
    plan: (files: readonly unknown[]) => {
      calls.push(['plan', files.length]);
      return { ok: true, baseVersion: 4, diagnostics: [], diff: { create: ['alarm/disk'], update: [], delete: [] }, text: '+ alarm disk', definitions: ['not for the answer'] };
    },
    apply: async (files: readonly unknown[], baseVersion: number, who: Principal) => {
      calls.push(['apply', files.length, baseVersion, who.name]);
      return { version: 5, changed: true, text: '+ alarm disk' };
    },
    definitions: () => ({ version: 5, definitions: [FILE_DEF, SECRET_DEF] }),
    secrets: { list: () => [{ name: 'db-password', value: '(set)' }] },
    drift: () => [{ name: 'web-1', connected: true, version: 4, current: 5, drift: true }],
    catalogue: () => BUILTIN_CATALOGUE,
    backtest: async (alarm: AlarmDefinition, seconds: number) => {
      calls.push(['backtest', alarm.name, seconds]);
      return [{ host: 'web-1', fired: 2 }];
    },
  };
  return { fake: fake as unknown as DefinitionsContext['remediation'], calls };
}

describe('definitions routes: plan and apply', () => {
  it('plans for an operator, without the parsed definitions in the answer', async () => {
    const { fake, calls } = remediation();
    const t = await injectApp((store) => definitionsRoutes({ store, remediation: fake }));
    const r = await t.call('POST', '/api/v1/definitions/plan', 'operator', { files: FILES });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ ok: true, baseVersion: 4, diagnostics: [], diff: { create: ['alarm/disk'], update: [], delete: [] }, text: '+ alarm disk' });
    expect(calls).toEqual([['plan', 1]]);
  });

  it('refuses an operator\'s plan with ?intent=apply as apply would (403), audited as definitions.apply', async () => {
    const { fake, calls } = remediation();
    const t = await injectApp((store) => definitionsRoutes({ store, remediation: fake }));
    const r = await t.call('POST', '/api/v1/definitions/plan?intent=apply', 'operator', { files: FILES });
    expect(r.status).toBe(403);
    expect(r.json.message).toBe('apply needs the admin role; token `operator` has operator');
    expect((await t.call('POST', '/api/v1/definitions/plan', 'viewer', { files: FILES })).status).toBe(403);
    // Refusals in the same millisecond come back in either order: compared sorted.
    expect((await t.audit()).map((e) => [e.principal, e.action, e.outcome]).sort()).toEqual([
      ['operator', 'definitions.apply', 'denied'],
      ['viewer', 'definitions.plan', 'denied'],
    ]);
    expect(calls).toEqual([]);
  });

  it('applies for an admin against the version planned on; refuses an operator and an empty file list', async () => {
    const { fake, calls } = remediation();
    const t = await injectApp((store) => definitionsRoutes({ store, remediation: fake }));
    expect((await t.call('POST', '/api/v1/definitions/apply', 'admin', { files: FILES, baseVersion: 4 })).json).toEqual({ version: 5, changed: true, text: '+ alarm disk' });
    expect((await t.call('POST', '/api/v1/definitions/apply', 'operator', { files: FILES, baseVersion: 4 })).status).toBe(403);
    const empty = await t.call('POST', '/api/v1/definitions/apply', 'admin', { files: [], baseVersion: 4 });
    expect(empty.status).toBe(400);
    expect(empty.json.message).toBe('invalid request body: files: no definition files were given');
    expect(calls).toEqual([['apply', 1, 4, 'admin']]);
  });
});

describe('definitions routes: reading them', () => {
  it('shows a file\'s content to admins only, and a secret\'s state, never its value', async () => {
    const { fake } = remediation();
    const t = await injectApp((store) => definitionsRoutes({ store, remediation: fake }));
    const viewer = await t.call('GET', '/api/v1/definitions', 'viewer');
    expect(viewer.json).toEqual({ version: 5, definitions: [{ ...FILE_DEF, content: HIDDEN_CONTENT(5, 'ab12'), contentHidden: true }, { ...SECRET_DEF, value: '(set)' }] });
    expect((await t.call('GET', '/api/v1/definitions', 'admin')).json.definitions[0]).toEqual(FILE_DEF);
  });

  it('lists applied versions and shows one; an unknown version is 404, a version 0 is refused (400)', async () => {
    const { fake } = remediation();
    const t = await injectApp((store) => definitionsRoutes({ store, remediation: fake }));
    await t.store.saveDefinitionVersion({ createdAt: 1000, createdBy: 'admin', definitions: [FILE_DEF], summary: { create: 1, update: 0, delete: 0 } }, null);
    expect((await t.call('GET', '/api/v1/definitions/versions', 'viewer')).json).toEqual([{ version: 1, createdAt: 1000, createdBy: 'admin', summary: { create: 1, update: 0, delete: 0 } }]);
    const one = await t.call('GET', '/api/v1/definitions/versions/1', 'operator');
    expect(one.json.definitions).toEqual([{ ...FILE_DEF, content: HIDDEN_CONTENT(5, 'ab12'), contentHidden: true }]);
    expect(await t.call('GET', '/api/v1/definitions/versions/7', 'viewer')).toMatchObject({ status: 404, json: { code: 'BW_ERR_NOT_FOUND', message: 'no definitions version 7' } });
    expect((await t.call('GET', '/api/v1/definitions/versions/0', 'viewer')).json.message).toMatch(/^invalid path parameters: version: /);
  });

  it('shows each agent\'s drift from the current version', async () => {
    const { fake } = remediation();
    const t = await injectApp((store) => definitionsRoutes({ store, remediation: fake }));
    expect((await t.call('GET', '/api/v1/drift', 'viewer')).json).toEqual([{ name: 'web-1', connected: true, version: 4, current: 5, drift: true }]);
  });
});

describe('POST /api/v1/backtest', () => {
  it('replays the alarm of the files over the last hour by default', async () => {
    const { fake, calls } = remediation();
    const t = await injectApp((store) => definitionsRoutes({ store, remediation: fake }));
    expect((await t.call('POST', '/api/v1/backtest', 'operator', { files: FILES })).json).toEqual({ alarm: 'disk', seconds: 3600, hosts: [{ host: 'web-1', fired: 2 }] });
    expect(calls).toEqual([['backtest', 'disk', 3600]]);
  });

  it('refuses files with problems and files without an alarm (400)', async () => {
    const { fake, calls } = remediation();
    const t = await injectApp((store) => definitionsRoutes({ store, remediation: fake }));
    const broken = await t.call('POST', '/api/v1/backtest', 'operator', { files: [{ path: 'a.yaml', text: 'kind: alarm\nname: disk\nquery: host\nfire: disk_usge > 90\n' }] });
    expect(broken).toMatchObject({ status: 400, json: { code: 'BW_ERR_INVALID_REQUEST', message: 'the alarm definition has problems' } });
    expect(broken.json.details.diagnostics.length).toBeGreaterThan(0);
    const none = await t.call('POST', '/api/v1/backtest', 'operator', { files: [{ path: 'r.yaml', text: 'kind: schedule\nname: nightly\nevery: 1h\nrun: host | count\n' }] });
    expect(none.json.message).toBe('the files hold no alarm to back-test');
    expect(calls).toEqual([]);
  });
});
