import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import type { ConnectionOptions, Msg, NatsConnection, Status, Subscription } from '@nats-io/transport-node';
import { connect } from '@nats-io/transport-node';
import type { AckMessage, AgentMessage, ApprovalRequestMessage, FleetEvent, HeartbeatMessage, HelloMessage, NatsSubjects, PermitRequestMessage, PresenceMessage, ServerMessage } from '../../protocol/index.js';
import { AgentMessage as AgentMessageSchema, PROTOCOL_VERSION, QueryMessage, ServerMessage as ServerMessageSchema, decode } from '../../protocol/index.js';
import type { AgentConnection } from '../../transport/index.js';
import { Backoff } from '../backoff.js';
import type { AgentLogger } from '../log.js';
import { AnswerRoutes } from './answer-routes.js';
import { EventPublisher } from './event-publisher.js';

/** The presence's heartbeat period until a `welcome` names the control plane's (its default, 5 s). */
export const DEFAULT_HEARTBEAT_MS = 5_000;
/** How long hello, permit and approval requests wait for a replica's reply. */
export const REQUEST_TIMEOUT_MS = 5_000;
/** Close code for a hello the control plane refused (BW_ERR_UNAUTHENTICATED), as HTTP's 401 in the WebSocket range. */
export const CLOSE_UNAUTHENTICATED = 4401;

export interface NatsAgentOptions {
  /** The NATS connection to speak over; several agents may share one (the swarm). */
  readonly nc: NatsConnection;
  readonly subjects: NatsSubjects;
  /** This agent's name: it listens and speaks on its own subjects only. */
  readonly name: string;
  readonly logger: AgentLogger;
  /** Close (drain) `nc` when this connection closes: it was opened for this agent alone. */
  readonly ownsConnection?: boolean;
  readonly maxQueries?: number;
  readonly requestTimeoutMs?: number;
  /** Waits between hello attempts no replica answered (default 0.5 s doubling to 30 s, with jitter). */
  readonly helloBackoff?: Backoff;
  /** This is the agent's first session with its credential (it enrolled at this start): said in its presence until NATS reconnects. */
  readonly firstSession?: boolean;
}

/** What the connection ignored, by why (also logged, at most once a minute per kind). */
export interface NatsAgentIgnored {
  /** Unreadable, or not a message for this subject. */
  malformed: number;
  /** A query or back-test with no reply subject: nowhere to answer. */
  noReply: number;
  /** A reply to hello/permit/approval that is not the expected answer. */
  badReply: number;
}

/** An AgentConnection over NATS, with what it ignored (for tests and status). */
export interface NatsAgentConnection extends AgentConnection {
  readonly ignored: Readonly<NatsAgentIgnored>;
  /** The presence session: new on every (re)connection of NATS. */
  readonly session: string;
}

const WARN_EVERY_MS = 60_000;

/**
 * The agent's end of the scaled mode (issue 11): an AgentConnection over NATS, so AgentDaemon runs
 * over NATS as over WebSocket, following src/protocol/nats-subjects.ts. What the daemon sends
 * becomes presence puts (hello, heartbeat), requests to the replicas' queue group (hello, permit,
 * approval: their replies come back as frames), JetStream publishes (events: the stream's acks
 * come back as one `ack` frame; events not stored come back as `retry`, so they stay in the
 * outbox) and answers on the reply subject of the query or back-test they answer. Queries and
 * control messages on the agent's own subjects are checked and delivered as frames.
 *
 * When NATS reconnects (the client retries forever), the connection starts a new presence session
 * and sends the last hello again; the daemon sees a new `welcome`. onClose fires only when NATS
 * closes for good, when the control plane refuses the hello, or on close().
 *
 * @example
 * const conn = openNatsAgentConnection({ nc, subjects: natsSubjects('bw'), name: 'web-1', logger });
 * const daemon = new AgentDaemon({ ...deps, connect: async () => conn });
 */
