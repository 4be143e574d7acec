import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { afterEach, beforeEach, expect, it } from 'vitest';

import { connectNats, describeWithNatsConnections, testSubjects } from '../../../test/nats-services.js';
import { AgentQuotas } from '../agent-quota.js';
import type { NatsSubjects, ResultRow } from '../../protocol/index.js';
import type { InventoryHost, QueryWaiter } from './fleet.js';
import { NO_RESPONDER, NatsFleet } from './nats-fleet.js';
import { listedInventory } from './presence.js';

/*
 * NatsFleet against a real NATS server, with a raw "agent" on a second connection that answers
 * as each test scripts it, hostile answers included. What a waiter hears is what fan-out turns
 * into rows; the rest (timeouts, offline rows) is test/nats-query-fan-out.test.ts.
 */

const host = (name: string, connected = true): InventoryHost => ({ name, agentId: `a-${name}`, connected, lastSeenAt: null, tags: {}, attrs: {} });
const row = (h: string, n: number): ResultRow => ({ resource: { type: 'host', id: h, name: h, host: h }, status: 'ok', values: { n } });
const query = (id: string) => JSON.stringify({ type: 'query', id, principal: 'ops', phase: {}, timeoutMs: 1000 });

/** A waiter that records what it hears; `ended` resolves on done or lost. */
function recorder() {
  const heard: string[] = [];
  const rows: ResultRow[] = [];
  let end!: () => void;
  const ended = new Promise<void>((resolve) => (end = resolve));
  const waiter: QueryWaiter = {
    onRows: (r) => void rows.push(...r),
    onDone: (error) => {
      heard.push(error === undefined ? 'done' : `done: ${error}`);
      end();
    },
    onLost: (reason) => {
      heard.push(`lost: ${reason}`);
      end();
    },
  };
  return { waiter, heard, rows, ended };
}

/** A raw agent: hears every query (and control message) for `name`, answers with `script`. */
function rawAgent(nc: NatsConnection, subjects: NatsSubjects, name: string, script: (msg: Msg) => (string | Uint8Array)[]) {
  const control: string[] = [];
  const q = nc.subscribe(subjects.agentQuery(name), { callback: (_err, msg) => script(msg).forEach((frame) => msg.respond(frame)) });
  const c = nc.subscribe(subjects.agentControl(name), { callback: (_err, msg) => void control.push(msg.string()) });
  return { control, stop: () => [q, c].forEach((s) => s.unsubscribe()) };
}

const encode = (message: object) => JSON.stringify(message);

