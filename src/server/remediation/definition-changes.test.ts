import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ScheduleDefinition } from '../../definitions/index.js';
import type { Principal } from '../auth.js';
import { SecretVault } from '../secrets/index.js';
import type { Store } from '../store/index.js';
import { CurrentDefinitions } from './current-definitions.js';
import { DefinitionChanges } from './definition-changes.js';
import { EventIntake } from './event-intake.js';
import { inventoryHost, tempStore } from '../../../test/remediation-fakes.js';

const ADMIN: Principal = { id: 'tok-admin', name: 'admin', role: 'admin' };
const PING = { path: 'ping.yaml', text: 'kind: action\nname: db_ping\ncommand: echo ping\n' };
const NIGHTLY = { path: 'nightly.yaml', text: 'kind: schedule\nname: nightly\nevery: 1d\nrun: host | count()\n' };


let dir: string;
let dispose: () => Promise<void>;
let store: Store;
let pushes: number;
let scheduled: (readonly ScheduleDefinition[])[];
let current: CurrentDefinitions;
let changes: DefinitionChanges;

beforeEach(async () => {
  ({ store, dir, dispose } = await tempStore());
  pushes = 0;
  scheduled = [];
  current = new CurrentDefinitions(await SecretVault.open(store, dir, {}, pino({ level: 'silent' })));
  const fleet = {
    inventory: () => [inventoryHost('web-1', true), inventoryHost('web-2', true), inventoryHost('db-1', false)],
    versions: () => new Map([['web-1', 1], ['web-2', null]]),
    pushDefinitions: () => void pushes++,
  };
  changes = new DefinitionChanges({ store, current, schedules: { set: (s) => void scheduled.push(s) }, fleet, intake: new EventIntake(store, { notify: () => undefined }), clock: { now: () => 1_700_000_000_000 } });
});
afterEach(async () => {
  await dispose();
});

