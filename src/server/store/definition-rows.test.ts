/*
 * Definitions versions (definition-rows.ts).
 * One suite on both back ends: test/store/back-ends.ts.
 */
import { expect, it } from 'vitest';
import { describeStore } from '../../../test/store/back-ends.js';
import { T0, type NewDefinitionVersion, definitionVersion, expectStoreError, TRICKY } from '../../../test/store/fixtures.js';
import { parseDefinitions } from '../../definitions/index.js';
import { BUILTIN_CATALOGUE } from '../../lang/index.js';
import { StoreError, type DefinitionVersionRecord } from './index.js';

await describeStore('definitions', 'src/server/store/definition-rows.test.ts', ({ freshStore, harness, openOn }) => {
  it('saves versions counting up from 1; current, get and list (without the definitions)', async () => {
    const store = await freshStore();
    expect(await store.currentDefinitions()).toBeUndefined();
    expect(await store.getDefinitionVersion(1)).toBeUndefined();
    expect(await store.listDefinitionVersions()).toEqual([]);

    const first = definitionVersion({ createdAt: T0, createdBy: 'alice' });
    expect(await store.saveDefinitionVersion(first, null)).toBe(1);
    const second = definitionVersion({
      createdAt: T0 + 1000,
      createdBy: 'bob',
      definitions: [{ kind: 'file', name: TRICKY, description: '', content: TRICKY, nested: { list: [1, null, true, -0.5] } }],
      summary: { create: 1, update: 0, delete: 2 },
    });
    expect(await store.saveDefinitionVersion(second, 1)).toBe(2);
    const empty = definitionVersion({ createdAt: T0 + 2000, definitions: [], summary: { create: 0, update: 0, delete: 1 } });
    expect(await store.saveDefinitionVersion(empty, 2)).toBe(3);

    expect(await store.currentDefinitions()).toEqual({ version: 3, ...empty });
    expect(await store.getDefinitionVersion(1)).toEqual({ version: 1, ...first });
    expect(await store.getDefinitionVersion(2)).toEqual({ version: 2, ...second });
    for (const missing of [0, 4, -1, 1.5, 2 ** 40, Number.NaN]) expect(await store.getDefinitionVersion(missing)).toBeUndefined();

    const listed = await store.listDefinitionVersions();
    const summary = ({ definitions: _, ...rest }: DefinitionVersionRecord) => rest;
    expect(listed).toEqual([
      summary({ version: 3, ...empty }),
      summary({ version: 2, ...second }),
      summary({ version: 1, ...first }),
    ]);
    expect(listed.every((v) => !('definitions' in v))).toBe(true);
  });

  it('keeps the pack a definition was installed from (its provenance) as written', async () => {
    const { definitions } = parseDefinitions([{ path: 'disk-full-logs/a.yaml', text: 'kind: action\nname: delete_runaway_logs\ncommand: find "$dir" -xdev -delete\nparams: { dir: string }\npack: disk-full-logs@1.0.0\n' }], BUILTIN_CATALOGUE);
    expect(definitions).toEqual([expect.objectContaining({ name: 'delete_runaway_logs', pack: 'disk-full-logs@1.0.0' })]);
    const store = await freshStore();
    await store.saveDefinitionVersion(definitionVersion({ createdAt: T0, definitions }), null);
    expect((await store.currentDefinitions())?.definitions).toEqual(definitions);
  });

  it('listDefinitionVersions pages backwards with `before`', async () => {
    const store = await freshStore();
    for (let i = 0; i < 7; i++) {
      await store.saveDefinitionVersion(definitionVersion({ createdAt: T0 + i * 1000 }), i === 0 ? null : i);
    }
    const versions: number[][] = [];
    let before: number | undefined;
    for (;;) {
      const page = await store.listDefinitionVersions({ limit: 3, ...(before === undefined ? {} : { before }) });
      if (page.length === 0) break;
      versions.push(page.map((v) => v.version));
      before = page[page.length - 1]!.createdAt;
    }
    expect(versions).toEqual([[7, 6, 5], [4, 3, 2], [1]]);
    expect((await store.listDefinitionVersions({ before: T0 + 2000 })).map((v) => v.version)).toEqual([2, 1]);
    expect(await store.listDefinitionVersions({ limit: 0 })).toEqual([]);
    await expectStoreError(store.listDefinitionVersions({ limit: -1 }), 'STORE_INVALID');
  });

  it('an apply planned against another version than the current one is STORE_CONFLICT naming the current one', async () => {
    const store = await freshStore();
    // Nothing yet: planned against version 1, which does not exist.
    const none = await expectStoreError(store.saveDefinitionVersion(definitionVersion(), 1), 'STORE_CONFLICT');
    expect(none.message).toMatch(/no definitions version yet/);
    expect(none.operation).toBe('saveDefinitionVersion');

    expect(await store.saveDefinitionVersion(definitionVersion(), null)).toBe(1);
    expect(await store.saveDefinitionVersion(definitionVersion(), 1)).toBe(2);
    for (const stale of [null, 1, 3, 10]) {
      const conflict = await expectStoreError(store.saveDefinitionVersion(definitionVersion({ createdBy: 'late' }), stale), 'STORE_CONFLICT');
      expect(conflict.message).toMatch(/definitions are at version 2\b/);
    }
    expect((await store.listDefinitionVersions()).map((v) => [v.version, v.createdBy])).toEqual([
      [2, 'alice'],
      [1, 'alice'],
    ]);
    expect(await store.saveDefinitionVersion(definitionVersion(), 2)).toBe(3);
  });

  it('concurrent applies planned against the same version: exactly one wins, the others get STORE_CONFLICT', async () => {
    const target = await harness().fresh();
    const stores = [openOn(target), openOn(target)];
    await stores[0]!.migrate();
    let current: number | null = null;
    for (let round = 0; round < 6; round++) {
      // Four applies at once, over two store instances (two processes, or two pools of connections).
      const attempts = await Promise.allSettled(
        [0, 1, 2, 3].map((i) =>
          stores[i % 2]!.saveDefinitionVersion(definitionVersion({ createdBy: `applier-${round}-${i}`, createdAt: T0 + round }), current),
        ),
      );
      const won = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
      const expected: number = (current ?? 0) + 1;
      expect(won).toEqual([expected]);
      for (const a of attempts) {
        if (a.status === 'fulfilled') continue;
        const error = a.reason as StoreError;
        expect(error).toBeInstanceOf(StoreError);
        expect(error.code, error.message).toBe('STORE_CONFLICT');
        expect(error.message).toContain(`definitions are at version ${expected}`);
      }
      current = expected;
    }
    const versions = await stores[1]!.listDefinitionVersions();
    expect(versions.map((v) => v.version)).toEqual([6, 5, 4, 3, 2, 1]);
    expect((await stores[1]!.currentDefinitions())?.version).toBe(6);
  });

  it('rejects what it cannot store (STORE_INVALID) and stores nothing then', async () => {
    const store = await freshStore();
    const bad: [NewDefinitionVersion, number | null][] = [
      [definitionVersion({ definitions: 'not a list' as unknown as unknown[] }), null],
      [definitionVersion({ definitions: { kind: 'action' } as unknown as unknown[] }), null],
      [definitionVersion({ definitions: [{ timeout: Number.POSITIVE_INFINITY }] }), null],
      [definitionVersion({ definitions: [undefined] }), null],
      [definitionVersion({ summary: { create: -1, update: 0, delete: 0 } }), null],
      [definitionVersion({ summary: { create: 1.5, update: 0, delete: 0 } }), null],
      [definitionVersion({ summary: undefined as unknown as NewDefinitionVersion['summary'] }), null],
      [definitionVersion({ summary: { create: 1 } as unknown as NewDefinitionVersion['summary'] }), null],
      [definitionVersion({ createdBy: 'a\u0000b' }), null],
      [definitionVersion({ createdAt: 1.5 }), null],
      [definitionVersion(), 0],
      [definitionVersion(), -1],
      [definitionVersion(), 1.5],
      [definitionVersion(), undefined as unknown as null],
    ];
    for (const [record, expected] of bad) await expectStoreError(store.saveDefinitionVersion(record, expected), 'STORE_INVALID');
    expect(await store.listDefinitionVersions()).toEqual([]);
    expect(await store.saveDefinitionVersion(definitionVersion(), null)).toBe(1);
  });
});
