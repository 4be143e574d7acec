import type { NatsConnection } from '@nats-io/transport-node';
import { expect, it } from 'vitest';
import { agentRequestsBed, approval, hello, permit, RawAgent } from '../../../test/agent-requests-bed.js';
import { waitUntil } from '../../../test/helpers.js';
import { describeWithNatsConnections } from '../../../test/nats-services.js';
import { PROTOCOL_VERSION } from '../../protocol/index.js';

/*
 * AgentRequests against a real NATS server and a real SQLite store: replicas on their own
 * connections, agents publishing raw bytes on their request subjects (test/agent-requests-bed.ts).
 */

await describeWithNatsConnections('AgentRequests: agents ask the replicas over NATS', 'src/server/nats/agent-requests.test.ts', 3, (connections) => {
  const bed = agentRequestsBed();
  const server = () => connections()[0] as NatsConnection;
  const agentConn = () => connections()[2] as NatsConnection;
  const agent = () => new RawAgent(agentConn(), bed.subjects);

  it('a hello is welcomed with the agent id and heartbeat, then handed on; the definitions it sends come after the welcome', async () => {
    const replica = await bed.replica(server());
    const a = agent();
    const heard: string[] = [];
    agentConn().subscribe(bed.subjects.agentControl('web-1.prod'), { callback: (_e, m) => void heard.push(m.json<{ type: string }>().type) });
    await agentConn().flush();

    const token = a.publish(bed.subjects.agentRequest('web-1.prod', 'hello'), JSON.stringify(hello()));
    expect(await a.answer(token)).toEqual({ type: 'welcome', v: PROTOCOL_VERSION, agentId: 'id-web-1.prod', heartbeatMs: 7_000 });
    await waitUntil('the definitions stand-in', () => heard.length === 1);

    expect(bed.welcomed).toEqual([{ agent: 'web-1.prod', hello: hello() }]);
    expect(replica.counts).toMatchObject({ answered: 1, refused: 0, malformed: 0 });
  });

  it('a hello of another protocol version is refused, saying which one this control plane speaks, and not handed on', async () => {
    await bed.replica(server());
    expect(await agent().ask('web-1.prod', 'hello', hello({ v: PROTOCOL_VERSION + 1 }))).toEqual({
      type: 'error', code: 'BW_ERR_PROTOCOL', message: `protocol version ${PROTOCOL_VERSION + 1} is not supported; this control plane speaks ${PROTOCOL_VERSION}`,
    });
    expect(bed.welcomed).toEqual([]);
  });

  it('an unknown or revoked agent is told to enroll again, whatever it asks', async () => {
    const replica = await bed.replica(server());
    const a = agent();
    const answers = [
      await a.ask('nobody-1', 'hello', hello({ name: 'nobody-1' })),
      await a.ask('nobody-1', 'permit', permit('p-1', { resource: 'nobody-1' })),
      await a.ask('gone-1', 'approval', approval('ap-1', { resource: 'gone-1' })),
      await a.ask('x'.repeat(300), 'permit', permit('p-2')),
    ];
    expect(answers.map((r) => (r.type === 'error' ? r.code : r.type))).toEqual(Array(4).fill('BW_ERR_UNAUTHENTICATED'));
    expect(answers[0]).toMatchObject({ message: 'unknown agent "nobody-1": enroll again with a join token' });
    expect(answers[2]).toMatchObject({ message: 'the credential of agent `gone-1` was revoked at 2026-01-02T00:00:00.000Z: enroll again with a join token' });
    expect([bed.welcomed, bed.permits, await bed.store.listApprovals({})]).toEqual([[], [], []]);
    expect(replica.counts.refused).toBe(4);
  });

  it('a permit is asked of the circuit breaker with the fleet size, and its answer returned', async () => {
    await bed.replica(server());
    const a = agent();
    expect(await a.ask('web-1.prod', 'permit', permit('p-1'))).toEqual({ type: 'permit_answer', id: 'p-1', allowed: true, reason: 'run 1 of 4 in the window' });
    expect(await a.ask('web-1.prod', 'permit', permit('p-2', { bot: 'limited', resource: 'web-1.prod/4242' }))).toEqual({ type: 'permit_answer', id: 'p-2', allowed: false, reason: 'host share used' });
    expect(bed.permits).toEqual([{ agent: 'web-1.prod', bot: 'cleaner', fleetSize: 4 }, { agent: 'web-1.prod', bot: 'limited', fleetSize: 4 }]);
  });

  it('a permit for another host\'s resource, or beyond the permits quota, is refused before the breaker hears it', async () => {
    await bed.replica(server(), { quotas: { permitsPerMinute: 2 } });
    const a = agent();
    expect(await a.ask('web-1.prod', 'permit', permit('x-1', { resource: 'db-1' }))).toEqual({ type: 'permit_answer', id: 'x-1', allowed: false, reason: 'resource db-1 is not on host web-1.prod' });
    const answers = [];
    for (const id of ['q-1', 'q-2', 'q-3']) answers.push(await a.ask('web-1.prod', 'permit', permit(id)));
    expect(answers.map((r) => r.type === 'permit_answer' && r.allowed)).toEqual([true, true, false]);
    expect(answers[2]).toMatchObject({ reason: expect.stringMatching(/^permit quota exceeded: 1 permits over the quota of 2 a minute; try again in \d+ ms$/) });
    expect(bed.permits.map((p) => p.bot)).toEqual(['cleaner', 'cleaner']);
  });

  it('a permit the breaker fails to answer gets no answer (the agent\'s offline policy decides), and the replica goes on', async () => {
    const replica = await bed.replica(server());
    const a = agent();
    const token = a.publish(bed.subjects.agentRequest('web-1.prod', 'permit'), JSON.stringify(permit('p-1', { bot: 'broken' })));
    await waitUntil('the broken permit handled', () => replica.counts.failed === 1 && replica.handling === 0);
    await a.settled(server());
    expect(a.replies.has(token)).toBe(false);
    expect(await a.ask('web-1.prod', 'permit', permit('p-2'))).toMatchObject({ type: 'permit_answer', allowed: true });
  });

  it('an approval is recorded and acked; asked again after a lost answer it is acked again and recorded once', async () => {
    await bed.replica(server());
    const a = agent();
    expect(await a.ask('web-1.prod', 'approval', approval('ap-1'))).toEqual({ type: 'ack', ids: ['ap-1'] });
    expect(await a.ask('web-1.prod', 'approval', approval('ap-1'))).toEqual({ type: 'ack', ids: ['ap-1'] });
    const stored = await bed.store.listApprovals({});
    expect(stored.map((s) => [s.id, s.host, s.status, s.statement])).toEqual([['ap-1', 'web-1.prod', 'pending', 'host | name = "web-1.prod" | restart_service(unit = "nginx")']]);
    expect((await bed.store.listEvents({ type: 'approval_requested' })).length).toBe(1);
  });

  it('an approval of another host\'s resource is forbidden, one the store cannot hold refused, one the store fails says to ask again, one over the events quota refused', async () => {
    await bed.replica(server(), { quotas: { eventsPerMinute: 2 } });
    const a = agent();
    expect(await a.ask('web-1.prod', 'approval', approval('ap-1', { resource: 'db-1/77' }))).toEqual({ type: 'error', code: 'BW_ERR_FORBIDDEN', message: 'approval ap-1 refused: resource db-1/77 is not on host web-1.prod' });
    expect(await a.ask('web-1.prod', 'approval', approval('ap-2', { bot: 'unlucky' }))).toEqual({ type: 'error', code: 'BW_ERR_UNAVAILABLE', message: 'approval ap-2 could not be recorded; ask again' });
    expect(await a.ask('web-1.prod', 'approval', approval('ap-\u0000'))).toEqual({ type: 'error', code: 'BW_ERR_INVALID_REQUEST', message: expect.stringContaining('contains U+0000 (NUL)') });
    expect(await a.ask('web-1.prod', 'approval', approval('ap-3'))).toMatchObject({ type: 'error', code: 'BW_ERR_QUOTA', message: expect.stringMatching(/^1 events over the quota of 2 a minute/) });
    expect(await bed.store.listApprovals({})).toEqual([]);
  });

  it('what is not a request is answered with an error saying why; one with nowhere to answer is counted and dropped', async () => {
    const replica = await bed.replica(server());
    const a = agent();
    const cases: [string, string, string | Uint8Array, RegExp][] = [
      ['web-1.prod', 'hello', JSON.stringify(permit('p-1')), /^the body of a hello request is not a hello message: type: /],
      ['web-1.prod', 'permit', '{"type": "permit", "id": ', /^the body of a permit request is not a permit message: frame is not JSON/],
      ['web-1.prod', 'approval', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), /^the body of a approval request is not UTF-8$/],
      ['web-1.prod', 'shell', JSON.stringify({ type: 'shell', command: 'id' }), /^"shell" is not a request agents make: expected one of hello, permit, approval$/],
      ['web-1.prod', 'permit', JSON.stringify({ ...permit('p-2'), resource: 'r'.repeat(10_000) }), /^the body of a permit request is not a permit message: resource: /],
    ];
    for (const [name, kind, body, why] of cases) {
      const reply = await a.ask(name, kind, body);
      expect(reply, kind).toMatchObject({ type: 'error', code: 'BW_ERR_PROTOCOL', message: expect.stringMatching(why) });
    }
    server().publish(bed.subjects.agentRequest('web-1.prod', 'permit'), JSON.stringify(permit('p-3')));
    await waitUntil('the request without a reply subject dropped', () => replica.counts.dropped === 1);

    expect(replica.counts).toMatchObject({ malformed: 5, dropped: 1, answered: 0 });
    expect(bed.permits).toEqual([]);
    expect(await a.ask('web-1.prod', 'permit', permit('p-4'))).toMatchObject({ type: 'permit_answer', id: 'p-4', allowed: true });
  });

  it('beyond its requests in flight a replica answers BW_ERR_BUSY at once, and answers the others when they are done', async () => {
    let release = (): void => undefined;
    const held = new Promise<void>((r) => (release = r));
    const replica = await bed.replica(server(), { maxInFlight: 2, onPermit: async () => held.then(() => ({ allowed: true, reason: 'late but fine' })) });
    const a = agent();
    const tokens = ['p-1', 'p-2'].map((id) => a.publish(bed.subjects.agentRequest('web-1.prod', 'permit'), JSON.stringify(permit(id))));
    await waitUntil('two permits in flight', () => replica.handling === 2);

    expect(await a.ask('web-1.prod', 'permit', permit('p-3'))).toMatchObject({ type: 'error', code: 'BW_ERR_BUSY', message: expect.stringContaining('ask again shortly') });
    release();
    expect(await Promise.all(tokens.map((t) => a.answer(t)))).toEqual(['p-1', 'p-2'].map((id) => ({ type: 'permit_answer', id, allowed: true, reason: 'late but fine' })));
    await waitUntil('nothing in flight', () => replica.handling === 0);
    expect(replica.counts).toMatchObject({ busy: 1, answered: 2 });
  });

  it('two replicas in the queue group: each request is answered once, by one of them', async () => {
    const replicas = [await bed.replica(server()), await bed.replica(connections()[1] as NatsConnection)];
    const a = agent();
    await Promise.all([server().flush(), (connections()[1] as NatsConnection).flush()]);
    const tokens = Array.from({ length: 40 }, (_, i) => a.publish(bed.subjects.agentRequest(i % 2 ? 'db-1' : 'web-1.prod', 'permit'), JSON.stringify(permit(`p-${i}`, { resource: i % 2 ? 'db-1' : 'web-1.prod' }))));
    await Promise.all(tokens.map((t) => a.answer(t)));
    await a.settled(server());

    expect(tokens.map((t) => a.replies.get(t)?.length)).toEqual(Array(40).fill(1));
    expect(replicas[0]!.counts.answered + replicas[1]!.counts.answered).toBe(40);
  });

  it('a stopped replica finishes what it is handling and takes no more', async () => {
    let release = (): void => undefined;
    const held = new Promise<void>((r) => (release = r));
    const replica = await bed.replica(server(), { onPermit: async () => held.then(() => ({ allowed: true, reason: 'ok' })) });
    const a = agent();
    const first = a.publish(bed.subjects.agentRequest('web-1.prod', 'permit'), JSON.stringify(permit('p-1')));
    await waitUntil('the permit in flight', () => replica.handling === 1);
    const stopped = replica.stop();
    release();
    await stopped;

    expect(await a.answer(first)).toMatchObject({ type: 'permit_answer', id: 'p-1' });
    const late = a.publish(bed.subjects.agentRequest('web-1.prod', 'permit'), JSON.stringify(permit('p-2')));
    // Nobody in the queue group now: NATS answers "no responders" with a status message, no body.
    await waitUntil('the no-responders status', () => a.replies.has(late));
    expect(a.replies.get(late)).toEqual(['']);
    expect(replica.counts.answered).toBe(1);
  });
});