await describeWithNatsConnections('NatsFleet: queries over NATS', 'src/server/fleet/nats-fleet.test.ts', 2, (connections) => {
  let subjects: NatsSubjects;
  let fleet: NatsFleet;
  const agentConn = () => connections()[1] as NatsConnection;

  beforeEach(() => {
    subjects = testSubjects();
    fleet = new NatsFleet({ nc: connections()[0] as NatsConnection, subjects, inventory: listedInventory([host('web-1'), host('web-2'), host('down-1', false)]) });
  });
  afterEach(async () => {
    await fleet.close();
  });

  it('streams an agent`s rows to the waiter, then its done, and forgets the query', async () => {
    const agent = rawAgent(agentConn(), subjects, 'web-1', () => [encode({ type: 'rows', query: 'q1', rows: [row('web-1', 1)] }), encode({ type: 'rows', query: 'q1', rows: [row('web-1', 2)] }), encode({ type: 'done', query: 'q1' })]);
    await agentConn().flush();
    const r = recorder();
    expect(fleet.send('web-1', 'q1', query('q1'), r.waiter)).toBe(true);
    expect(fleet.waiting).toBe(1);
    await r.ended;
    expect(r.rows.map((x) => x.values.n)).toEqual([1, 2]);
    expect(r.heard).toEqual(['done']);
    expect(fleet.waiting).toBe(0);
    expect(fleet.dropped).toEqual({ malformed: 0, foreign: 0, late: 0 });
    agent.stop();
  });

  it('turns "no responders" into a lost answer saying the agent is offline', async () => {
    const r = recorder();
    expect(fleet.send('web-2', 'q1', query('q1'), r.waiter)).toBe(true);
    await r.ended;
    expect(r.heard).toEqual([`lost: ${NO_RESPONDER}`]);
    expect(fleet.waiting).toBe(0);
  });

  it('refuses to send to a host the inventory calls disconnected or does not know', () => {
    const r = recorder();
    expect(fleet.send('down-1', 'q1', query('q1'), r.waiter)).toBe(false);
    expect(fleet.send('nobody', 'q1', query('q1'), r.waiter)).toBe(false);
    expect(fleet.connected('web-1')).toBe(true);
    expect(fleet.host('down-1')?.connected).toBe(false);
    expect(fleet.waiting).toBe(0);
  });

  it('drops and counts hostile replies, and still hears the real answer after them', async () => {
    const hostile = [
      'not json {',
      new Uint8Array([0xff, 0xfe, 0x7b]),
      encode({ type: 'rows', query: 'q1', rows: [{ status: 'fine', values: {} }] }),
      encode({ type: 'heartbeat', time: 1, active: 0, rssBytes: 1 }),
      encode({ type: 'rows', query: 'x'.repeat(200), rows: [] }),
      '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[',
      encode({ type: 'done', query: 'someone-else' }),
    ];
    const agent = rawAgent(agentConn(), subjects, 'web-1', () => [...hostile, encode({ type: 'rows', query: 'q1', rows: [row('web-1', 7)] }), encode({ type: 'done', query: 'q1' }), encode({ type: 'done', query: 'q1' })]);
    await agentConn().flush();
    const r = recorder();
    fleet.send('web-1', 'q1', query('q1'), r.waiter);
    await r.ended;
    await agentConn().flush();
    await connections()[0]?.flush();
    expect(r.rows.map((x) => x.values.n)).toEqual([7]);
    expect(r.heard).toEqual(['done']);
    expect(fleet.dropped).toEqual({ malformed: 6, foreign: 1, late: 1 });
    agent.stop();
  });

  /** Asks web-1, which answers `frames`; the answer must be refused and the agent told to stop. */
  const refused = async (frames: readonly string[]) => {
    const agent = rawAgent(agentConn(), subjects, 'web-1', () => [...frames, encode({ type: 'done', query: 'q1' })]);
    await agentConn().flush();
    const r = recorder();
    fleet.send('web-1', 'q1', query('q1'), r.waiter);
    await r.ended;
    await connections()[0]?.flush();
    await agentConn().flush();
    expect(agent.control).toEqual([encode({ type: 'cancel', query: 'q1' })]);
    agent.stop();
    return r;
  };

  it('refuses an answer with rows about another host: the waiter hears why, the agent is cancelled', async () => {
    const r = await refused([encode({ type: 'rows', query: 'q1', rows: [row('web-1', 1), row('web-2', 2)] })]);
    expect(r.rows).toEqual([]);
    expect(r.heard).toEqual(["done: the agent's answer was refused: 1 row(s) named a host other than web-1"]);
  });

  it('refuses the answer of an agent over its rows quota, so a flood cannot fill memory', async () => {
    await fleet.close();
    const now = 1_700_000_000_000;
    fleet = new NatsFleet({ nc: connections()[0] as NatsConnection, subjects, inventory: listedInventory([host('web-1')]), quotas: new AgentQuotas({ eventsPerMinute: 1, rowsPerMinute: 7, permitsPerMinute: 1 }, () => now) });
    const r = await refused(Array.from({ length: 5 }, () => encode({ type: 'rows', query: 'q1', rows: [row('web-1', 1), row('web-1', 2), row('web-1', 3)] })));
    expect(r.rows).toHaveLength(6);
    expect(r.heard).toEqual(["done: the agent's answer was refused: rows quota exceeded (at most 7 rows a minute per agent)"]);
  });

  it('cancel tells the agent to stop and stops listening: a late answer is counted, not heard', async () => {
    let answer: Msg | undefined;
    const agent = rawAgent(agentConn(), subjects, 'web-1', (msg) => {
      answer = msg;
      return [];
    });
    await agentConn().flush();
    const r = recorder();
    fleet.send('web-1', 'q1', query('q1'), r.waiter);
    await connections()[0]?.flush();
    await agentConn().flush();
    expect(answer).toBeDefined();
    fleet.cancel('web-1', 'q1');
    expect(fleet.waiting).toBe(0);
    answer?.respond(encode({ type: 'done', query: 'q1' }));
    // A flush returns once the server has handled what went before it: the fleet's cancel reaches
    // the agent before the agent's PONG, and the agent's late done the fleet before the fleet's.
    await connections()[0]?.flush();
    await agentConn().flush();
    await connections()[0]?.flush();
    expect(r.heard).toEqual([]);
    expect(fleet.dropped.late).toBe(1);
    expect(agent.control).toEqual([encode({ type: 'cancel', query: 'q1' })]);
    agent.stop();
  });

  it('a frame over NATS`s max_payload is not sent: send says false and nothing waits', () => {
    const max = connections()[0]?.info?.max_payload ?? 0;
    const r = recorder();
    expect(fleet.send('web-1', 'big', 'x'.repeat(max + 1), r.waiter)).toBe(false);
    expect(fleet.waiting).toBe(0);
  });

  it('close tells every waiting query it was lost', async () => {
    const agent = rawAgent(agentConn(), subjects, 'web-1', () => []);
    await agentConn().flush();
    const r = recorder();
    fleet.send('web-1', 'q1', query('q1'), r.waiter);
    await fleet.close('replica stopping');
    await r.ended;
    expect(r.heard).toEqual(['lost: replica stopping']);
    expect(fleet.waiting).toBe(0);
    agent.stop();
  });

  it('a closed NATS connection ends every waiting query at once, and sends nothing more', async () => {
    const agent = rawAgent(agentConn(), subjects, 'web-1', () => []);
    await agentConn().flush();
    const own = await connectNats('nats-fleet.test closing');
    const closing = new NatsFleet({ nc: own, subjects, inventory: listedInventory([host('web-1')]) });
    const r = recorder();
    expect(closing.send('web-1', 'q1', query('q1'), r.waiter)).toBe(true);
    await own.close();
    await r.ended;
    expect(r.heard).toEqual(['lost: lost the connection to NATS']);
    expect(closing.send('web-1', 'q2', query('q2'), recorder().waiter)).toBe(false);
    expect(closing.waiting).toBe(0);
    agent.stop();
  });
});
