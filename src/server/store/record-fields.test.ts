/*
 * Records come back with their fields in one order, the one the API's JSON shows them in: the
 * tables' column order, which recordOf (values.ts) follows. Pinned here because the round-trip
 * tests compare with toEqual, which does not see order.
 */
import { expect, it } from 'vitest';
import { describeStore } from '../../../test/store/back-ends.js';
import { agent, approval, audit, event, run, T0 } from '../../../test/store/fixtures.js';

const FIELDS = {
  agent: ['id', 'name', 'hostId', 'credentialHash', 'tags', 'facts', 'status', 'enrolledAt', 'lastSeenAt', 'enrolledWith', 'definitionsVersion', 'enrolledWithId', 'revokedAt'],
  approval: ['id', 'createdAt', 'expiresAt', 'bot', 'action', 'host', 'resource', 'statement', 'details', 'status', 'decidedBy', 'decidedAt', 'runId'],
  audit: ['id', 'time', 'principal', 'action', 'target', 'runId', 'outcome', 'detail'],
  event: ['id', 'time', 'type', 'host', 'resource', 'alarm', 'bot', 'action', 'severity', 'runId', 'principal', 'message', 'value', 'details'],
  run: ['id', 'principal', 'statement', 'plan', 'status', 'startedAt', 'finishedAt', 'targets', 'failures'],
  runbook: ['id', 'name', 'description', 'params', 'cells', 'updatedAt', 'updatedBy'],
  runbookRun: ['id', 'runbookId', 'createdAt', 'createdBy', 'params', 'outputs'],
};

await describeStore('record fields', 'src/server/store/record-fields.test.ts', ({ freshStore }) => {
  it('every record read back has its fields in the order of its table', async () => {
    const store = await freshStore();
    const a = agent();
    await store.upsertAgent(a);
    expect(Object.keys((await store.getAgentByName(a.name))!)).toEqual(FIELDS.agent);
    const p = approval();
    await store.createApproval(p);
    expect(Object.keys((await store.getApproval(p.id))!)).toEqual(FIELDS.approval);
    await store.appendAudit(audit());
    expect(Object.keys((await store.listAudit())[0]!)).toEqual(FIELDS.audit);
    await store.appendEvents([event()]);
    expect(Object.keys((await store.listEvents())[0]!)).toEqual(FIELDS.event);
    const r = run();
    await store.createRun(r);
    expect(Object.keys((await store.getRun(r.id))!.run)).toEqual(FIELDS.run);
    expect(Object.keys((await store.interruptRuns(T0))[0]!)).toEqual(FIELDS.run);
    const book = { id: 'rb-1', name: 'disk', description: '', params: [], cells: [], updatedAt: T0, updatedBy: 'alice' };
    await store.createRunbook(book);
    expect(Object.keys((await store.getRunbook(book.id))!)).toEqual(FIELDS.runbook);
    await store.saveRunbookRun({ id: 'rr-1', runbookId: book.id, createdAt: T0, createdBy: 'alice', params: {}, outputs: [] });
    expect(Object.keys((await store.getRunbookRun('rr-1'))!)).toEqual(FIELDS.runbookRun);
  });
});
