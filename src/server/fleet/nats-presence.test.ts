import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterEach, beforeEach, expect, it } from 'vitest';

import { deleteStream, describeWithNatsConnections, testSubjects } from '../../../test/nats-services.js';
import { sqliteBackEnd } from '../../../test/store/back-ends.js';
import { waitUntil } from '../../../test/helpers.js';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsSubjects, PresenceMessage } from '../../protocol/index.js';
import type { AgentRecord, Store } from '../store/index.js';
import { FakeClock } from './fake-clock.test-support.js';
import { NatsPresence, ensurePresenceBucket } from './nats-presence.js';

/*
 * Presence over a real NATS KV bucket and a real (SQLite) store; time is a fake clock started at
 * the real time, so an entry's NATS timestamp is "now" until the test moves the clock.
 */

const HEARTBEAT = 5_000;
const facts = { hostname: 'h', machineId: 'm', os: 'linux', distro: 'debian 12', arch: 'x64', kernel: '6.1', ip: '10.0.0.1', agentVersion: '0.1.0' };
const agent = (name: string, change: Partial<AgentRecord> = {}): AgentRecord => ({ id: `a-${name}`, name, hostId: `h-${name}`, credentialHash: `c-${name}`, tags: {}, facts: {}, status: 'disconnected', enrolledAt: 1_000, lastSeenAt: null, enrolledWith: 't', enrolledWithId: null, revokedAt: null, definitionsVersion: null, ...change });
const presenceOf = (name: string, change: Partial<PresenceMessage> = {}): PresenceMessage => ({ type: 'presence', v: 1, name, session: `s-${name}`, facts: { ...facts, hostname: name }, tags: { tier: 'web' }, time: 0, heartbeatMs: HEARTBEAT, active: 0, rssBytes: 1, definitionsVersion: 3, ...change });

/** A logger that keeps its warnings. */
function warnings() {
  const lines: string[] = [];
  return { lines, logger: { warn: (...a: unknown[]) => void lines.push(String(a[1])), error: (...a: unknown[]) => void lines.push(`error: ${String(a[1])}`) } };
}

