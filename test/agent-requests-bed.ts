import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { createInbox } from '@nats-io/transport-node';
import pino from 'pino';
import { afterEach, beforeEach } from 'vitest';
import type { AgentRequestKind, ApprovalRequestMessage, HelloMessage, NatsSubjects, PermitRequestMessage, ServerMessage } from '../src/protocol/index.js';
import { PROTOCOL_VERSION, ServerMessage as ServerMessageSchema } from '../src/protocol/index.js';
import type { AgentQuotaLimits } from '../src/server/agent-quota.js';
import { AgentQuotas } from '../src/server/agent-quota.js';
import type { AgentRequestsOptions } from '../src/server/nats/index.js';
import { AgentRequests } from '../src/server/nats/index.js';
import { Approvals, EventIntake } from '../src/server/remediation/index.js';
import type { AgentRecord, Store } from '../src/server/store/index.js';
import { openSqliteStore } from '../src/server/store/index.js';
import { waitUntil } from './helpers.js';
import { testSubjects } from './nats-services.js';

/*
 * The set-up of the agent-requests tests (issue 11): a SQLite store of the test's own holding the
 * enrolled agents, the real Approvals behind onApproval, a scripted circuit breaker behind
 * onPermit (its bot names say what it does), replicas on their own NATS connections, and "agents"
 * that publish raw bytes to their request subjects and collect every reply on an inbox.
 */

export const facts = { hostname: 'web-1', machineId: 'm-1', os: 'linux', distro: 'debian 12', arch: 'x86_64', kernel: '6.1.0', ip: '10.0.0.9', agentVersion: '0.1.0' };
export const hello = (patch: Partial<HelloMessage> = {}): HelloMessage => ({ type: 'hello', v: PROTOCOL_VERSION, name: 'web-1.prod', facts, tags: { env: 'prod' }, ...patch });
export const permit = (id: string, patch: Partial<PermitRequestMessage> = {}): PermitRequestMessage => ({ type: 'permit', id, bot: 'cleaner', resource: 'web-1.prod', ...patch });
export const approval = (id: string, patch: Partial<ApprovalRequestMessage> = {}): ApprovalRequestMessage => ({
  type: 'approval', id, bot: 'restarter', action: 'restart_service', resource: 'web-1.prod', args: { unit: 'nginx' }, expiresSeconds: 600, context: {}, ...patch,
});

export const agentRecord = (name: string, patch: Partial<AgentRecord> = {}): AgentRecord => ({
  id: `id-${name}`, name, hostId: `host-${name}`, credentialHash: `hash-${name}`, tags: {}, facts: {}, status: 'disconnected', enrolledAt: 1_000,
  lastSeenAt: null, enrolledWith: 'join', enrolledWithId: null, revokedAt: null, definitionsVersion: null, ...patch,
});

/** One agent's side: requests published with a reply subject under its own inbox, every reply kept. */
export class RawAgent {
  private readonly inbox = createInbox();
  private readonly sub: Subscription;
  private next = 0;
  /** Replies by request token, in arrival order. */
  readonly replies = new Map<string, string[]>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: NatsSubjects,
  ) {
    this.sub = nc.subscribe(`${this.inbox}.*`, { callback: (_err, msg: Msg) => this.hear(msg) });
  }

  /** Publishes raw bytes to `subject` with a reply subject; returns its token. */
  publish(subject: string, body: string | Uint8Array): string {
    const token = String(this.next++);
    this.nc.publish(subject, body, { reply: `${this.inbox}.${token}` });
    return token;
  }

  /** A request as agent `name` of `kind`, answered: the parsed reply (the first; see `replies` for the count). */
  async ask(name: string, kind: AgentRequestKind | string, body: object | string | Uint8Array): Promise<ServerMessage> {
    const token = this.publish(`${this.subjects.prefix}.cp.${name.replaceAll('.', '~')}.${kind}`, typeof body === 'object' && !(body instanceof Uint8Array) ? JSON.stringify(body) : body);
    return this.answer(token);
  }

  /** The first reply to request `token`, once it came, checked against the protocol. */
  async answer(token: string): Promise<ServerMessage> {
    await waitUntil(`a reply to request ${token}`, () => this.replies.has(token));
    return parseReply(this.replies.get(token)?.[0] ?? '');
  }

  /** Every reply in flight reached this agent (a round trip on each connection). */
  async settled(server: NatsConnection): Promise<void> {
    await server.flush();
    await this.nc.flush();
  }

  stop(): void {
    this.sub.unsubscribe();
  }

  private hear(msg: Msg): void {
    const token = msg.subject.slice(this.inbox.length + 1);
    this.replies.set(token, [...(this.replies.get(token) ?? []), msg.string()]);
  }
}

