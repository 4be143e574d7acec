import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { ApprovalRequestMessage, HelloMessage, NatsSubjects, PermitRequestMessage, ServerMessage } from '../../protocol/index.js';
import { PROTOCOL_VERSION } from '../../protocol/index.js';
import { AgentIntake } from '../agent-intake.js';
import { AgentQuotas } from '../agent-quota.js';
import type { AgentHooks } from '../fleet/index.js';
import type { AgentRecord, Store } from '../store/index.js';
import { isStoreError } from '../store/index.js';
import { WarnLimiter } from '../warn-limiter.js';
import { errorReply, readAgentRequest } from './agent-request-message.js';
import { KnownAgents } from './known-agents.js';

export interface AgentRequestsOptions {
  readonly nc: NatsConnection;
  readonly subjects: NatsSubjects;
  /** Where agents and approvals are looked up. */
  readonly store: Pick<Store, 'getAgentByName' | 'getApproval'>;
  /** Who is enrolled and not revoked (default: a cache of its own on `store`; pass one to share it with the events consumer). */
  readonly known?: KnownAgents;
  /** The circuit breaker and approvals (the gateway's hooks: `onPermit`, `onApproval`). */
  readonly hooks: Pick<AgentHooks, 'onPermit' | 'onApproval'>;
  readonly logger: Logger;
  /** The heartbeat period a `welcome` tells the agent (the server's `heartbeatMs`). */
  readonly heartbeatMs: number;
  /** The inventory's size, connected or not: the circuit breaker's share of one host depends on it. */
  readonly fleetSize: () => number;
  /** Called after a `welcome` was sent (the fleet sends the agent its definitions). A throw is logged. */
  readonly onHello: (agent: AgentRecord, hello: HelloMessage) => void | Promise<void>;
  /** Per-agent quotas (default AGENT_QUOTA_DEFAULTS); per replica, as each replica keeps its own buckets. */
  readonly quotas?: AgentQuotas;
  /** Requests handled at once by this replica (default 256); beyond it the agent hears BW_ERR_BUSY. */
  readonly maxInFlight?: number;
}

/** What this replica did with the requests it took, since it started. */
export interface AgentRequestCounts {
  /** Answered by the hooks: welcomes, permit answers, approvals acked. */
  answered: number;
  /** Refused before the hooks: unknown or revoked agent, another host's resource, over quota, wrong protocol version. */
  refused: number;
  /** Not a request (subject, UTF-8, JSON, schema): answered with an error. */
  malformed: number;
  /** Beyond maxInFlight: answered BW_ERR_BUSY. */
  busy: number;
  /** No reply subject, so nowhere to answer: dropped. */
  dropped: number;
  /** The store or a hook failed: an error, or no answer for a permit (the agent's `offline` policy decides). */
  failed: number;
}

/**
 * The replicas' service for what agents ask over NATS (issue 11): `hello`, `permit` and `approval`
 * requests on `subjects.allAgentRequests`, in the queue group `subjects.replicaQueue`, so each
 * request reaches one replica. The agent is the one its subject names (NATS permissions confine an
 * agent to its own subjects), looked up in the store: unknown or revoked agents are told to enroll
 * again. The checks are the WebSocket gateway's (`AgentIntake.screenRequest`). Every request with a
 * reply subject gets one answer, except a permit whose hook failed (as over WebSocket, the agent's
 * `offline` policy then decides). Bounded: at most `maxInFlight` requests at once.
 *
 * @example
 * const requests = new AgentRequests({ nc, subjects, store, hooks, logger, heartbeatMs: 10_000,
 *   fleetSize: () => fleet.inventory().length, onHello: (agent, hello) => fleet.welcomed(agent, hello) });
 * await requests.start();
 * // … at shutdown
 * await requests.stop();
 */
