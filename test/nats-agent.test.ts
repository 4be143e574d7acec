import type { Server, Socket } from 'node:net';
import { connect as tcpConnect, createServer } from 'node:net';
import type { JetStreamManager } from '@nats-io/jetstream';
import { jetstreamManager } from '@nats-io/jetstream';
import type { KV, KvEntry } from '@nats-io/kv';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { createInbox } from '@nats-io/transport-node';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { AgentDaemon, BuiltinRunner, MemoryOutbox, MemoryTsdb, SyntheticSource, connectNatsAgent } from '../src/agent/index.js';
import { parseDefinitions } from '../src/definitions/index.js';
import { BUILTIN_CATALOGUE, analyze } from '../src/lang/index.js';
import type { AgentMessage, FleetEvent, HelloMessage, NatsSubjects, PresenceMessage } from '../src/protocol/index.js';
import { agentToken } from '../src/protocol/index.js';
import { waitUntil } from './helpers.js';
import { quietLogger } from './nats-agent-answers.js';
import { NATS_URL, deleteStream, describeWithNatsConnections, testSubjects } from './nats-services.js';

/*
 * Issue 11: a real AgentDaemon over its real NATS transport (connectNatsAgent) against real NATS,
 * with a small test replica that answers hello on the replicas' queue group (welcome, then the
 * definitions on the agent's control subject) and watches the presence KV bucket. The agent reaches
 * NATS through a TCP proxy the test can cut, so NATS's own reconnection is what is exercised.
 */

const ALWAYS = parseDefinitions([{ path: 'always.yaml', text: 'kind: alarm\nname: always_up\nquery: host\nfire: uptime_seconds >= 0\n' }], BUILTIN_CATALOGUE);
const HOST_PHASE = analyze('host | cpu_usage >= 0', BUILTIN_CATALOGUE).plan?.phases.find((p) => p.where === 'agent');