export function openNatsAgentConnection(options: NatsAgentOptions): NatsAgentConnection {
  const { nc, subjects, name, logger } = options;
  const timeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const routes = new AnswerRoutes(nc, logger, options.maxQueries);
  const publisher = new EventPublisher(jetstream(nc), subjects, name);
  const helloBackoff = options.helloBackoff ?? new Backoff();
  const eventBackoff = new Backoff(500, 30_000);
  const ignored: NatsAgentIgnored = { malformed: 0, noReply: 0, badReply: 0 };
  const warnedAt = new Map<keyof NatsAgentIgnored, number>();
  let handler: ((frame: string) => void) | undefined;
  const closeHandlers: ((code: number, reason: string) => void)[] = [];
  let closed: { code: number; reason: string } | undefined;
  let session = randomUUID();
  let firstSession = options.firstSession;
  let hello: HelloMessage | undefined;
  let beat: HeartbeatMessage | undefined;
  let heartbeatMs = DEFAULT_HEARTBEAT_MS;
  /** Bumped by every hello: a late reply to an earlier one is not this session's answer. */
  let helloAttempt = 0;
  let helloTimer: NodeJS.Timeout | undefined;
  let eventBytes = 0;

  const ignore = (kind: keyof NatsAgentIgnored, fields: object, message: string) => {
    ignored[kind]++;
    // A flood of garbage must not become a flood of log lines.
    const last = warnedAt.get(kind) ?? -Infinity;
    if (Date.now() - last < WARN_EVERY_MS) return;
    warnedAt.set(kind, Date.now());
    logger.warn({ ...fields, ignored: ignored[kind] }, message);
  };
  const deliver = (frame: string) => {
    if (!closed) handler?.(frame);
  };

  // ---- agent → control plane ----

  const putPresence = () => {
    if (!hello || closed) return;
    const presence: PresenceMessage = {
      type: 'presence',
      v: PROTOCOL_VERSION,
      name,
      session,
      facts: hello.facts,
      tags: hello.tags,
      time: beat?.time ?? Date.now(),
      heartbeatMs,
      active: beat?.active ?? 0,
      rssBytes: beat?.rssBytes ?? 0,
      definitionsVersion: beat?.definitionsVersion ?? null,
      ...(beat?.outbox ? { outbox: beat.outbox } : {}),
      ...(firstSession === undefined ? {} : { firstSession }),
    };
    publish(subjects.presenceSubject(name), JSON.stringify(presence));
  };

  const publish = (subject: string, frame: string): boolean => {
    try {
      nc.publish(subject, frame);
      return true;
    } catch (err) {
      logger.warn({ err: (err as Error).message, subject }, 'could not publish to NATS');
      return false;
    }
  };

  /** Asks one replica; the decoded reply, or undefined when none came (no responders, timeout, closed). */
  const request = async (kind: 'hello' | 'permit' | 'approval', body: string): Promise<ServerMessage | undefined> => {
    let reply: Msg;
    try {
      reply = await nc.request(subjects.agentRequest(name, kind), body, { timeout });
    } catch (err) {
      if (!closed) logger.warn({ kind, err: (err as Error).message }, `no replica answered the ${kind} request`);
      return undefined;
    }
    const decoded = decode(ServerMessageSchema, reply.string());
    if (decoded.ok) return decoded.message;
    ignore('badReply', { kind, error: decoded.error }, `unreadable reply to the ${kind} request ignored`);
    return undefined;
  };

  const sayHello = () => {
    clearTimeout(helloTimer);
    if (!hello || closed) return;
    const attempt = ++helloAttempt;
    putPresence();
    void request('hello', JSON.stringify(hello)).then((reply) => {
      if (attempt !== helloAttempt || closed) return;
      if (reply?.type === 'welcome') {
        helloBackoff.reset();
        if (reply.heartbeatMs !== heartbeatMs) {
          heartbeatMs = reply.heartbeatMs;
          putPresence();
        }
        return deliver(JSON.stringify(reply));
      }
      if (reply?.type === 'error' && reply.code === 'BW_ERR_UNAUTHENTICATED') return finish(CLOSE_UNAUTHENTICATED, reply.message);
      if (reply?.type === 'error') deliver(JSON.stringify(reply));
      else if (reply) ignore('badReply', { kind: 'hello', type: reply.type }, 'reply to hello that is neither welcome nor error ignored');
      // No replica (yet), or one that could not take the hello now: ask again later; the daemon stays `connecting`.
      helloTimer = setTimeout(sayHello, helloBackoff.next());
      helloTimer.unref?.();
    });
  };

  const publishEvents = async (events: readonly FleetEvent[]) => {
    const bytes = events.reduce((n, e) => n + JSON.stringify(e).length, 0);
    eventBytes += bytes;
    const results = await Promise.allSettled(events.map((e) => publisher.publish(e)));
    eventBytes -= bytes;
    const ids: string[] = [];
    const kept: string[] = [];
    results.forEach((r, i) => {
      const id = (events[i] as FleetEvent).id;
      if (r.status === 'fulfilled') ids.push(id);
      else kept.push(id);
    });
    if (kept.length) {
      const first = results.find((r) => r.status === 'rejected');
      logger.warn({ kept: kept.length, err: first?.reason instanceof Error ? first.reason.message : String(first?.reason) }, 'events not stored by JetStream stay in the outbox');
    } else eventBackoff.reset();
    // `retry` makes the engine send the kept events again later; only `ids` leave the outbox.
    const ack: AckMessage = { type: 'ack', ids, ...(kept.length ? { retry: { ids: kept, afterMs: 500 + eventBackoff.next() } } : {}) };
    deliver(JSON.stringify(ack));
  };

  const askPermit = async (msg: PermitRequestMessage) => {
    const reply = await request('permit', JSON.stringify(msg));
    // No answer: nothing is delivered, and the engine's offline policy decides.
    if (reply?.type === 'permit_answer' && reply.id === msg.id) deliver(JSON.stringify(reply));
    else if (reply) ignore('badReply', { kind: 'permit', type: reply.type }, 'reply to a permit request that is not its permit_answer ignored');
  };

  const askApproval = async (msg: ApprovalRequestMessage) => {
    const reply = await request('approval', JSON.stringify(msg));
    if (reply?.type === 'ack' || reply?.type === 'error') deliver(JSON.stringify(reply));
    else if (reply) ignore('badReply', { kind: 'approval', type: reply.type }, 'reply to an approval request that is neither ack nor error ignored');
  };

  const send = (message: AgentMessage): boolean => {
    if (closed) return false;
    switch (message.type) {
      case 'hello':
        hello = message;
        sayHello();
        return true;
      case 'heartbeat':
        beat = message;
        putPresence();
        return true;
      case 'events':
        void publishEvents(message.events);
        return true;
      case 'permit':
        void askPermit(message);
        return true;
      case 'approval':
        void askApproval(message);
        return true;
      case 'rows':
        return routes.rows(message);
      case 'done':
        return routes.done(message);
      case 'backtest_result':
        return routes.backtestResult(message);
    }
  };

  // ---- control plane → agent ----

  const onQuery = (msg: Msg) => {
    if (!msg.reply) return ignore('noReply', { subject: msg.subject }, 'query without a reply subject ignored');
    const frame = msg.string();
    const decoded = decode(QueryMessage, frame);
    if (!decoded.ok) {
      ignore('malformed', { subject: msg.subject, error: decoded.error }, 'unreadable query answered with an error');
      return void publish(msg.reply, JSON.stringify({ type: 'done', query: queryIdOf(frame), error: `agent could not read the query: ${decoded.error}` }));
    }
    if (routes.openQuery(decoded.message.id, msg.reply) === undefined) deliver(frame);
  };

  const onControl = (msg: Msg) => {
    const frame = msg.string();
    const decoded = decode(ServerMessageSchema, frame);
    if (!decoded.ok) return ignore('malformed', { subject: msg.subject, error: decoded.error }, 'unreadable control message ignored');
    const { type } = decoded.message;
    if (type === 'backtest') {
      if (!msg.reply) return ignore('noReply', { subject: msg.subject }, 'back-test without a reply subject ignored');
      if (routes.openBacktest(decoded.message.id, msg.reply) === undefined) deliver(frame);
      return;
    }
    // welcome, ack and permit_answer are replies to this agent's requests, and queries have their own subject.
    if (type !== 'definitions' && type !== 'controls' && type !== 'cancel' && type !== 'alert' && type !== 'error') return ignore('malformed', { subject: msg.subject, type }, 'message of a type the control subject does not carry ignored');
    deliver(frame);
  };

  const subscribe = (subject: string, on: (msg: Msg) => void): Subscription =>
    nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) logger.error({ err: err.message, subject }, 'NATS subscription failed');
        else on(msg);
      },
    });
  const subscriptions = [subscribe(subjects.agentQuery(name), onQuery), subscribe(subjects.agentControl(name), onControl)];

  // ---- life cycle ----

  const finish = (code: number, reason: string) => {
    if (closed) return;
    closed = { code, reason };
    clearTimeout(helloTimer);
    stopStatus();
    routes.clear();
    for (const s of subscriptions) s.unsubscribe();
    if (options.ownsConnection && !nc.isClosed()) void nc.drain().catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'NATS drain failed'));
    for (const h of closeHandlers) h(code, reason);
  };

  // The client's status iterator: a reconnection is a new session (so replicas record the agent's
  // return), announced with the last hello again. It has a stop() (QueuedIterator), which ends the
  // loop when this connection closes on a NATS connection others share.
  const status = nc.status() as AsyncIterable<Status> & { stop?: () => void };
  const stopStatus = () => status.stop?.();
  void (async () => {
    for await (const s of status) {
      if (closed) return;
      if (s.type === 'disconnect') logger.warn({ server: s.server }, 'NATS connection lost; reconnecting');
      if (s.type === 'reconnect') {
        logger.info({ server: s.server }, 'NATS reconnected: saying hello again');
        session = randomUUID();
        if (firstSession) firstSession = false;
        sayHello();
      }
    }
  })();
  void nc.closed().then((err) => finish(1006, err ? `NATS connection closed: ${err.message}` : 'NATS connection closed'));

  return {
    ignored,
    get session() {
      return session;
    },
    send,
    sendFrame(frame) {
      const decoded = decode(AgentMessageSchema, frame);
      if (!decoded.ok) {
        logger.warn({ error: decoded.error }, 'agent frame not sent: not a protocol message');
        return false;
      }
      return send(decoded.message);
    },
    close(code = 1000, reason = 'closed') {
      finish(code, reason);
    },
    onMessage(h) {
      handler = h;
    },
    onClose(h) {
      if (closed) h(closed.code, closed.reason);
      else closeHandlers.push(h);
    },
    get bufferedBytes() {
      return eventBytes;
    },
    remote: `nats ${nc.getServer()}`,
  };
}