export class AgentRequests {
  readonly counts: AgentRequestCounts = { answered: 0, refused: 0, malformed: 0, busy: 0, dropped: 0, failed: 0 };
  private subscription: Subscription | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly intake: AgentIntake;
  private readonly warnings: WarnLimiter;
  private readonly known: KnownAgents;

  constructor(private readonly options: AgentRequestsOptions) {
    this.known = options.known ?? new KnownAgents({ store: options.store });
    this.intake = new AgentIntake(options.logger, options.quotas ?? new AgentQuotas());
    this.warnings = new WarnLimiter(options.logger);
  }

  /** Subscribes in the replicas' queue group; resolves once the NATS server has the subscription. */
  async start(): Promise<void> {
    if (this.subscription) throw new Error('agent requests already started');
    const { nc, subjects } = this.options;
    this.subscription = nc.subscribe(subjects.allAgentRequests, { queue: subjects.replicaQueue, callback: (err, msg) => (err ? this.subscriptionFailed(err) : this.take(msg)) });
    // Until the server has it, agents' requests find no responder.
    await nc.flush();
  }

  /** Stops taking requests (others go to the other replicas) and waits for those being handled. */
  async stop(): Promise<void> {
    const sub = this.subscription;
    if (sub && !sub.isClosed() && !this.options.nc.isClosed()) await sub.drain().catch(() => undefined);
    await Promise.all(this.inFlight);
  }

  /** Requests being handled now (for tests: it returns to 0). */
  get handling(): number {
    return this.inFlight.size;
  }