/** A reply as the protocol reads it; throws, saying why, when it is not a ServerMessage. */
export function parseReply(text: string): ServerMessage {
  const parsed = ServerMessageSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`not a ServerMessage: ${text.slice(0, 300)}`);
  return parsed.data;
}

export interface ReplicaOptions {
  readonly quotas?: Partial<AgentQuotaLimits>;
  readonly maxInFlight?: number;
  readonly onPermit?: AgentRequestsOptions['hooks']['onPermit'];
}

/** A fresh empty store for one test, and how to dispose of it after. */
export type FreshStore = () => Promise<{ store: Store; dispose: () => Promise<void> }>;

/** A SQLite store in a temporary folder of its own. */
export const freshSqliteStore: FreshStore = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bw-agent-requests-'));
  return { store: openSqliteStore(join(dir, 'breakwater.db')), dispose: () => rm(dir, { recursive: true, force: true }) };
};

/** Registers beforeEach/afterEach; `replica(nc)` starts a replica on a connection. */
export function agentRequestsBed(fresh: FreshStore = freshSqliteStore) {
  let dispose: () => Promise<void>;
  const started: AgentRequests[] = [];
  const stops: (() => void)[] = [];
  const bed = {
    subjects: undefined as unknown as NatsSubjects,
    store: undefined as unknown as Store,
    /** Every hello a replica handed on, and every permit its breaker heard. */
    welcomed: [] as { agent: string; hello: HelloMessage }[],
    permits: [] as { agent: string; bot: string; fleetSize: number }[],

    async replica(nc: NatsConnection, options: ReplicaOptions = {}): Promise<AgentRequests> {
      const approvals = new Approvals({ store: bed.store, intake: new EventIntake(bed.store, { notify: () => undefined }), logger: pino({ level: 'silent' }) });
      stops.push(() => approvals.stop());
      const requests = new AgentRequests({
        nc, subjects: bed.subjects, store: bed.store, logger: pino({ level: 'silent' }), heartbeatMs: 7_000, fleetSize: () => 4,
        quotas: new AgentQuotas({ eventsPerMinute: 600, rowsPerMinute: 1_000, permitsPerMinute: 60, ...options.quotas }),
        maxInFlight: options.maxInFlight ?? 256,
        hooks: {
          onPermit: options.onPermit ?? (async (agent, msg, fleetSize) => {
            bed.permits.push({ agent, bot: msg.bot, fleetSize });
            if (msg.bot === 'broken') throw new Error('the breaker could not read the store');
            return msg.bot === 'limited' ? { allowed: false, reason: 'host share used' } : { allowed: true, reason: 'run 1 of 4 in the window' };
          }),
          onApproval: async (agent, msg) => {
            if (msg.bot === 'unlucky') throw new Error('the store is down');
            await approvals.request(agent, msg);
          },
        },
        onHello: (agent, h) => {
          bed.welcomed.push({ agent: agent.name, hello: h });
          // What the fleet does after a welcome: the definitions, on the agent's control subject.
          nc.publish(bed.subjects.agentControl(agent.name), JSON.stringify({ type: 'cancel', query: 'definitions-stand-in' }));
        },
      });
      await requests.start();
      started.push(requests);
      return requests;
    },
  };

  beforeEach(async () => {
    bed.subjects = testSubjects();
    ({ store: bed.store, dispose } = await fresh());
    await bed.store.migrate();
    await bed.store.upsertAgent(agentRecord('web-1.prod'));
    await bed.store.upsertAgent(agentRecord('db-1'));
    await bed.store.upsertAgent(agentRecord('gone-1', { revokedAt: Date.UTC(2026, 0, 2) }));
    bed.welcomed = [];
    bed.permits = [];
  });
  afterEach(async () => {
    for (const r of started.splice(0)) await r.stop();
    for (const stop of stops.splice(0)) stop();
    await bed.store.close();
    await dispose();
  });
  return bed;
}
