import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { afterEach, beforeEach, expect, it } from 'vitest';

import { describeWithNatsConnections, testSubjects } from '../../../test/nats-services.js';
import type { BacktestResultMessage, HelloMessage, NatsSubjects, ResultRow } from '../../protocol/index.js';
import type { AgentRecord } from '../store/index.js';
import type { AgentHooks, InventoryHost, QueryWaiter } from './fleet.js';
import { MAX_BACKTESTS, NatsFleet } from './nats-fleet.js';
import { listedInventory } from './presence.js';

/*
 * NatsFleet as the whole Fleet port (control messages, back-tests, definitions, disconnect) against
 * a real NATS server, with a raw "agent" on a second connection. The presence is a fixed list here;
 * src/server/fleet/nats-presence.test.ts tests the real one.
 */

const host = (name: string, connected = true, tags: Record<string, string> = {}): InventoryHost => ({ name, agentId: `a-${name}`, connected, lastSeenAt: null, tags, attrs: {} });
const record = (name: string): AgentRecord => ({ id: `a-${name}`, name, hostId: `h-${name}`, credentialHash: 'x', tags: {}, facts: {}, status: 'disconnected', enrolledAt: 1, lastSeenAt: null, enrolledWith: 't', enrolledWithId: null, revokedAt: null, definitionsVersion: null });
const facts = { hostname: 'web-1', machineId: 'm', os: 'linux', distro: 'debian', arch: 'x64', kernel: '6', ip: '10.0.0.1', agentVersion: '0.1.0' };
const encode = (message: object) => JSON.stringify(message);

/** Hooks that record what reaches them; definitions are keyed by the host's `tier` tag and `version`. */
function recordingHooks() {
  const heard = { backtests: [] as string[], left: [] as string[], joined: [] as string[] };
  const state = { version: 1 };
  const hooks: AgentHooks = {
    definitions: (h) => ({ key: `${state.version}/${h.tags.tier ?? ''}`, frame: encode({ type: 'definitions', version: state.version, tier: h.tags.tier ?? null }) }),
    onEvents: async () => undefined,
    onPermit: async () => ({ allowed: true, reason: '' }),
    onApproval: async () => undefined,
    onBacktestResult: (agent, msg) => void heard.backtests.push(`${agent} ${msg.id} ${msg.transitions.length}`),
    redact: <T>(value: T): T => JSON.parse(JSON.stringify(value).replaceAll('hunter2', '[secret:db]')) as T,
    onConnected: (agent, _first, session) => void heard.joined.push(`${agent} ${session ?? '-'}`),
    onDisconnected: (agent, reason, session) => void heard.left.push(`${agent} ${reason} ${session ?? '-'}`),
  };
  return { hooks, heard, state };
}

/** A raw agent: records its control messages; `backtest` answers each back-test it is sent. */
function rawAgent(nc: NatsConnection, subjects: NatsSubjects, name: string, backtest?: (msg: Msg, id: string) => (string | Uint8Array)[]) {
  const control: string[] = [];
  const c = nc.subscribe(subjects.agentControl(name), {
    callback: (_err, msg) => {
      control.push(msg.string());
      const parsed = JSON.parse(msg.string()) as { type: string; id: string };
      if (parsed.type === 'backtest' && msg.reply && backtest) backtest(msg, parsed.id).forEach((frame) => msg.respond(frame));
    },
  });
  const q = nc.subscribe(subjects.agentQuery(name), { callback: (_err, msg) => void msg.respond(encode({ type: 'rows', query: 'q1', rows: [row(name, 'password hunter2')] })) });
  return { control, stop: () => [c, q].forEach((s) => s.unsubscribe()) };
}

const row = (h: string, text: string): ResultRow => ({ resource: { type: 'host', id: h, name: h, host: h }, status: 'ok', values: { text } });
const result = (id: string): BacktestResultMessage => ({ type: 'backtest_result', id, transitions: [{ time: 1, resource: 'web-1', state: 'fired', value: 0.9 }] });

