/**
 * The NATS subjects of the scaled mode, in one place, so the agents and every control-plane
 * replica (and the NATS account permissions that confine each agent) name them the same way.
 *
 * The contract, message by message (the bodies are the protocol's messages, messages.ts):
 *
 * | what                     | subject                           | who publishes → who hears            | reply                         |
 * |--------------------------|-----------------------------------|--------------------------------------|-------------------------------|
 * | query phase              | agentQuery(agent)                 | the asking replica → the agent       | `rows`… then `done` to reply  |
 * | definitions, cancel, alert, error | agentControl(agent)      | a replica → the agent                | none                          |
 * | backtest                 | agentControl(agent)               | the asking replica → the agent       | `backtest_result` to reply    |
 * | events                   | agentEvents(agent) (JetStream)    | the agent → the events stream        | JetStream's publish ack       |
 * | presence (hello facts, tags, heartbeat) | presenceSubject(agent) (KV) | the agent → every replica (KV watch) | none                |
 * | hello (session start)    | agentRequest(agent, 'hello')      | the agent → one replica (queue group)| `welcome` or `error`          |
 * | permit                   | agentRequest(agent, 'permit')     | the agent → one replica              | `permit_answer`               |
 * | approval                 | agentRequest(agent, 'approval')   | the agent → one replica              | `ack` (ids: [msg.id]) or `error` |
 * | stored events, for SSE   | replicaEvents                     | a replica → every other replica      | none                          |
 * | definitions applied      | replicaDefinitions                | the applying replica → every replica | none                          |
 *
 * After a `welcome`, the replica that answered sends the agent its definitions on agentControl.
 * An agent's inbox prefix is agentInboxPrefix(agent), so its NATS permissions can allow it to
 * subscribe to its own inboxes and nobody else's.
 *
 * Every subject starts with a prefix (default `bw`): one NATS account or server can hold several
 * fleets, and parallel tests each take their own prefix. An agent's name becomes one subject token:
 * names are letters, digits, `_`, `-`, `@` and `.`; `.` separates tokens in NATS, so it is written
 * `~` (which no name holds, so the mapping is one-to-one).
 *
 * @example
 * natsSubjects('bw').agentQuery('web-1.prod') // 'bw.agent.web-1~prod.query'
 */
export interface NatsSubjects {
  readonly prefix: string;
  /** Query phases for one agent (request/reply: rows stream back to the request's inbox). */
  agentQuery(agent: string): string;
  /** Control messages for one agent (definitions, cancel, back-test, alert). */
  agentControl(agent: string): string;
  /** One agent's events, captured by the events stream. */
  agentEvents(agent: string): string;
  /** Every agent's events: the events stream's subject filter. */
  readonly allEvents: string;
  /** The JetStream stream that holds the fleet's events until a replica has stored them. */
  readonly eventsStream: string;
  /** The KV bucket of presence: one key per agent (its token), the newest PresenceMessage. */
  readonly presenceBucket: string;
  /** Where an agent puts its presence: the KV bucket's subject for its key (a plain publish stores it). */
  presenceSubject(agent: string): string;
  /** A request from one agent to whichever replica takes it (queue group `replicaQueue`). */
  agentRequest(agent: string, kind: AgentRequestKind): string;
  /** Every agent's requests: what the replicas subscribe to, in queue group `replicaQueue`. */
  readonly allAgentRequests: string;
  /** The queue group of the replicas: each agent request reaches one of them. */
  readonly replicaQueue: string;
  /** Events a replica stored, for the live event streams (SSE) of every other replica. */
  readonly replicaEvents: string;
  /** A replica applied definitions: every replica reloads them from the store. */
  readonly replicaDefinitions: string;
  /** The inbox prefix an agent's connection uses (its replies and JetStream acks arrive under it). */
  agentInboxPrefix(agent: string): string;
}

/** What an agent asks of the replicas (the last token of agentRequest's subject). */
export const AGENT_REQUEST_KINDS = ['hello', 'permit', 'approval'] as const;
export type AgentRequestKind = (typeof AGENT_REQUEST_KINDS)[number];

/** Prefixes are one or more tokens of letters, digits, `_` and `-`. */
export const NATS_PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** The agent's name as one subject token (`.` → `~`). */
export function agentToken(agent: string): string {
  return agent.replaceAll('.', '~');
}

/** The agent's name from its subject token (`~` → `.`). */
export function agentFromToken(token: string): string {
  return token.replaceAll('~', '.');
}

/** The subjects under one prefix. Throws on a prefix NATS_PREFIX refuses. */
export function natsSubjects(prefix = 'bw'): NatsSubjects {
  if (!NATS_PREFIX.test(prefix)) throw new Error(`invalid NATS subject prefix ${JSON.stringify(prefix)}: expected tokens of letters, digits, _ and -, separated by dots`);
  return {
    prefix,
    agentQuery: (agent) => `${prefix}.agent.${agentToken(agent)}.query`,
    agentControl: (agent) => `${prefix}.agent.${agentToken(agent)}.control`,
    agentEvents: (agent) => `${prefix}.events.${agentToken(agent)}`,
    allEvents: `${prefix}.events.*`,
    eventsStream: `${streamName(prefix)}_EVENTS`,
    presenceBucket: `${streamName(prefix)}_PRESENCE`,
    presenceSubject: (agent) => `$KV.${streamName(prefix)}_PRESENCE.${agentToken(agent)}`,
    agentRequest: (agent, kind) => `${prefix}.cp.${agentToken(agent)}.${kind}`,
    allAgentRequests: `${prefix}.cp.*.*`,
    replicaQueue: `${prefix}.replicas`,
    replicaEvents: `${prefix}.replicas.events`,
    replicaDefinitions: `${prefix}.replicas.definitions`,
    agentInboxPrefix: (agent) => `_INBOX_${streamName(prefix)}_${agentToken(agent)}`,
  };
}

/** A JetStream stream or KV bucket name from a prefix: letters, digits, `_` and `-` only. */
function streamName(prefix: string): string {
  return prefix.replaceAll('.', '_').toUpperCase();
}
