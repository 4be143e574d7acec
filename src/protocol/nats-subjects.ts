/**
 * The NATS subjects of the scaled mode, in one place, so the agents and every control-plane
 * replica (and the NATS account permissions that confine each agent) name them the same way.
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
}

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
    eventsStream: `${prefix.replaceAll('.', '_').toUpperCase()}_EVENTS`,
  };
}