/** A TCP proxy to NATS whose connections the test can cut (NATS then reconnects through it). */
async function natsProxy(): Promise<{ url: string; cut(): void; close(): Promise<void> }> {
  const target = new URL(NATS_URL);
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(Number(target.port || 4222), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no port');
  const cut = () => {
    for (const s of sockets) s.destroy();
  };
  return { url: `nats://127.0.0.1:${address.port}`, cut, close: () => (cut(), new Promise((resolve) => server.close(() => resolve()))) };
}

await describeWithNatsConnections('a real agent daemon over NATS', 'test/nats-agent.test.ts', 1, (connections) => {
  let subjects: NatsSubjects;
  let jsm: JetStreamManager;
  let kv: KV;
  let proxy: Awaited<ReturnType<typeof natsProxy>>;
  let daemon: AgentDaemon;
  let outbox: MemoryOutbox;
  let replica: Subscription | undefined;
  let presences: PresenceMessage[];
  let hellos: HelloMessage[];
  let definitions: unknown[];
  const plane = () => connections()[0] as NatsConnection;
  const latest = () => presences.at(-1);

  /** The test replica: welcomes every hello, then sends the agent its definitions, as a replica does. */
  const serve = async () => {
    replica = plane().subscribe(subjects.allAgentRequests, {
      queue: subjects.replicaQueue,
      callback: (_err, msg) => {
        const body = msg.json<AgentMessage>();
        if (body.type !== 'hello') return;
        hellos.push(body);
        msg.respond(JSON.stringify({ type: 'welcome', v: 1, agentId: `a-${body.name}`, heartbeatMs: 200 }));
        plane().publish(subjects.agentControl(body.name), JSON.stringify({ type: 'definitions', version: 7, definitions }));
      },
    });
    await plane().flush();
  };

  const startAgent = async () => {
    const source = new SyntheticSource({ hostname: 'web-1', seed: 'web-1' });
    outbox = new MemoryOutbox();
    daemon = new AgentDaemon({
      name: 'web-1',
      tags: { role: 'web', zone: 'a' },
      source,
      tsdb: new MemoryTsdb(),
      runner: new BuiltinRunner(),
      logger: quietLogger,
      connect: () => connectNatsAgent({ servers: proxy.url, subjects, name: 'web-1', logger: quietLogger }),
      outbox,
      once: () => false,
      collectIntervalMs: 100,
      drainTimeoutMs: 1000,
      limits: { commandTimeoutMs: 5000, maxOutputBytes: 65_536 },
    });
    await daemon.start();
  };

  beforeEach(async () => {
    subjects = testSubjects();
    presences = [];
    hellos = [];
    definitions = [];
    jsm = await jetstreamManager(plane());
    await jsm.streams.add({ name: subjects.eventsStream, subjects: [subjects.allEvents] });
    kv = await new Kvm(plane()).create(subjects.presenceBucket, { history: 1 });
    const watch = await kv.watch({ key: agentToken('web-1') });
    void (async () => {
      for await (const e of watch as AsyncIterable<KvEntry>) if (e.operation === 'PUT') presences.push(e.json<PresenceMessage>());
    })();
    proxy = await natsProxy();
  });
  afterEach(async () => {
    await daemon.stop();
    replica?.unsubscribe();
    replica = undefined;
    await proxy.close();
    await deleteStream(jsm, subjects.eventsStream);
    await kv.destroy();
  });

  it('puts its presence with its tags, and after its definitions arrive the heartbeat presence shows their version', async () => {
    await serve();
    await startAgent();
    await waitUntil('connected', () => daemon.state === 'connected');
    await waitUntil('presence with the definitions version', () => latest()?.definitionsVersion === 7);
    const first = presences[0];
    expect(first).toMatchObject({ type: 'presence', name: 'web-1', tags: { role: 'web', zone: 'a' }, facts: { hostname: 'web-1' }, definitionsVersion: null });
    expect(latest()).toMatchObject({ session: first?.session, heartbeatMs: 200, tags: { role: 'web', zone: 'a' } });
    expect(hellos).toHaveLength(1);
  });

  it('answers a query published to its query subject with rows, then done, on the reply inbox', async () => {
    await serve();
    await startAgent();
    await waitUntil('connected', () => daemon.state === 'connected');
    const inbox = createInbox();
    const heard: AgentMessage[] = [];
    plane().subscribe(inbox, { callback: (_e, m) => void heard.push(m.json<AgentMessage>()) });
    plane().publish(subjects.agentQuery('web-1'), JSON.stringify({ type: 'query', id: 'q-1', principal: 'ops', phase: HOST_PHASE, timeoutMs: 5000 }), { reply: inbox });
    await waitUntil('done', () => heard.some((m) => m.type === 'done'));
    expect(heard.map((m) => m.type), JSON.stringify(heard)).toEqual(['rows', 'done']);
    expect(heard[0]).toMatchObject({ type: 'rows', query: 'q-1', rows: [{ resource: { type: 'host', id: 'web-1' }, status: 'ok' }] });
    expect(heard[1]).toEqual({ type: 'done', query: 'q-1' });
  });

  it('an event the engine records lands in the events stream once and leaves the outbox', async () => {
    definitions = ALWAYS.definitions;
    expect(ALWAYS.diagnostics).toEqual([]);
    await serve();
    await startAgent();
    await waitUntil('the alarm fired and its event left the outbox', () => daemon.engine.firing('always_up', 'web-1') && outbox.size === 0);
    const info = await jsm.streams.info(subjects.eventsStream);
    expect(info.state.messages).toBe(1);
    const stored = await jsm.streams.getMessage(subjects.eventsStream, { seq: info.state.first_seq });
    expect(stored?.json<FleetEvent>()).toMatchObject({ type: 'alarm_fired', host: 'web-1', alarm: 'always_up' });
  });

  it('stays connecting while no replica answers its hello, and connects once one does', async () => {
    await startAgent();
    await waitUntil('its presence put', () => presences.length > 0);
    expect(daemon.state).toBe('connecting');
    await serve();
    await waitUntil('connected', () => daemon.state === 'connected');
    expect(hellos.length).toBeGreaterThanOrEqual(1);
  });

  it('when its NATS connection is cut, NATS reconnects and the agent says hello again in a new presence session', async () => {
    await serve();
    await startAgent();
    await waitUntil('connected', () => daemon.state === 'connected' && presences.length > 0);
    const before = latest()?.session;
    proxy.cut();
    await waitUntil('a second hello', () => hellos.length === 2);
    await waitUntil('presence in a new session', () => latest()?.session !== before);
    expect(daemon.state).toBe('connected');
    // The session goes on: queries still reach the agent.
    const inbox = createInbox();
    const heard: AgentMessage[] = [];
    plane().subscribe(inbox, { callback: (_e, m) => void heard.push(m.json<AgentMessage>()) });
    plane().publish(subjects.agentQuery('web-1'), JSON.stringify({ type: 'query', id: 'q-2', principal: 'ops', phase: HOST_PHASE, timeoutMs: 5000 }), { reply: inbox });
    await waitUntil('done', () => heard.some((m) => m.type === 'done'));
  });
});
