import type { AgentMessage, ServerMessage } from '../protocol/index.js';

/**
 * One bidirectional message channel between an agent and the control plane,
 * whatever carries it (WebSocket in embedded mode, NATS when scaled). `Out` is
 * what this end sends: the protocol's messages of its side, so a shape the
 * protocol does not have is a type error at the sender, not a refusal at the
 * other end.
 */
export interface Connection<Out extends AgentMessage | ServerMessage> {
  /** JSON-encodes and sends; false when the connection is closed. */
  send(message: Out): boolean;
  /** Sends an already encoded frame (one encoding shared by many connections); false when closed. */
  sendFrame(frame: string): boolean;
  close(code?: number, reason?: string): void;
  onMessage(handler: (frame: string) => void): void;
  onClose(handler: (code: number, reason: string) => void): void;
  /** Bytes queued but not yet sent: lets senders apply back-pressure. */
  readonly bufferedBytes: number;
  /** Where the other side is, for logs. */
  readonly remote: string;
}

/**
 * The control plane's end of an agent's connection: it sends ServerMessage, receives AgentMessage frames.
 *
 * @example
 * conn.send({ type: 'cancel', query: id });
 */
export type ControlPlaneConnection = Connection<ServerMessage>;

/**
 * An agent's end of its connection to the control plane: it sends AgentMessage, receives ServerMessage frames.
 *
 * @example
 * conn.send({ type: 'done', query: msg.id });
 */
export type AgentConnection = Connection<AgentMessage>;
