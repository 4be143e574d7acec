import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { createInbox } from '@nats-io/transport-node';
import { afterEach, beforeEach, expect, it } from 'vitest';

import { waitUntil } from '../../../test/helpers.js';
import { quietLogger } from '../../../test/nats-agent-answers.js';
import { deleteStream, describeWithNatsConnections, testSubjects } from '../../../test/nats-services.js';
import type { FleetEvent, NatsSubjects, ServerMessage } from '../../protocol/index.js';
import { PROTOCOL_VERSION } from '../../protocol/index.js';
import { Backoff } from '../backoff.js';
import type { NatsAgentConnection } from './nats-connection.js';
import { CLOSE_UNAUTHENTICATED, openNatsAgentConnection } from './nats-connection.js';

/*
 * The agent's NATS connection on a real NATS server, driven as the daemon drives it (send, and
 * frames back through onMessage); the test plays the replicas on a second connection: it answers
 * (or not) the agent's requests on the queue group, and sends control messages, good and hostile.
 */

const facts = { hostname: 'web-1', machineId: 'm-1', os: 'linux', distro: 'debian 12', arch: 'x64', kernel: '6.1.0', ip: '10.0.0.1', agentVersion: '0.1.0' };
const hello = { type: 'hello', v: PROTOCOL_VERSION, name: 'web-1', facts, tags: { role: 'web' } } as const;
const event = (id: string): FleetEvent => ({ id, time: 1, type: 'alarm_fired', host: 'web-1', resource: 'web-1', alarm: 'cpu', bot: null, action: null, severity: 'warning', runId: null, principal: null, message: 'cpu high', value: 99, details: {} });

