/*
 * Substring filters on the audit log and the events (text-match.ts), with hostile text.
 * One suite on both back ends: test/store/back-ends.ts.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { describeStore } from '../../../test/store/back-ends.js';
import { T0, audit, event, expectStoreError, TRICKY } from '../../../test/store/fixtures.js';
import { containsPattern, MAX_TEXT_FILTER } from './text-match.js';
import type { AuditRecord, EventRecord } from './index.js';

/** Characters that mean something to LIKE, SQL or a shell, beside ordinary letters in both cases. */
const ALPHABET = ['a', 'B', 'c', '%', '_', '\\', "'", '"', ';', '-', ' ', '.', '*', '[', ']'];
const word = (maxLength: number) => fc.array(fc.constantFrom(...ALPHABET), { maxLength }).map((cs) => cs.join(''));

const containsAnyCase = (values: readonly (string | null)[], text: string) => values.some((v) => v !== null && v.toLowerCase().includes(text.toLowerCase()));

it('escapes LIKE wildcards and the escape character itself', () => {
  expect(containsPattern('a%b_c\\d')).toBe('%a\\%b\\_c\\\\d%');
  expect(containsPattern('')).toBe('%%');
});

await describeStore('text filters', 'src/server/store/text-match.test.ts', ({ freshStore }) => {
  it('audit: a part of a principal, action or target in any case; wildcards match only themselves', async () => {
    const store = await freshStore();
    const rows = [
      audit({ time: T0 + 1, principal: 'Alice', action: 'token.create', target: 'ci-bot' }),
      audit({ time: T0 + 2, principal: 'bob', action: 'agent.revoke', target: 'web_1' }),
      audit({ time: T0 + 3, principal: 'carol', action: 'run', target: 'host | `du -sh 100%`' }),
      audit({ time: T0 + 4, principal: 'dave', action: 'run', target: TRICKY }),
    ];
    for (const r of rows) await store.appendAudit(r);
    const targets = async (text: string) => (await store.listAudit({ text })).map((r) => r.target);
    expect(await targets('ALI')).toEqual(['ci-bot']);
    expect(await targets('revo')).toEqual(['web_1']);
    expect(await targets('B_1')).toEqual(['web_1']);
    // `_` and `%` are not wildcards: "b_1" is not "bx1", "100%" is not "100 anything".
    expect(await targets('b%1')).toEqual([]);
    expect(await targets('0%`')).toEqual(['host | `du -sh 100%`']);
    expect(await targets('\\back\\')).toEqual([TRICKY]);
    expect(await targets("' ; drop table")).toEqual([TRICKY]);
    expect(await targets('世界 🚀')).toEqual([TRICKY]);
    expect(await targets('nobody')).toEqual([]);
    // With an exact filter too, both hold.
    expect((await store.listAudit({ text: 'rol', action: 'run' })).map((r) => r.principal)).toEqual(['carol']);
    expect(await store.listAudit({ text: 'a\u0000' })).toEqual([]);
    expect(await store.listAudit({ text: 'a\ud800' })).toEqual([]);
    await expectStoreError(store.listAudit({ text: 'x'.repeat(MAX_TEXT_FILTER + 1) }), 'STORE_INVALID');
  });

  it('events: a part of a host, alarm, bot or message in any case, with the other filters', async () => {
    const store = await freshStore();
    const rows = [
      event({ id: 'e1', time: T0 + 1, host: 'web-1', alarm: 'data-disk-full', bot: null, message: 'disk at 95%' }),
      event({ id: 'e2', time: T0 + 2, type: 'bot_ran', host: 'db-1', alarm: null, bot: 'clean_logs', message: 'exit 0' }),
      event({ id: 'e3', time: T0 + 3, type: 'agent_joined', host: null, alarm: null, bot: null, message: 'Agent WEB-2 joined' }),
    ];
    await store.appendEvents(rows);
    const ids = async (text: string, more: { type?: string } = {}) => (await store.listEvents({ text, ...more })).map((e) => e.id);
    expect(await ids('web')).toEqual(['e3', 'e1']);
    expect(await ids('DISK-F')).toEqual(['e1']);
    expect(await ids('n_l')).toEqual(['e2']);
    expect(await ids('nxl')).toEqual([]);
    expect(await ids('95%')).toEqual(['e1']);
    expect(await ids('5%d')).toEqual([]);
    expect(await ids('web', { type: 'alarm_fired' })).toEqual(['e1']);
    await expectStoreError(store.listEvents({ text: 'x'.repeat(MAX_TEXT_FILTER + 1) }), 'STORE_INVALID');
  });

  it('matches what a plain case-insensitive substring search finds, for hostile text (bounded fuzz)', async () => {
    const store = await freshStore();
    const stored = fc.sample(fc.tuple(word(6), word(6), word(8)), { numRuns: 25, seed: 13 });
    const audits: AuditRecord[] = stored.map(([principal, action, target], i) => audit({ time: T0 + i, principal: principal || 'p', action: action || 'a', target }));
    for (const a of audits) await store.appendAudit(a);
    const events: EventRecord[] = stored.map(([host, bot, message], i) => event({ id: `f${i}`, time: T0 + i, host: host || null, alarm: null, bot: bot || null, message }));
    await store.appendEvents(events);
    await fc.assert(
      fc.asyncProperty(word(4), async (text) => {
        const auditIds = (await store.listAudit({ text, limit: 1000 })).map((a) => a.id).sort();
        expect(auditIds).toEqual(audits.filter((a) => containsAnyCase([a.principal, a.action, a.target], text)).map((a) => a.id).sort());
        const eventIds = (await store.listEvents({ text, limit: 1000 })).map((e) => e.id).sort();
        expect(eventIds).toEqual(events.filter((e) => containsAnyCase([e.host, e.alarm, e.bot, e.message], text)).map((e) => e.id).sort());
      }),
      { numRuns: 40, seed: 7 },
    );
  });
});
