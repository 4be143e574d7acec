/*
 * The events table's CHECK constraint (events_type_check) against the one list of event types,
 * protocol's EventType. Migrations are history, so the constraint only changes by a new migration:
 * these tests fail, saying so, when an event type is added to the protocol without one.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { EventType } from '../../protocol/index.js';
import { describeStore, sqliteBackEnd } from '../../../test/store/back-ends.js';
import { event } from '../../../test/store/fixtures.js';
import { openSqliteStore } from './index.js';

const WHAT_TO_DO =
  'add a migration that makes the events table take exactly protocol\'s EventType list ' +
  '(eventTypesMigration in src/server/store/event-types.ts, with the whole list written out in migration-values.ts)';

await describeStore('event types', 'src/server/store/event-types.test.ts', ({ freshStore }) => {
  it('the events table takes every event type the protocol carries', async () => {
    const store = await freshStore();
    for (const type of EventType.options) {
      const e = event({ type });
      const stored = await store.appendEvents([e]).catch((error: unknown) => error);
      expect(stored, `the events table refuses ${type}: ${WHAT_TO_DO}`).toEqual([e]);
    }
  });
});

describe('the events table on SQLite', () => {
  const { file: newFile } = sqliteBackEnd();

  it('the newest migration allows exactly the event types the protocol carries', async () => {
    const file = newFile('event-types');
    const store = openSqliteStore(file);
    await store.migrate();
    await store.close();
    const raw = new Database(file, { readonly: true });
    try {
      const { sql } = raw.prepare("select sql from sqlite_master where type = 'table' and name = 'events'").get() as { sql: string };
      const check = /constraint "events_type_check" check \("type" in \(([^)]*)\)\)/.exec(sql);
      expect(check, 'the events table has no events_type_check constraint').not.toBeNull();
      const allowed = [...check![1]!.matchAll(/'([^']*)'/g)].map((m) => m[1]);
      expect(allowed.sort(), WHAT_TO_DO).toEqual([...EventType.options].sort());
    } finally {
      raw.close();
    }
  });
});