export interface ConnectNatsAgentOptions extends Omit<NatsAgentOptions, 'nc' | 'ownsConnection'> {
  /** NATS URL(s), e.g. `nats://10.0.0.5:4222`. */
  readonly servers: string | readonly string[];
  /** Authentication and TLS, as the client takes them (credsAuthenticator, tls: { ca }). */
  readonly connection?: Pick<ConnectionOptions, 'authenticator' | 'tls'>;
}

/**
 * Opens a NATS connection for one agent (inbox prefix agentInboxPrefix(name), so NATS permissions
 * can confine its replies; reconnecting forever) and returns its AgentConnection. Rejects when
 * NATS cannot be reached now: the daemon backs off and calls again.
 *
 * @example
 * const daemon = new AgentDaemon({ ...deps, connect: () => connectNatsAgent({ servers: 'nats://cp:4222', subjects, name, logger }) });
 */
export async function connectNatsAgent(options: ConnectNatsAgentOptions): Promise<NatsAgentConnection> {
  const nc = await connect({
    ...options.connection,
    servers: typeof options.servers === 'string' ? options.servers : [...options.servers],
    name: `breakwater-agent ${options.name}`,
    inboxPrefix: options.subjects.agentInboxPrefix(options.name),
    maxReconnectAttempts: -1,
  });
  return openNatsAgentConnection({ ...options, nc, ownsConnection: true });
}

/** The id a malformed query names, if it names one, so its `done` reaches the right waiter. */
function queryIdOf(frame: string): string {
  try {
    const raw = JSON.parse(frame) as unknown;
    const id = raw !== null && typeof raw === 'object' ? (raw as { id?: unknown }).id : undefined;
    return typeof id === 'string' && id.length > 0 && id.length <= 128 ? id : 'unknown';
  } catch {
    return 'unknown';
  }
}
