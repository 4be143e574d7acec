import type { AgentRequestKind, ApprovalRequestMessage, HelloMessage, NatsSubjects, PermitRequestMessage, ServerMessage } from '../../protocol/index.js';
import { AGENT_REQUEST_KINDS, agentFromToken, ApprovalRequestMessage as ApprovalSchema, decode, HelloMessage as HelloSchema, PermitRequestMessage as PermitSchema } from '../../protocol/index.js';

/** An agent's request over NATS, read: who asks (the subject's agent) and what. */
export type AgentRequest =
  | { readonly kind: 'hello'; readonly agent: string; readonly message: HelloMessage }
  | { readonly kind: 'permit'; readonly agent: string; readonly message: PermitRequestMessage }
  | { readonly kind: 'approval'; readonly agent: string; readonly message: ApprovalRequestMessage };

/** Why a request could not be read; `agent` when the subject named one. */
export interface UnreadableRequest {
  readonly agent: string | undefined;
  readonly reason: string;
}

const SCHEMAS = { hello: HelloSchema, permit: PermitSchema, approval: ApprovalSchema } as const;

/** The agent and kind a request subject names (`<prefix>.cp.<agent>.<kind>`), or why it names none. */
export function requestSubject(subjects: NatsSubjects, subject: string): { agent: string; kind: AgentRequestKind } | UnreadableRequest {
  const head = `${subjects.prefix}.cp.`;
  const tokens = subject.startsWith(head) ? subject.slice(head.length).split('.') : [];
  const [token, kind] = tokens;
  if (tokens.length !== 2 || !token) return { agent: undefined, reason: `subject ${JSON.stringify(subject.slice(0, 300))} is not an agent request subject (${subjects.allAgentRequests})` };
  const agent = agentFromToken(token);
  if (!isKind(kind)) return { agent, reason: `${JSON.stringify(kind?.slice(0, 64))} is not a request agents make: expected one of ${AGENT_REQUEST_KINDS.join(', ')}` };
  return { agent, kind };
}

/**
 * Reads one request: the body must be the protocol message of the kind its subject names, as
 * UTF-8 JSON. Never throws; what is not a request comes back with why.
 *
 * @example
 * readAgentRequest(natsSubjects('bw'), 'bw.cp.web-1.permit', bytes) // { kind: 'permit', agent: 'web-1', message }
 */
export function readAgentRequest(subjects: NatsSubjects, subject: string, data: Uint8Array): AgentRequest | UnreadableRequest {
  const named = requestSubject(subjects, subject);
  if (!('kind' in named)) return named;
  const { agent, kind } = named;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return { agent, reason: `the body of a ${kind} request is not UTF-8` };
  }
  const decoded = decode<HelloMessage | PermitRequestMessage | ApprovalRequestMessage>(SCHEMAS[kind], text);
  if (!decoded.ok) return { agent, reason: `the body of a ${kind} request is not a ${kind} message: ${decoded.error}` };
  return { kind, agent, message: decoded.message } as AgentRequest;
}

/** The largest error message the protocol carries (ErrorMessage's `message`). */
const MAX_ERROR_MESSAGE = 4096;

/** An `error` reply, its message cut to what the protocol carries (a reason may quote hostile input). */
export function errorReply(code: string, message: string): ServerMessage {
  return { type: 'error', code, message: message.length > MAX_ERROR_MESSAGE ? `${message.slice(0, MAX_ERROR_MESSAGE - 1)}…` : message };
}

function isKind(kind: string | undefined): kind is AgentRequestKind {
  return (AGENT_REQUEST_KINDS as readonly (string | undefined)[]).includes(kind);
}