await describeWithNatsConnections('NatsFleet: the Fleet port over NATS', 'src/server/fleet/nats-fleet-control.test.ts', 2, (connections) => {
  let subjects: NatsSubjects;
  let fleet: NatsFleet;
  let rec: ReturnType<typeof recordingHooks>;
  const agentConn = () => connections()[1] as NatsConnection;
  /**
   * Lets what each side published reach the other. The agent's side flushes twice: its callbacks
   * publish their replies while its first flush is pending, behind that flush's PING, so only the
   * second one is answered after the server has them.
   */
  const roundTrip = async () => {
    await connections()[0]?.flush();
    await agentConn().flush();
    await agentConn().flush();
    await connections()[0]?.flush();
  };

  beforeEach(() => {
    subjects = testSubjects();
    rec = recordingHooks();
    fleet = new NatsFleet({ nc: connections()[0] as NatsConnection, subjects, hooks: rec.hooks, inventory: listedInventory([host('web-1', true, { tier: 'web' }), host('web-2'), host('down-1', false)]) });
  });
  afterEach(async () => {
    await fleet.closeAll();
  });

  it('sends control messages to a connected agent only', async () => {
    const agent = rawAgent(agentConn(), subjects, 'web-1');
    await agentConn().flush();
    expect(fleet.sendTo('web-1', { type: 'alert', name: 'disk', context: { message: 'full' } })).toBe(true);
    expect(fleet.sendTo('down-1', { type: 'cancel', query: 'q' })).toBe(false);
    expect(fleet.sendTo('nobody', { type: 'cancel', query: 'q' })).toBe(false);
    await roundTrip();
    expect(agent.control).toEqual([encode({ type: 'alert', name: 'disk', context: { message: 'full' } })]);
    agent.stop();
  });

  it('hands a back-test`s result to the hooks, and drops hostile or foreign results', async () => {
    const agent = rawAgent(agentConn(), subjects, 'web-1', (_msg, id) => ['not json', encode({ type: 'rows', query: id, rows: [] }), encode(result('other')), encode(result(id)), encode(result(id))]);
    await agentConn().flush();
    expect(fleet.sendTo('web-1', { type: 'backtest', id: 'bt1', alarm: {}, seconds: 60 })).toBe(true);
    await roundTrip();
    // The reply subject takes one answer: what came first decides, and the rest are late.
    expect(rec.heard.backtests).toEqual([]);
    expect(fleet.dropped).toEqual({ malformed: 1, foreign: 0, late: 4 });

    const good = rawAgent(agentConn(), subjects, 'web-2', (_msg, id) => [encode(result(id))]);
    const foreign = rawAgent(agentConn(), subjects, 'web-1', () => [encode(result('someone-else'))]);
    await agentConn().flush();
    fleet.sendTo('web-2', { type: 'backtest', id: 'bt2', alarm: {}, seconds: 60 });
    await roundTrip();
    expect(rec.heard.backtests).toEqual([`web-2 bt2 1`]);
    [agent, good, foreign].forEach((a) => a.stop());
  });

  it('remembers at most MAX_BACKTESTS unanswered back-tests: the oldest are forgotten', async () => {
    const agent = rawAgent(agentConn(), subjects, 'web-1', (_msg, id) => [encode(result(id))]);
    await agentConn().flush();
    // Sent before any answer can come back: the first two are forgotten, their answers counted as late.
    for (let i = 0; i < MAX_BACKTESTS + 2; i++) fleet.sendTo('web-1', { type: 'backtest', id: `bt${i}`, alarm: {}, seconds: 60 });
    await roundTrip();
    expect(rec.heard.backtests).toHaveLength(MAX_BACKTESTS);
    expect(rec.heard.backtests[0]).toBe('web-1 bt2 1');
    expect(fleet.dropped.late).toBe(2);
    agent.stop();
  });

  it('survives hostile back-test replies (bounded fuzz): each is heard, dropped or counted, nothing throws', async () => {
    let seed = 11;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const hostile = [
      (id: string) => encode({ ...result(id), transitions: 'x' }),
      (id: string) => encode({ ...result(id), id: 'y'.repeat(rand(300)) }),
      (id: string) => encode({ type: 'backtest_result', id, transitions: Array.from({ length: rand(5) }, () => ({ time: rand(9), resource: 'r', state: rand(2) ? 'fired' : 'odd', value: null })) }),
      () => '{'.repeat(rand(4000)),
      () => new Uint8Array(Array.from({ length: rand(64) }, () => rand(256))),
      (id: string) => encode(result(id)),
    ];
    const agent = rawAgent(agentConn(), subjects, 'web-1', (_msg, id) => [(hostile[rand(hostile.length)] as (id: string) => string | Uint8Array)(id)]);
    await agentConn().flush();
    for (let i = 0; i < 200; i++) fleet.sendTo('web-1', { type: 'backtest', id: `f${i}`, alarm: {}, seconds: 60 });
    await roundTrip();
    const { malformed, foreign, late } = fleet.dropped;
    expect(rec.heard.backtests.length + malformed + foreign + late).toBe(200);
    expect(late).toBe(0);
    agent.stop();
  });

  it('pushes definitions only where they changed since this replica sent them; welcomed() always sends and takes the hello`s tags', async () => {
    const one = rawAgent(agentConn(), subjects, 'web-1');
    const two = rawAgent(agentConn(), subjects, 'web-2');
    const down = rawAgent(agentConn(), subjects, 'down-1');
    await agentConn().flush();
    fleet.pushDefinitions();
    fleet.pushDefinitions();
    await roundTrip();
    expect(one.control).toEqual([encode({ type: 'definitions', version: 1, tier: 'web' })]);
    expect(two.control).toHaveLength(1);
    expect(down.control).toEqual([]);

    const hello: HelloMessage = { type: 'hello', v: 1, name: 'web-2', facts, tags: { tier: 'db' } };
    fleet.welcomed(record('web-2'), hello);
    fleet.welcomed(record('web-2'), hello);
    rec.state.version = 2;
    fleet.pushDefinitions();
    await roundTrip();
    expect(fleet.host('web-2')?.tags).toEqual({ tier: 'db' });
    expect(two.control.slice(1)).toEqual([encode({ type: 'definitions', version: 1, tier: 'db' }), encode({ type: 'definitions', version: 1, tier: 'db' }), encode({ type: 'definitions', version: 2, tier: 'db' })]);
    expect(one.control).toHaveLength(2);
    [one, two, down].forEach((a) => a.stop());
  });

  it('disconnect ends the session, fails its waiting queries, tells the agent why, and refuses it from then on', async () => {
    const agent = rawAgent(agentConn(), subjects, 'web-1');
    const silent = agentConn().subscribe(subjects.agentQuery('web-2'));
    await agentConn().flush();
    const lost: string[] = [];
    const waiter: QueryWaiter = { onRows: () => undefined, onDone: () => undefined, onLost: (r) => void lost.push(r) };
    expect(fleet.send('web-2', 'q9', encode({ type: 'query', id: 'q9' }), waiter)).toBe(true);

    expect(fleet.disconnect('web-1', 'credential revoked')).toBe(true);
    expect(fleet.disconnect('web-2', 'agent deleted')).toBe(true);
    expect(fleet.disconnect('down-1', 'agent deleted')).toBe(false);
    await roundTrip();
    expect(agent.control).toEqual([encode({ type: 'error', code: 'BW_ERR_UNAUTHENTICATED', message: 'credential revoked' })]);
    expect(lost).toEqual(['agent deleted']);
    expect(fleet.connected('web-1')).toBe(false);
    expect(fleet.sendTo('web-1', { type: 'cancel', query: 'q' })).toBe(false);
    expect(fleet.send('web-1', 'q2', encode({ type: 'query', id: 'q2' }), waiter)).toBe(false);
    agent.stop();
    silent.unsubscribe();
  });

  it('enrolled, forget, versions and the connected count come from the presence', () => {
    fleet.enrolled(record('new-1'));
    fleet.enrolled(record('web-1'));
    expect(fleet.host('new-1')).toMatchObject({ connected: false, agentId: 'a-new-1' });
    expect(fleet.host('web-1')?.tags).toEqual({ tier: 'web' });
    expect(fleet.connectedCount).toBe(2);
    expect([...fleet.versions().keys()].sort()).toEqual(['web-1', 'web-2']);
    fleet.forget('new-1');
    fleet.forget('web-2');
    expect(fleet.inventory().map((h) => h.name)).toEqual(['web-1', 'down-1']);
    expect(fleet.connectedCount).toBe(1);
  });

  it('redacts secret values in the rows agents send', async () => {
    const agent = rawAgent(agentConn(), subjects, 'web-1');
    await agentConn().flush();
    const rows: ResultRow[] = [];
    fleet.send('web-1', 'q1', encode({ type: 'query', id: 'q1' }), { onRows: (r) => void rows.push(...r), onDone: () => undefined, onLost: () => undefined });
    await roundTrip();
    expect(rows.map((r) => r.values.text)).toEqual(['password [secret:db]']);
    agent.stop();
  });
});
