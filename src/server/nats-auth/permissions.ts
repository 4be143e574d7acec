import type { NatsSubjects } from '../../protocol/index.js';
import { AGENT_REQUEST_KINDS, agentToken } from '../../protocol/index.js';

/** A NATS user's publish and subscribe allow-lists and its response allowance, as a user JWT carries them. */
export interface NatsPermissions {
  readonly pub: { readonly allow: readonly string[] };
  readonly sub: { readonly allow: readonly string[] };
  /** allow_responses: publish to the reply subject of a message received, `max` times within `ttlMs`. */
  readonly resp: { readonly max: number; readonly ttlMs: number };
}

/** How long an agent may answer one request, and with how many messages. */
export interface ResponseAllowance {
  readonly max: number;
  readonly ttlMs: number;
}

/**
 * What an agent needs to answer the longest query: a query phase's rows stream back to one reply
 * subject in many messages (at least one row each, so never more messages than rows), until the
 * query's timeout. The agent's rows quota per minute bounds the rows over that time; one more for
 * the `done`. A minute of slack on the time: the reply permission must not lapse before the
 * control plane's own timer turns silence into timeout rows.
 *
 * @example
 * responseAllowance(65_000, 600_000) // { max: 1_200_001, ttlMs: 125_000 }
 */
export function responseAllowance(queryTimeoutMs: number, rowsPerMinute: number): ResponseAllowance {
  const ttlMs = queryTimeoutMs + 60_000;
  return { max: rowsPerMinute * Math.ceil(ttlMs / 60_000) + 1, ttlMs };
}

/**
 * An agent's permissions, exactly the contract of nats-subjects.ts for its own name: it publishes
 * its presence, its requests to the replicas and its events; it hears its own query and control
 * subjects and its own inboxes (replies and JetStream acks); it answers what it is asked. Nothing
 * else: no other agent's subjects, no `_INBOX.>`, no JetStream API.
 *
 * @example
 * agentPermissions(natsSubjects('bw'), 'web-1', responseAllowance(65_000, 600_000)).sub.allow
 * // ['bw.agent.web-1.>', '_INBOX_BW_web-1.>']
 */
export function agentPermissions(subjects: NatsSubjects, agent: string, allowance: ResponseAllowance): NatsPermissions {
  // Each request kind by name rather than `*`: a kind the replicas do not serve is refused by NATS.
  const requests = AGENT_REQUEST_KINDS.map((kind) => subjects.agentRequest(agent, kind));
  return {
    pub: { allow: [subjects.presenceSubject(agent), ...requests, subjects.agentEvents(agent)] },
    // agentQuery and agentControl: everything under the agent's own `<prefix>.agent.<token>`.
    sub: { allow: [`${subjects.prefix}.agent.${agentToken(agent)}.>`, `${subjects.agentInboxPrefix(agent)}.>`] },
    resp: { max: allowance.max, ttlMs: allowance.ttlMs },
  };
}

/**
 * A control-plane replica's permissions: every subject under the prefix, its own inboxes, the
 * JetStream API (streams, consumers, KV), the presence bucket, and the JetStream ack and flow
 * control subjects its consumers answer on; it answers agents' requests (their replies go to the
 * agents' own inbox prefixes, which no allow-list can name as a whole: hence the responses).
 *
 * @example
 * replicaPermissions(natsSubjects('bw')).pub.allow.includes('bw.>') // true
 */
export function replicaPermissions(subjects: NatsSubjects): NatsPermissions {
  const bucket = `$KV.${subjects.presenceBucket}.>`;
  return {
    pub: { allow: [`${subjects.prefix}.>`, '_INBOX.>', '$JS.API.>', bucket, '$JS.ACK.>', '$JS.FC.>'] },
    sub: { allow: [`${subjects.prefix}.>`, '_INBOX.>', bucket] },
    resp: { max: 1, ttlMs: 60_000 },
  };
}