await describeWithNatsConnections('agent NATS connection: requests, control and events', 'src/agent/nats/nats-connection.test.ts', 2, (connections) => {
  let subjects: NatsSubjects;
  let conn: NatsAgentConnection;
  let frames: ServerMessage[];
  let replica: Subscription | undefined;
  const agentNc = () => connections()[0] as NatsConnection;
  const plane = () => connections()[1] as NatsConnection;
  const settle = async () => {
    await plane().flush();
    await agentNc().flush();
  };
  /** A replica on the queue group answering each request with `answer(kind, body)` (undefined: no reply). */
  const serve = async (answer: (kind: string, body: Record<string, unknown>) => object | undefined) => {
    replica = plane().subscribe(subjects.allAgentRequests, {
      queue: subjects.replicaQueue,
      callback: (_err, msg) => {
        const reply = answer(msg.subject.split('.').at(-1) ?? '', msg.json());
        if (reply) msg.respond(JSON.stringify(reply));
      },
    });
    await plane().flush();
  };

  beforeEach(async () => {
    subjects = testSubjects();
    frames = [];
    conn = openNatsAgentConnection({ nc: agentNc(), subjects, name: 'web-1', logger: quietLogger, requestTimeoutMs: 300, helloBackoff: new Backoff(20, 50) });
    conn.onMessage((frame) => frames.push(JSON.parse(frame) as ServerMessage));
    await agentNc().flush();
  });
  afterEach(() => {
    conn.close();
    replica?.unsubscribe();
    replica = undefined;
  });

  it('asks hello again until a replica answers, then delivers its welcome', async () => {
    conn.send(hello);
    // No replica yet: "no responders", retried with backoff; nothing reaches the daemon.
    await new Promise((r) => setTimeout(r, 150));
    expect(frames).toEqual([]);
    const hellos: Record<string, unknown>[] = [];
    await serve((kind, body) => (hellos.push(body), kind === 'hello' ? { type: 'welcome', v: 1, agentId: 'a-1', heartbeatMs: 1000 } : undefined));
    await waitUntil('the welcome delivered', () => frames.length === 1);
    expect(frames).toEqual([{ type: 'welcome', v: 1, agentId: 'a-1', heartbeatMs: 1000 }]);
    expect(hellos[0]).toEqual(hello);
  });

  it('closes with the reason when the control plane refuses the hello as unauthenticated', async () => {
    await serve(() => ({ type: 'error', code: 'BW_ERR_UNAUTHENTICATED', message: 'web-1 is not enrolled' }));
    const closed = new Promise<[number, string]>((resolve) => conn.onClose((code, reason) => resolve([code, reason])));
    conn.send(hello);
    expect(await closed).toEqual([CLOSE_UNAUTHENTICATED, 'web-1 is not enrolled']);
    expect(conn.send({ type: 'heartbeat', time: 1, active: 0, rssBytes: 1 })).toBe(false);
  });

  it('delivers the permit answer for its own id only; an approval`s ack; nothing when no replica answers', async () => {
    await serve((kind, body) => {
      if (kind === 'permit' && body.bot === 'wrong') return { type: 'permit_answer', id: 'someone-else', allowed: true, reason: 'ok' };
      if (kind === 'permit') return { type: 'permit_answer', id: body.id, allowed: false, reason: 'breaker open' };
      if (kind === 'approval') return { type: 'ack', ids: [body.id] };
      return undefined;
    });
    conn.send({ type: 'permit', id: 'p-1', bot: 'restart', resource: 'web-1' });
    conn.send({ type: 'permit', id: 'p-2', bot: 'wrong', resource: 'web-1' });
    conn.send({ type: 'approval', id: 'ap-1', bot: 'restart', action: 'restart_service', resource: 'web-1', args: {}, expiresSeconds: 60, context: {} });
    await waitUntil('answers delivered', () => frames.length === 2 && conn.ignored.badReply === 1);
    expect(frames).toEqual(expect.arrayContaining([{ type: 'permit_answer', id: 'p-1', allowed: false, reason: 'breaker open' }, { type: 'ack', ids: ['ap-1'] }]));
    replica?.unsubscribe();
    conn.send({ type: 'permit', id: 'p-3', bot: 'restart', resource: 'web-1' });
    await new Promise((r) => setTimeout(r, 400));
    expect(frames).toHaveLength(2);
  });

  it('delivers definitions, cancel, alert and error from the control subject; routes a back-test`s result to its reply', async () => {
    const control = (m: object, reply?: string) => plane().publish(subjects.agentControl('web-1'), JSON.stringify(m), reply ? { reply } : {});
    control({ type: 'definitions', version: 4, definitions: [] });
    control({ type: 'alert', name: 'pager', context: { a: 1 } });
    control({ type: 'welcome', v: 1, agentId: 'forged', heartbeatMs: 1 });
    control({ type: 'backtest', id: 'b-1', alarm: {}, seconds: 60 });
    const inbox = createInbox();
    const results: unknown[] = [];
    plane().subscribe(inbox, { callback: (_e, m) => void results.push(m.json()) });
    control({ type: 'backtest', id: 'b-2', alarm: {}, seconds: 60 }, inbox);
    await settle();
    expect(frames.map((f) => f.type)).toEqual(['definitions', 'alert', 'backtest']);
    expect(conn.ignored).toEqual({ malformed: 1, noReply: 1, badReply: 0 });
    expect(conn.send({ type: 'backtest_result', id: 'b-2', transitions: [] })).toBe(true);
    expect(conn.send({ type: 'backtest_result', id: 'b-2', transitions: [] })).toBe(false);
    await settle();
    expect(results).toEqual([{ type: 'backtest_result', id: 'b-2', transitions: [] }]);
  });

  it('acks the events JetStream stored; events it did not store come back as retry, so they stay in the outbox', async () => {
    conn.send({ type: 'events', events: [event('e-1')] });
    // No stream captures the subject yet.
    await waitUntil('the retry delivered', () => frames.length === 1);
    expect(frames[0]).toMatchObject({ type: 'ack', ids: [], retry: { ids: ['e-1'] } });
    const jsm = await jetstreamManager(plane());
    await jsm.streams.add({ name: subjects.eventsStream, subjects: [subjects.allEvents] });
    try {
      conn.send({ type: 'events', events: [event('e-1'), event('e-2')] });
      await waitUntil('the ack delivered', () => frames.length === 2);
      expect(frames[1]).toEqual({ type: 'ack', ids: ['e-1', 'e-2'] });
      expect((await jsm.streams.info(subjects.eventsStream)).state.messages).toBe(2);
    } finally {
      await deleteStream(jsm, subjects.eventsStream);
    }
  });

  it('fuzz: garbage on its subjects is answered or ignored and counted, never a crash; it still answers after', async () => {
    const N = 300;
    const junk = (i: number): Uint8Array | string => {
      switch (i % 6) {
        case 0:
          return randomBytes(i % 200);
        case 1:
          return JSON.stringify({ type: 'query', id: 'x'.repeat(i), phase: null, timeoutMs: -i });
        case 2:
          return '['.repeat(5000 + i);
        case 3:
          return JSON.stringify({ type: 'ack', ids: [String(i)] });
        case 4:
          return `{"type":"definitions","version":${i},"definitions":"no"}`;
        default:
          return 'x'.repeat(600_000 + i);
      }
    };
    const inbox = createInbox();
    let answers = 0;
    plane().subscribe(inbox, { callback: () => void answers++ });
    for (let i = 0; i < N; i++) {
      plane().publish(subjects.agentQuery('web-1'), junk(i), { reply: inbox });
      plane().publish(subjects.agentControl('web-1'), junk(i), i % 2 ? { reply: inbox } : {});
    }
    await settle();
    await waitUntil('every query answered', () => answers === N);
    expect(frames).toEqual([]);
    expect(conn.ignored).toEqual({ malformed: 2 * N, noReply: 0, badReply: 0 });
    plane().publish(subjects.agentControl('web-1'), JSON.stringify({ type: 'cancel', query: 'q' }));
    await settle();
    expect(frames).toEqual([{ type: 'cancel', query: 'q' }]);
  });
});
