import type { NatsConnection } from '@nats-io/transport-node';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FreshStore } from '../../../test/agent-requests-bed.js';
import { agentRequestsBed, approval, hello, parseReply, permit, RawAgent } from '../../../test/agent-requests-bed.js';
import { describeWithService, PG_URL, probePostgres, waitUntil } from '../../../test/helpers.js';
import { connectNats, describeWithNatsConnections, NATS_URL, probeNats } from '../../../test/nats-services.js';
import { postgresBackEnd } from '../../../test/store/back-ends.js';

/*
 * Hostile agents at the replicas' request service: random subjects under the request wildcard,
 * random kinds, bodies that are requests, nearly requests, other messages, JSON of any shape,
 * bytes that are not UTF-8, nesting too deep to check. Bounded: 400 requests from a fixed seed.
 * Every request with a reply subject gets exactly one answer the protocol reads as a
 * ServerMessage, the others are counted, and the service goes on serving.
 */

const token = fc.stringMatching(/^[A-Za-z0-9_@~é-]{1,24}$/);
const agentToken = fc.oneof(fc.constantFrom('web-1~prod', 'db-1', 'gone-1', 'nobody-1'), token, fc.constant('x'.repeat(400)));
const kind = fc.oneof(fc.constantFrom('hello', 'permit', 'approval'), token);
const resource = fc.constantFrom('web-1.prod', 'web-1.prod/42', 'db-1', 'db-1/7', '', 'web-1.prod/../../etc');
const valid = fc.oneof(
  fc.record({ v: fc.integer({ min: 0, max: 3 }), name: fc.string({ maxLength: 300 }) }).map((p) => hello(p)),
  fc.record({ id: fc.string({ minLength: 1, maxLength: 80 }), bot: fc.constantFrom('cleaner', 'limited'), resource }).map(({ id, ...p }) => permit(id, p)),
  fc.record({ id: fc.string({ minLength: 1, maxLength: 80 }), resource, expiresSeconds: fc.double({ noNaN: true }) }).map(({ id, ...p }) => approval(id, p)),
);
const body = fc.oneof(
  valid.map((m) => JSON.stringify(m)),
  // A request with one field replaced by anything.
  fc.tuple(valid, fc.constantFrom('type', 'id', 'bot', 'resource', 'v', 'facts', 'tags', 'args'), fc.jsonValue()).map(([m, k, v]) => JSON.stringify({ ...m, [k]: v })),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.uint8Array({ maxLength: 2_000 }),
  fc.string({ maxLength: 2_000 }),
  fc.constantFrom(`${'['.repeat(20_000)}${']'.repeat(20_000)}`, JSON.stringify({ ...permit('big'), resource: 'r'.repeat(200_000) }), ''),
);
const reply = fc.integer({ min: 0, max: 9 }).map((n) => n > 0);
const request = fc.oneof(
  fc.record({ agent: agentToken, kind, body, reply }),
  // A request of the kind its subject names, from an enrolled agent: the checks after decoding are reached too.
  fc.record({ agent: fc.constantFrom('web-1~prod', 'db-1'), message: valid, reply }).map(({ message, ...r }) => ({ ...r, kind: message.type, body: JSON.stringify(message) })),
);

/** The fuzz on one back end: the store's answers to hostile names differ (PostgreSQL refuses what SQLite only fails to find). */
function fuzz(connections: () => readonly NatsConnection[], fresh?: FreshStore): void {
  const bed = agentRequestsBed(fresh);

  it('every request with a reply subject gets one valid ServerMessage answer, whatever it is, and the service keeps serving', async () => {
    const server = connections()[0] as NatsConnection;
    const replica = await bed.replica(server);
    const agent = new RawAgent(connections()[1] as NatsConnection, bed.subjects);
    const requests = fc.sample(request, { seed: 11, numRuns: 400 });
    const tokens: string[] = [];
    for (const r of requests) {
      const subject = `${bed.subjects.prefix}.cp.${r.agent}.${r.kind}`;
      if (r.reply) tokens.push(agent.publish(subject, r.body));
      else (connections()[1] as NatsConnection).publish(subject, r.body);
    }
    const dropped = requests.filter((r) => !r.reply).length;

    await waitUntil('every request answered or dropped', () => tokens.every((t) => agent.replies.has(t)) && replica.counts.dropped === dropped && replica.handling === 0);
    await agent.settled(server);

    for (const t of tokens) {
      const replies = agent.replies.get(t) ?? [];
      expect(replies.length, `request ${t}`).toBe(1);
      expect(() => parseReply(replies[0] ?? ''), `request ${t}: ${replies[0]?.slice(0, 200)}`).not.toThrow();
    }
    const { answered, refused, malformed, busy, failed } = replica.counts;
    expect(answered + refused + malformed + busy + failed).toBe(tokens.length);
    expect(failed).toBe(0);
    // Each kind of outcome was reached: the fuzz is not only bouncing off the first check.
    expect([answered > 0, refused > 0, malformed > 0]).toEqual([true, true, true]);
    expect(await agent.ask('web-1.prod', 'hello', hello())).toMatchObject({ type: 'welcome' });
  });
}

await describeWithNatsConnections('AgentRequests fuzz on SQLite', 'src/server/nats/agent-requests-fuzz.test.ts', 2, (connections) => fuzz(connections));

const needed = { service: 'PostgreSQL and NATS with JetStream', url: `${PG_URL} and ${NATS_URL}`, unreachable: (await probePostgres()) ?? (await probeNats()) };
describeWithService(needed, 'AgentRequests fuzz on PostgreSQL', 'src/server/nats/agent-requests-fuzz.test.ts', () => {
  const { harness } = postgresBackEnd();
  let open: NatsConnection[] = [];
  beforeAll(async () => {
    open = await Promise.all([connectNats('fuzz-pg-0'), connectNats('fuzz-pg-1')]);
  });
  afterAll(async () => {
    await Promise.all(open.map((nc) => nc.close()));
  });
  // The schema goes with the describe block's database (dropped in afterAll).
  fuzz(() => open, async () => ({ store: (await harness().fresh()).open(), dispose: () => Promise.resolve() }));
});