  private take(msg: Msg): void {
    if (!msg.reply) {
      this.counts.dropped++;
      this.warnings.once('(no reply)', { subject: msg.subject.slice(0, 300) }, 'agent request without a reply subject dropped: nowhere to answer');
      return;
    }
    if (this.inFlight.size >= (this.options.maxInFlight ?? 256)) {
      this.counts.busy++;
      this.warnings.once('(busy)', { inFlight: this.inFlight.size }, 'agent requests beyond the in-flight limit answered BW_ERR_BUSY');
      this.respond(msg, errorReply('BW_ERR_BUSY', `this control plane is handling ${this.inFlight.size} agent requests, as many as it allows; ask again shortly`));
      return;
    }
    const work = this.handle(msg).catch((err: unknown) => {
      // A bug here must not leave the agent waiting, nor end the subscription.
      this.counts.failed++;
      this.options.logger.error({ err, subject: msg.subject.slice(0, 300) }, 'agent request failed');
      this.respond(msg, errorReply('BW_ERR_INTERNAL', 'the control plane failed to handle this request; ask again'));
    });
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async handle(msg: Msg): Promise<void> {
    const request = readAgentRequest(this.options.subjects, msg.subject, msg.data);
    if (!('kind' in request)) {
      this.counts.malformed++;
      this.warnings.once(`${request.agent?.slice(0, 256) ?? '(no agent)'} request`, { agent: request.agent?.slice(0, 256), reason: request.reason }, 'malformed agent request answered with an error');
      this.respond(msg, errorReply('BW_ERR_PROTOCOL', request.reason));
      return;
    }
    let agent: AgentRecord;
    try {
      const found = await this.known.lookup(request.agent);
      if (!found.ok) {
        this.counts.refused++;
        this.warnings.once(`${request.agent.slice(0, 256)} unauthenticated`, { agent: request.agent.slice(0, 256), reason: found.reason }, 'request from an agent that is not enrolled, or revoked, refused');
        this.respond(msg, errorReply('BW_ERR_UNAUTHENTICATED', found.reason));
        return;
      }
      agent = found.agent;
    } catch (err) {
      this.failed('store', { err, agent: request.agent.slice(0, 256) }, 'could not look up an agent in the store');
      this.respond(msg, errorReply('BW_ERR_UNAVAILABLE', 'the control plane could not reach its store; ask again'));
      return;
    }
    if (request.kind !== 'hello') {
      this.respond(msg, await this.answer(agent, request.message));
      return;
    }
    const welcome = this.hello(agent, request.message);
    this.respond(msg, welcome);
    // After the welcome: the definitions onHello sends must not overtake it.
    if (welcome.type === 'welcome') this.welcomed(agent, request.message);
  }

  /** The reply to a valid permit or approval from a valid agent; undefined for none (a permit whose hook failed). */
  private async answer(agent: AgentRecord, msg: PermitRequestMessage | ApprovalRequestMessage): Promise<ServerMessage | undefined> {
    const refused = this.intake.screenRequest(agent.name, msg);
    if (refused) {
      this.counts.refused++;
      return msg.type === 'permit' ? { type: 'permit_answer', id: msg.id, allowed: false, reason: refused.message } : errorReply(refused.code, refused.message);
    }
    if (msg.type === 'permit') {
      try {
        const { allowed, reason } = await this.options.hooks.onPermit(agent.name, msg, this.options.fleetSize());
        this.counts.answered++;
        return { type: 'permit_answer', id: msg.id, allowed, reason };
      } catch (err) {
        // Unanswered: the agent's `offline` policy decides, as when the control plane is away.
        this.failed('permit', { err, agent: agent.name, bot: msg.bot }, 'could not answer a permit request');
        return undefined;
      }
    }
    try {
      await this.options.hooks.onApproval(agent.name, msg);
      this.counts.answered++;
      return { type: 'ack', ids: [msg.id] };
    } catch (err) {
      // Asked again after an answer that was lost: it is recorded already (its id is taken), so it is acked.
      if (await this.recorded(agent, msg.id)) {
        this.counts.answered++;
        return { type: 'ack', ids: [msg.id] };
      }
      // Asking again would not help: the store refuses what it holds.
      if (isStoreError(err, 'STORE_INVALID')) {
        this.counts.refused++;
        return errorReply('BW_ERR_INVALID_REQUEST', `approval ${msg.id} refused: ${err.message}`);
      }
      this.failed('approval', { err, agent: agent.name, bot: msg.bot }, 'could not record an approval request');
      return errorReply('BW_ERR_UNAVAILABLE', `approval ${msg.id} could not be recorded; ask again`);
    }
  }

  private async recorded(agent: AgentRecord, id: string): Promise<boolean> {
    const approval = await this.options.store.getApproval(id).catch(() => undefined);
    return approval?.host === agent.name;
  }

  private hello(agent: AgentRecord, hello: HelloMessage): ServerMessage {
    if (hello.v !== PROTOCOL_VERSION) {
      this.counts.refused++;
      return errorReply('BW_ERR_PROTOCOL', `protocol version ${hello.v} is not supported; this control plane speaks ${PROTOCOL_VERSION}`);
    }
    this.counts.answered++;
    return { type: 'welcome', v: PROTOCOL_VERSION, agentId: agent.id, heartbeatMs: this.options.heartbeatMs };
  }

  private welcomed(agent: AgentRecord, hello: HelloMessage): void {
    try {
      void Promise.resolve(this.options.onHello(agent, hello)).catch((err: unknown) => this.failed('hello', { err, agent: agent.name }, 'could not welcome an agent'));
    } catch (err) {
      this.failed('hello', { err, agent: agent.name }, 'could not welcome an agent');
    }
  }

  private respond(msg: Msg, reply: ServerMessage | undefined): void {
    if (!reply) return;
    try {
      msg.respond(JSON.stringify(reply));
    } catch (err) {
      // The connection closed or is draining: the agent's request times out and it asks again.
      this.warnings.once('(respond)', { err }, 'could not answer an agent request');
    }
  }

  private failed(what: string, fields: Record<string, unknown>, message: string): void {
    this.counts.failed++;
    // Once a minute per kind: a store outage is one line, not one per agent request.
    this.warnings.once(`(failed) ${what}`, fields, message);
  }

  private subscriptionFailed(err: Error): void {
    this.warnings.once('(subscription)', { err }, 'agent requests subscription failed');
  }
}
