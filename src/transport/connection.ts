/**
 * One bidirectional message channel between an agent and the control plane,
 * whatever carries it (WebSocket in embedded mode, NATS when scaled).
 */
export interface Connection {
  /** JSON-encodes and sends; false when the connection is closed. */
  send(message: unknown): boolean;
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