describe('DefinitionChanges', () => {
  it('applies files as a new version: in force, pushed to the agents, audited and recorded', async () => {
    expect(await changes.apply([PING, NIGHTLY], 0, ADMIN)).toMatchObject({ version: 1, changed: true });

    expect(current.definitions().version).toBe(1);
    expect(current.action('db_ping')).toMatchObject({ command: 'echo ping' });
    expect(current.catalogue().actions.db_ping).toMatchObject({ name: 'db_ping' });
    expect(scheduled.map((s) => s.map((d) => d.name))).toEqual([['nightly']]);
    expect(pushes).toBe(1);
    expect((await store.currentDefinitions())?.createdAt).toBe(1_700_000_000_000);
    expect(await store.listAudit({ action: 'definitions.apply' })).toEqual([expect.objectContaining({ principal: 'admin', target: 'version 1', outcome: 'ok' })]);
    expect(await store.listEvents({ type: 'definitions_applied' })).toEqual([expect.objectContaining({ message: 'definitions version 1 applied by admin: 2 created, 0 changed, 0 deleted' })]);
  });

  it('refuses an apply planned against a version that is no longer current: 409, nothing changed', async () => {
    await changes.apply([PING], 0, ADMIN);

    await expect(changes.apply([PING, NIGHTLY], 0, ADMIN)).rejects.toMatchObject({ code: 'BW_ERR_CONFLICT', status: 409, message: 'someone applied a newer version while you planned against version 0: plan again' });
    expect(current.definitions().version).toBe(1);
    expect(pushes).toBe(1);
  });

  it('reports an apply that changes nothing as unchanged, without a new version or a push', async () => {
    await changes.apply([PING], 0, ADMIN);

    expect(await changes.apply([PING], 1, ADMIN)).toMatchObject({ version: 1, changed: false });
    expect((await store.listDefinitionVersions()).length).toBe(1);
    expect(pushes).toBe(1);
  });

  it('applies nothing from files with errors, and audits the failure', async () => {
    await expect(changes.apply([{ path: 'bad.yaml', text: 'kind: action\nname: broken\n' }], 0, ADMIN)).rejects.toMatchObject({ code: 'BW_ERR_INVALID_REQUEST' });
    expect(current.definitions().version).toBe(0);
    expect(await store.listAudit({ action: 'definitions.apply' })).toEqual([expect.objectContaining({ outcome: 'failed' })]);
  });

  it('loads the stored version at start, schedules included', async () => {
    await changes.apply([NIGHTLY], 0, ADMIN);
    const restarted = new CurrentDefinitions(await SecretVault.open(store, dir, {}, pino({ level: 'silent' })));
    const sets: string[][] = [];
    await new DefinitionChanges({ store, current: restarted, schedules: { set: (s) => void sets.push(s.map((d) => d.name)) }, fleet: { inventory: () => [], versions: () => new Map(), pushDefinitions: () => undefined }, intake: new EventIntake(store, { notify: () => undefined }) }).load();

    expect(restarted.definitions().version).toBe(1);
    expect(sets).toEqual([['nightly']]);
  });

  it('reload: puts a newer stored version (another replica\'s apply) in force without pushing or announcing it; the same version again is a no-op', async () => {
    const announced: number[] = [];
    const other = new DefinitionChanges({ store, current, schedules: { set: (s) => void scheduled.push(s) }, fleet: { inventory: () => [], versions: () => new Map(), pushDefinitions: () => void pushes++ }, intake: new EventIntake(store, { notify: () => undefined }), announce: (v) => void announced.push(v) });
    await other.apply([PING], 0, ADMIN);
    expect(announced).toEqual([1]);
    // Another replica stores version 2 (written straight to the store here).
    await store.saveDefinitionVersion({ createdAt: 1, createdBy: 'alice', definitions: (await store.currentDefinitions())!.definitions.concat(changes.plan([NIGHTLY]).definitions ?? []), summary: { create: 1, update: 0, delete: 0 } }, 1);
    pushes = 0;
    scheduled = [];
    await other.reload();
    expect(current.definitions().version).toBe(2);
    expect(scheduled.map((s) => s.map((d) => d.name))).toEqual([['nightly']]);
    await other.reload();
    expect(scheduled).toHaveLength(1);
    expect([pushes, announced]).toEqual([0, [1]]);
  });

  it('an apply finishing after a reload of a newer version leaves the newer one in force', async () => {
    await changes.apply([PING], 0, ADMIN);
    // This replica's apply of version 2 is slow to hear back from the store; meanwhile another
    // replica applies version 3 on top of it, and this one reloads it.
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slowSave = async (...args: Parameters<Store['saveDefinitionVersion']>) => {
      const version = await store.saveDefinitionVersion(...args);
      await gate;
      return version;
    };
    const slow = new Proxy(store, {
      get: (target, key) => {
        if (key === 'saveDefinitionVersion') return slowSave;
        const value: unknown = Reflect.get(target, key);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const replica = new DefinitionChanges({ store: slow, current, schedules: { set: (s) => void scheduled.push(s) }, fleet: { inventory: () => [], versions: () => new Map(), pushDefinitions: () => undefined }, intake: new EventIntake(store, { notify: () => undefined }) });
    const applying = replica.apply([PING, NIGHTLY], 1, ADMIN);
    await expect.poll(async () => (await store.currentDefinitions())?.version).toBe(2);
    await store.saveDefinitionVersion({ createdAt: 2, createdBy: 'alice', definitions: [], summary: { create: 0, update: 0, delete: 2 } }, 2);
    await replica.reload();
    expect(current.definitions()).toEqual({ version: 3, definitions: [] });
    release();
    expect((await applying).version).toBe(2);
    expect(current.definitions()).toEqual({ version: 3, definitions: [] });
    expect(scheduled.at(-1)).toEqual([]);
  });

  it('drift: connected agents on another version drift, disconnected ones are unknown', async () => {
    await changes.apply([PING], 0, ADMIN);

    expect(changes.drift()).toEqual([
      { name: 'web-1', connected: true, version: 1, current: 1, drift: false },
      { name: 'web-2', connected: true, version: null, current: 1, drift: true },
      { name: 'db-1', connected: false, version: null, current: 1, drift: null },
    ]);
  });
});
