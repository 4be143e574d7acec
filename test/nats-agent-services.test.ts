import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import pino from 'pino';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { EventPublisher } from '../src/agent/nats/event-publisher.js';
import type { HelloMessage, NatsSubjects } from '../src/protocol/index.js';
import type { AgentServices } from '../src/server/nats/index.js';
import { startAgentServices } from '../src/server/nats/index.js';
import { Approvals, EventIntake } from '../src/server/remediation/index.js';
import type { Store } from '../src/server/store/index.js';
import { openSqliteStore } from '../src/server/store/index.js';
import { agentRecord, approval, hello, RawAgent } from './agent-requests-bed.js';
import { waitUntil } from './helpers.js';
import { fired } from './nats-events-bed.js';
import { deleteStream, describeWithNatsConnections, testSubjects } from './nats-services.js';

/*
 * A replica's services for agents over NATS, as the scaled mode's server starts them
 * (startAgentServices): the events stream ensured and consumed, requests answered, both behind the
 * real EventIntake and Approvals on a SQLite store, one agent cache between them.
 */

await describeWithNatsConnections('startAgentServices: a replica serving agents over NATS', 'test/nats-agent-services.test.ts', 2, (connections) => {
  let dir: string;
  let store: Store;
  let subjects: NatsSubjects;
  let services: AgentServices | undefined;
  let approvals: Approvals;
  const server = () => connections()[0] as NatsConnection;
  const agentConn = () => connections()[1] as NatsConnection;

  beforeEach(async () => {
    subjects = testSubjects();
    dir = await mkdtemp(join(tmpdir(), 'bw-agent-services-'));
    store = openSqliteStore(join(dir, 'breakwater.db'));
    await store.migrate();
    await store.upsertAgent(agentRecord('web-1.prod'));
    const intake = new EventIntake(store, { notify: () => undefined });
    approvals = new Approvals({ store, intake, logger: pino({ level: 'silent' }) });
  });
  afterEach(async () => {
    await services?.stop();
    approvals.stop();
    await deleteStream(await jetstreamManager(server()), subjects.eventsStream);
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('ensures the events stream, stores an enrolled agent\'s events and refuses a stranger\'s, answers its requests, and stops serving on stop', async () => {
    const intake = new EventIntake(store, { notify: () => undefined });
    const welcomed: HelloMessage[] = [];
    services = await startAgentServices({
      nc: server(), subjects, store, logger: pino({ level: 'silent' }), heartbeatMs: 5_000, fleetSize: () => 1,
      hooks: { onEvents: async (_agent, events) => void (await intake.storeEvents(events)), onPermit: async () => ({ allowed: true, reason: 'fine' }), onApproval: (agent, msg) => approvals.request(agent, msg) },
      onHello: (_agent, h) => void welcomed.push(h),
      events: { ackWaitMs: 5_000 },
    });
    const agent = new RawAgent(agentConn(), subjects);

    expect(await agent.ask('web-1.prod', 'hello', hello())).toMatchObject({ type: 'welcome', agentId: 'id-web-1.prod', heartbeatMs: 5_000 });
    expect(await agent.ask('web-1.prod', 'approval', approval('ap-1'))).toEqual({ type: 'ack', ids: ['ap-1'] });
    await new EventPublisher(jetstream(agentConn()), subjects, 'web-1.prod').publish(fired('e-1', 'web-1.prod'));
    await new EventPublisher(jetstream(agentConn()), subjects, 'stranger-1').publish(fired('s-1', 'stranger-1'));
    await waitUntil('both events handled', () => services?.events.counts.stored === 1 && services.events.counts.unknown === 1);

    expect(welcomed).toHaveLength(1);
    expect((await store.listEvents({})).map((e) => (e.type === 'alarm_fired' ? e.id : e.type)).sort()).toEqual(['approval_requested', 'e-1']);
    expect((await store.listApprovals({})).map((a) => a.id)).toEqual(['ap-1']);
    await services.stop();
    services = undefined;
    const late = agent.publish(subjects.agentRequest('web-1.prod', 'hello'), JSON.stringify(hello()));
    await waitUntil('the no-responders status', () => agent.replies.has(late));
    expect(agent.replies.get(late)).toEqual(['']);
  });
});
