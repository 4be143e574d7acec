/**
 * Agent identity on NATS against a real nats-server of this file's own (operator mode, the
 * accounts `natsAccountSetup` makes): each agent's JWT lets it do exactly its part of the contract
 * of nats-subjects.ts, and nothing of another agent's.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import { AckPolicy, JetStreamApiError, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { connect, createInbox, credsAuthenticator, errors } from '@nats-io/transport-node';
import { createAccount } from '@nats-io/nkeys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsCredsFile, natsSubjects } from '../../protocol/index.js';
import type { NatsServerProcess } from '../../../test/nats-server-process.js';
import { startNatsServer } from '../../../test/nats-server-process.js';
import { AgentNatsIssuer, SigningKeyFile, natsAccountSetup, responseAllowance } from './index.js';
import { newUserKey, setupFile } from './nats-auth.test-support.js';

const subjects = natsSubjects('bw');
const A = 'web-1.prod';
const B = 'web-2.prod';
const te = new TextEncoder();
type PermissionViolation = InstanceType<typeof errors.PermissionViolationError>;

describe('agent identity on NATS (a nats-server of its own, operator mode)', () => {
  let nats: NatsServerProcess;
  let issuer: AgentNatsIssuer;
  let replicaCreds: string;
  const open: NatsConnection[] = [];
  let replica: NatsConnection;
  let jsm: JetStreamManager;

  /** An agent's connection with the creds its enrollment would write, its inbox prefix its own. */
  async function agent(name: string, clock = { now: () => Date.now() }, key0?: SigningKeyFile): Promise<NatsConnection> {
    const key = newUserKey();
    const jwt = await new AgentNatsIssuer(key0 ?? signingKey, { allowance: responseAllowance(65_000, 600_000), clock }).issue(name, key.publicKey);
    const nc = await connect({ servers: nats.url, authenticator: credsAuthenticator(te.encode(natsCredsFile(jwt, key.seed))), inboxPrefix: subjects.agentInboxPrefix(name), reconnect: false, name });
    open.push(nc);
    return nc;
  }
  let signingKey: SigningKeyFile;

  async function replicaConnection(): Promise<NatsConnection> {
    const nc = await connect({ servers: nats.url, authenticator: credsAuthenticator(te.encode(replicaCreds)), reconnect: false });
    open.push(nc);
    return nc;
  }

  beforeAll(async () => {
    const files = await natsAccountSetup('bw');
    signingKey = SigningKeyFile.parse(JSON.parse(setupFile(files, 'account-signing-key.json')));
    issuer = new AgentNatsIssuer(signingKey, { allowance: responseAllowance(65_000, 600_000), clock: { now: () => Date.now() } });
    replicaCreds = setupFile(files, 'replica.creds');
    nats = await startNatsServer('include nats-accounts.conf', { 'nats-accounts.conf': setupFile(files, 'nats-accounts.conf') });
    replica = await replicaConnection();
    jsm = await jetstreamManager(replica);
    await jsm.streams.add({ name: subjects.eventsStream, subjects: [subjects.allEvents] });
    await new Kvm(replica).create(subjects.presenceBucket);
  });
  afterAll(async () => {
    await Promise.all(open.map((nc) => nc.close()));
    await nats?.stop();
  });

  /**
   * An agent's stored presence, read from the bucket's stream by subject: the KV client's `get`
   * refuses keys with `~` (agentToken's `.`), which the server stores and watches deliver.
   */
  async function presence(agentName: string) {
    try {
      return await jsm.streams.getMessage(`KV_${subjects.presenceBucket}`, { last_by_subj: subjects.presenceSubject(agentName) });
    } catch (err) {
      if (err instanceof JetStreamApiError && /no message found/i.test(err.message)) return null;
      throw err;
    }
  }

  /** The next permission violation the server reports to `nc` about `subject`. */
  async function violation(nc: NatsConnection, subject: string): Promise<PermissionViolation> {
    for await (const s of nc.status()) {
      if (s.type === 'error' && s.error instanceof errors.PermissionViolationError && s.error.subject === subject) return s.error;
    }
    throw new Error('connection closed without a permission violation');
  }

  it('A publishes its own events into the events stream and gets the ack on its own inbox', async () => {
    const a = await agent(A);
    const ack = await jetstream(a).publish(subjects.agentEvents(A), te.encode('{"id":"e-1"}'), { msgID: 'e-1' });
    expect(ack.stream).toBe(subjects.eventsStream);
    const stored = await jsm.streams.getMessage(subjects.eventsStream, { seq: ack.seq });
    expect([stored?.subject, stored?.header.get('Nats-Msg-Id')]).toEqual(['bw.events.web-1~prod', 'e-1']);
  });

  it('A puts its presence into the KV bucket with a plain publish', async () => {
    const a = await agent(A);
    await a.request(subjects.presenceSubject(A), te.encode('{"host":"web-1.prod"}'));
    expect((await presence(A))?.string()).toBe('{"host":"web-1.prod"}');
  });

  it('A sends each kind of request to the replicas\' queue group and gets the answer on its own inbox', async () => {
    const a = await agent(A);
    const served = replica.subscribe(subjects.allAgentRequests, { queue: subjects.replicaQueue, callback: (_err, msg) => void msg.respond(te.encode(`answer to ${msg.subject}`)) });
    // The server must have the subscription before A asks, or A gets "no responders".
    await replica.flush();
    try {
      for (const kind of ['hello', 'permit', 'approval'] as const) {
        expect((await a.request(subjects.agentRequest(A, kind), te.encode('{}'))).string()).toBe(`answer to bw.cp.web-1~prod.${kind}`);
      }
    } finally {
      served.unsubscribe();
    }
  });

  it('A hears its own query and control subjects and streams many replies to one reply subject', async () => {
    const a = await agent(A);
    const rowsOut = 600;
    a.subscribe(`bw.agent.${'web-1~prod'}.>`, { callback: (_err, msg) => { for (let i = 0; i <= rowsOut; i++) msg.respond(te.encode(i === rowsOut ? 'done' : `rows ${i}`)); } });
    await a.flush();
    const inbox = createInbox();
    const answers = replica.subscribe(`${inbox}.*`);
    for (const subject of [subjects.agentQuery(A), subjects.agentControl(A)]) replica.publish(subject, te.encode('{}'), { reply: `${inbox}.${subject.endsWith('query') ? 'q' : 'c'}` });
    const got: string[] = [];
    for await (const m of answers) {
      got.push(m.string());
      if (got.filter((g) => g === 'done').length === 2) break;
    }
    expect(got.length).toBe(2 * (rowsOut + 1));
  });

  it('A cannot subscribe to B\'s query subject, to the whole prefix, to _INBOX.> or to B\'s inbox prefix', async () => {
    const a = await agent(A);
    for (const subject of [subjects.agentQuery(B), 'bw.>', '_INBOX.>', `${subjects.agentInboxPrefix(B)}.>`, subjects.allAgentRequests, subjects.allEvents]) {
      const sub: Subscription = a.subscribe(subject);
      const closedWith = await sub.closed;
      expect(closedWith, subject).toBeInstanceOf(errors.PermissionViolationError);
      expect([(closedWith as PermissionViolation).operation, (closedWith as PermissionViolation).subject]).toEqual(['subscription', subject]);
    }
  });

  it('A cannot publish B\'s events, presence or requests: the server refuses each, and nothing reaches B\'s listeners', async () => {
    const a = await agent(A);
    const watcher = replica.subscribe('bw.>');
    const presenceWatcher = replica.subscribe(`$KV.${subjects.presenceBucket}.>`);
    await replica.flush();
    const eventsBefore = (await jsm.streams.info(subjects.eventsStream)).state.messages;
    for (const subject of [subjects.agentEvents(B), subjects.presenceSubject(B), subjects.agentRequest(B, 'hello'), subjects.agentQuery(B), subjects.replicaDefinitions]) {
      const refused = violation(a, subject);
      a.publish(subject, te.encode('forged'));
      expect((await refused).operation).toBe('publish');
    }
    // Server order: a marker published after every refusal arrives first only if no forgery got through.
    replica.publish('bw.marker', te.encode('marker'));
    replica.publish(`$KV.${subjects.presenceBucket}.marker`, te.encode('marker'));
    const first = async (sub: Subscription) => {
      for await (const m of sub) return m.subject;
      return undefined;
    };
    expect(await first(watcher)).toBe('bw.marker');
    expect(await first(presenceWatcher)).toBe(`$KV.${subjects.presenceBucket}.marker`);
    expect((await jsm.streams.info(subjects.eventsStream)).state.messages).toBe(eventsBefore);
    expect(await presence(B)).toBeNull();
  });

  it('A cannot call the JetStream API (it could read or delete the stream of every agent\'s events)', async () => {
    const a = await agent(A);
    const subject = `$JS.API.STREAM.INFO.${subjects.eventsStream}`;
    const refused = violation(a, subject);
    a.publish(subject, te.encode(''));
    expect((await refused).operation).toBe('publish');
  });

  it('B, with its own credentials, can do what A was refused on B\'s subjects', async () => {
    const b = await agent(B);
    const ack = await jetstream(b).publish(subjects.agentEvents(B), te.encode('{"id":"e-b"}'), { msgID: 'e-b' });
    expect(ack.stream).toBe(subjects.eventsStream);
    const sub = b.subscribe(`${subjects.agentInboxPrefix(B)}.>`);
    await b.flush();
    expect(sub.isClosed()).toBe(false);
  });

  it('refuses an agent whose JWT has expired', async () => {
    const issuedLongAgo = { now: () => Date.now() - 31 * 24 * 3600_000 };
    await expect(agent(A, issuedLongAgo)).rejects.toBeInstanceOf(errors.AuthorizationError);
  });

  it('refuses a JWT signed by a key the account does not list (a forged credential)', async () => {
    const forger = { ...signingKey, seed: new TextDecoder().decode(createAccount().getSeed()) };
    await expect(agent(A, { now: () => Date.now() }, forger)).rejects.toBeInstanceOf(errors.AuthorizationError);
  });

  it('the replica\'s creds can do the whole contract: streams, a pull consumer with acks, KV watch, queue group, broadcasts', async () => {
    const other = await replicaConnection();
    const a = await agent(A);
    await jetstream(a).publish(subjects.agentEvents(A), te.encode('{"id":"e-2"}'), { msgID: 'e-2' });
    await jsm.consumers.add(subjects.eventsStream, { durable_name: 'replicas', ack_policy: AckPolicy.Explicit });
    const consumer = await jetstream(replica).consumers.get(subjects.eventsStream, 'replicas');
    const msg = await consumer.next();
    expect(msg?.subject).toMatch(/^bw\.events\./);
    expect(await msg?.ackAck()).toBe(true);

    const kv = await new Kvm(replica).open(subjects.presenceBucket);
    const watch = await kv.watch();
    await a.publish(subjects.presenceSubject(A), te.encode('{"beat":2}'));
    for await (const e of watch) {
      if (e.key === 'web-1~prod' && e.string() === '{"beat":2}') break;
    }
    watch.stop();

    const broadcasts = other.subscribe(subjects.replicaDefinitions, { max: 1 });
    await other.flush();
    replica.publish(subjects.replicaDefinitions, te.encode('v2'));
    for await (const m of broadcasts) expect(m.string()).toBe('v2');
    expect(issuer.prefix).toBe('bw');
  });
});