/** The store, counting the agent-state writes. */
function counted(store: Store) {
  const writes: { id: string; patch: object }[] = [];
  const touches: { id: string; at: number }[][] = [];
  const wrapped = new Proxy(store, {
    get(target, p) {
      if (p === 'updateAgentState') return (id: string, patch: object) => (writes.push({ id, patch }), target.updateAgentState(id, patch));
      if (p === 'touchAgents') return (seen: { id: string; at: number }[]) => (touches.push(seen), target.touchAgents(seen));
      const v = Reflect.get(target, p) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { store: wrapped, writes, touches };
}

const sqlite = sqliteBackEnd();

await describeWithNatsConnections('NatsPresence: the inventory from the presence KV bucket', 'src/server/fleet/nats-presence.test.ts', 2, (connections) => {
  let subjects: NatsSubjects;
  let kv: KV;
  let store: Store;
  let clock: FakeClock;
  const running: NatsPresence[] = [];
  const agentConn = () => connections()[1] as NatsConnection;

  /** A replica's presence, loaded, recording what it says. */
  const replica = async (s: Store = store, lastSeenWriteMs?: number, maxHeartbeatMs?: number) => {
    const heard: string[] = [];
    const log = warnings();
    const presence = new NatsPresence({ kv, store: s, clock, logger: log.logger, events: { onConnected: (a, first, session) => void heard.push(`joined ${a} ${session}${first ? ' first' : ''}`), onDisconnected: (a, reason, session) => void heard.push(`left ${a} ${session ?? '-'}: ${reason}`) }, ...(lastSeenWriteMs === undefined ? {} : { lastSeenWriteMs }), ...(maxHeartbeatMs === undefined ? {} : { maxHeartbeatMs }) });
    running.push(presence);
    await presence.load();
    return { presence, heard, warnings: log.lines };
  };
  /** Puts an entry as an agent does (a publish to its key's subject), stored once the stream acks. */
  const put = async (name: string, body: string | object) => {
    await agentConn().request(subjects.presenceSubject(name), typeof body === 'string' ? body : JSON.stringify(body));
  };

  beforeEach(async () => {
    subjects = testSubjects();
    kv = await ensurePresenceBucket(connections()[0] as NatsConnection, subjects);
    store = (await sqlite.harness().fresh()).open();
    await store.migrate();
    for (const a of [agent('web-1'), agent('web-2'), agent('gone-1', { revokedAt: 5 })]) await store.upsertAgent(a);
    clock = new FakeClock(Date.now());
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.close()));
    await store.close();
    await deleteStream(await jetstreamManager(connections()[0] as NatsConnection), `KV_${subjects.presenceBucket}`);
  });

  it('connects an enrolled agent on its entry, with its tags and facts, and records it in the store', async () => {
    const { presence, heard } = await replica();
    await put('web-1', presenceOf('web-1'));
    await waitUntil('web-1 connected', () => presence.host('web-1')?.connected === true);
    expect(heard).toEqual(['joined web-1 s-web-1 first']);
    expect(presence.host('web-1')).toMatchObject({ tags: { tier: 'web' }, attrs: { os: 'linux', status: 'connected', kernel: '6.1' } });
    expect(presence.connectedCount).toBe(1);
    expect(presence.versions()).toEqual(new Map([['web-1', 3]]));
    await waitUntil('stored connected', async () => (await store.getAgentByName('web-1'))?.status === 'connected');
    expect(await store.getAgentByName('web-1')).toMatchObject({ tags: { tier: 'web' }, facts: { os: 'linux' }, definitionsVersion: 3 });
  });

  it('disconnects an agent silent for three of its heartbeats, on every replica alike, keyed by its session', async () => {
    const a = await replica();
    const b = await replica();
    await put('web-1', presenceOf('web-1'));
    await waitUntil('both see web-1', () => a.presence.host('web-1')?.connected === true && b.presence.host('web-1')?.connected === true);
    await clock.advance(3 * HEARTBEAT - 1_000);
    expect(a.presence.host('web-1')?.connected).toBe(true);
    await clock.advance(3_000);
    expect(a.presence.host('web-1')?.connected).toBe(false);
    expect(a.heard).toEqual(['joined web-1 s-web-1 first', 'left web-1 s-web-1: agent stopped sending heartbeats']);
    expect(b.heard).toEqual(a.heard);
    await waitUntil('stored disconnected', async () => (await store.getAgentByName('web-1'))?.status === 'disconnected');
  });

  it('judges an agent that claims a heartbeat of weeks by the replicas\' own heartbeat: it does not stay connected after it stops', async () => {
    const a = await replica(store, undefined, HEARTBEAT);
    await put('web-1', presenceOf('web-1', { heartbeatMs: 2 ** 31 - 1 }));
    await waitUntil('web-1 connected', () => a.presence.host('web-1')?.connected === true);
    await clock.advance(3 * HEARTBEAT + 2_000);
    expect(a.presence.host('web-1')?.connected).toBe(false);
    expect(a.heard).toEqual(['joined web-1 s-web-1 first', 'left web-1 s-web-1: agent stopped sending heartbeats']);
  });

  it('a new session is a leave and a join; a deleted key is a leave at once', async () => {
    const { presence, heard } = await replica();
    await put('web-1', presenceOf('web-1'));
    await waitUntil('connected', () => presence.host('web-1')?.connected === true);
    await put('web-1', presenceOf('web-1', { session: 's-2' }));
    await waitUntil('second session', () => heard.length === 3);
    await kv.delete('web-1');
    await waitUntil('left', () => heard.length === 4);
    expect(heard).toEqual(['joined web-1 s-web-1 first', 'left web-1 s-web-1: agent reconnected', 'joined web-1 s-2', 'left web-1 s-2: agent left']);
  });

  it('ignores entries that do not decode, name another agent, or belong to no enrolled agent; warns once a minute per agent', async () => {
    const { presence, heard, warnings: warned } = await replica();
    await put('web-1', 'not json {');
    await put('web-1', '{"type":"presence"}');
    await put('web-2', presenceOf('web-1'));
    await put('nobody', presenceOf('nobody'));
    await put('gone-1', presenceOf('gone-1'));
    // Two subject tokens: no agent's key (presenceSubject writes a name as one).
    await agentConn().request(`$KV.${subjects.presenceBucket}.web-1.x`, JSON.stringify(presenceOf('web-1.x')));
    await waitUntil('all counted', () => presence.ignored.malformed + presence.ignored.impostor + presence.ignored.unknown === 6);
    expect(presence.ignored).toEqual({ malformed: 3, impostor: 1, unknown: 2 });
    // web-1's two malformed entries are one line; the unknown ones are judged after a store look-up.
    expect(warned.sort()).toEqual(['ignored a presence entry (impostor)', 'ignored a presence entry (malformed)', 'ignored a presence entry (malformed)', 'ignored a presence entry (unknown)', 'ignored a presence entry (unknown)']);
    expect(heard).toEqual([]);
    expect(presence.inventory().map((h) => h.name).sort()).toEqual(['gone-1', 'web-1', 'web-2']);
  });

  it('counts an agent enrolled through another replica once the store vouches for it', async () => {
    const { presence, heard } = await replica();
    await store.upsertAgent(agent('new-1'));
    await put('new-1', presenceOf('new-1'));
    await waitUntil('new-1 connected', () => presence.host('new-1')?.connected === true);
    expect(heard).toEqual(['joined new-1 s-new-1 first']);
  });

  it('takes the agent\'s word for a first session: replicas that read the record before and after another one stored the connection agree', async () => {
    // Another replica already stored this session's connection (lastSeenAt): the record alone would say "reconnected".
    await store.upsertAgent(agent('new-2', { lastSeenAt: clock.now(), status: 'connected' }));
    const { presence, heard } = await replica();
    await put('new-2', presenceOf('new-2', { firstSession: true }));
    await put('web-2', presenceOf('web-2', { firstSession: false }));
    await waitUntil('both connected', () => presence.host('new-2')?.connected === true && presence.host('web-2')?.connected === true);
    expect(heard.sort()).toEqual(['joined new-2 s-new-2 first', 'joined web-2 s-web-2']);
  });

  it('refuse() ends the session and ignores the agent until it enrolls again', async () => {
    const { presence, heard } = await replica();
    await put('web-1', presenceOf('web-1'));
    await waitUntil('connected', () => presence.host('web-1')?.connected === true);
    expect(presence.refuse('web-1', 'credential revoked')).toBe(true);
    expect(presence.refuse('web-1', 'credential revoked')).toBe(false);
    await put('web-1', presenceOf('web-1', { session: 's-2' }));
    await waitUntil('ignored', () => presence.ignored.unknown === 1);
    expect(presence.host('web-1')?.connected === true).toBe(false);

    await clock.advance(1);
    presence.enrolled(agent('web-1', { enrolledAt: clock.now() }));
    await put('web-1', presenceOf('web-1', { session: 's-3' }));
    await waitUntil('connected again', () => presence.host('web-1')?.connected === true);
    expect(heard).toEqual(['joined web-1 s-web-1 first', 'left web-1 s-web-1: credential revoked', 'joined web-1 s-3 first']);
  });

  it('asks the store again about a new session: a credential revoked through another replica ends it here', async () => {
    const { presence, heard } = await replica();
    await put('web-1', presenceOf('web-1'));
    await waitUntil('connected', () => presence.host('web-1')?.connected === true);
    await store.revokeAgent('web-1', clock.now());
    await clock.advance(11_000);
    await put('web-1', presenceOf('web-1', { session: 's-2' }));
    await waitUntil('refused', () => presence.ignored.unknown === 1);
    expect(presence.host('web-1')?.connected).toBe(false);
    expect(heard).toEqual(['joined web-1 s-web-1 first', 'left web-1 s-web-1: the agent credential was revoked']);
  });

  it('writes the agents table only on change, and lastSeenAt at most every few seconds', async () => {
    const { store: s, writes } = counted(store);
    const { presence } = await replica(s);
    await put('web-1', presenceOf('web-1'));
    await waitUntil('connected', () => presence.host('web-1')?.connected === true);
    for (let i = 0; i < 5; i++) await put('web-1', presenceOf('web-1'));
    await put('web-1', presenceOf('web-1', { tags: { tier: 'db' } }));
    await waitUntil('retagged', () => presence.host('web-1')?.tags.tier === 'db');
    await clock.advance(1_000);
    expect(writes.map((w) => Object.keys(w.patch).sort().join(','))).toEqual(['definitionsVersion,facts,lastSeenAt,status,tags', 'tags']);
  });

  it('batches the lastSeenAt writes of one sweep into one touchAgents call, not one write per agent', async () => {
    const { store: s, writes, touches } = counted(store);
    const { presence } = await replica(s, 1);
    for (const name of ['web-1', 'web-2']) await put(name, presenceOf(name));
    await waitUntil('connected', () => presence.host('web-1')?.connected === true && presence.host('web-2')?.connected === true);
    // NATS stamps entries in real time: wait until both have a newer one, past lastSeenWriteMs.
    const joinedAt = Math.max(...['web-1', 'web-2'].map((n) => presence.host(n)?.lastSeenAt ?? 0));
    await waitUntil('a later millisecond', () => Date.now() > joinedAt + 1);
    for (const name of ['web-1', 'web-2']) await put(name, presenceOf(name));
    await waitUntil('both seen again', () => ['web-1', 'web-2'].every((n) => (presence.host(n)?.lastSeenAt ?? 0) > joinedAt));
    expect(touches).toEqual([]);
    await clock.advance(1_000);
    expect(writes.map((w) => Object.keys(w.patch).sort().join(','))).toEqual(['definitionsVersion,facts,lastSeenAt,status,tags', 'definitionsVersion,facts,lastSeenAt,status,tags']);
    expect(touches).toHaveLength(1);
    expect(touches[0]!.map((t) => t.id).sort()).toEqual(['a-web-1', 'a-web-2']);
    await waitUntil('stored', async () => (await store.listAgents()).filter((a) => a.name.startsWith('web-')).every((a) => (a.lastSeenAt ?? 0) > joinedAt));
  });

  it('survives hostile entries on random keys (bounded fuzz): nothing throws, memory holds the enrolled agents', async () => {
    const { presence } = await replica();
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const bodies = [() => 'x'.repeat(rand(100)), () => JSON.stringify(presenceOf(`web-${rand(3)}`, { heartbeatMs: rand(3) - 1 })), () => JSON.stringify({ ...presenceOf('web-1'), facts: rand(2) ? null : 'x' }), () => '['.repeat(rand(5000)), () => JSON.stringify(presenceOf(`r${rand(1000)}`))];
    for (let i = 0; i < 300; i++) await put(rand(4) === 0 ? 'web-1' : `r${rand(1000)}`, (bodies[rand(bodies.length)] as () => string)());
    await put('web-2', presenceOf('web-2'));
    await waitUntil('the last entry counted', () => presence.host('web-2')?.connected === true);
    expect(presence.inventory().map((h) => h.name).sort()).toEqual(['gone-1', 'web-1', 'web-2']);
    expect(presence.ignored.malformed + presence.ignored.impostor + presence.ignored.unknown).toBeGreaterThan(0);
  });
});
