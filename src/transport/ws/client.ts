import WebSocket from 'ws';
import { MAX_FRAME_BYTES } from '../../protocol/index.js';
import type { AgentConnection } from '../connection.js';
import { wrapSocket } from './socket.js';

/** How much of a refusal's body the error quotes. */
const REFUSAL_TEXT_CHARS = 500;

export interface ConnectOptions {
  /** Sent as `Authorization: Bearer <credential>`. */
  readonly credential: string;
  readonly timeoutMs: number;
  /** PEM of the CA(s) to trust for wss:// instead of the system's (the control plane's own CA). */
  readonly ca?: string | undefined;
  /** Mutual TLS: the agent's client certificate and its private key (PEM). */
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
}

/** Raised when the control plane refuses the connection (HTTP status on upgrade). */
export class ConnectRefused extends Error {
  override readonly name = 'ConnectRefused';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Opens a WebSocket to the control plane's agent gateway.
 *
 * @example
 * const conn = await connectWebSocket('ws://127.0.0.1:7070/api/v1/agents/connect', { credential, timeoutMs: 5000 });
 */
export function connectWebSocket(url: string, options: ConnectOptions): Promise<AgentConnection> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, {
      headers: { authorization: `Bearer ${options.credential}` },
      handshakeTimeout: options.timeoutMs,
      maxPayload: MAX_FRAME_BYTES,
      perMessageDeflate: false,
      ...(options.ca ? { ca: options.ca } : {}),
      ...(options.cert && options.key ? { cert: options.cert, key: options.key } : {}),
    });
    // Set once the control plane answered with a refusal: from then on the attempt ends as that
    // refusal, whichever of the response or the request reports a cut-off body first (Node 24
    // reports a reset on the request, Node 20 on the response).
    let refusal: (() => void) | undefined;
    // Before 'open' an error rejects; after it, wrapSocket's listener takes errors (the promise is settled).
    socket.on('error', (err) => (refusal ? refusal() : reject(err)));
    socket.once('open', () => resolve(wrapSocket(socket, url)));
    socket.once('unexpected-response', (_req, res) => {
      // Only the start of the refusal is kept: whatever the server sends, memory stays bounded.
      let body = '';
      let ended = false;
      const refuse = () => {
        if (ended) return;
        ended = true;
        socket.terminate();
        reject(new ConnectRefused(res.statusCode ?? 0, `control plane refused the connection (HTTP ${res.statusCode}): ${body.slice(0, REFUSAL_TEXT_CHARS)}`));
      };
      refusal = refuse;
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length < REFUSAL_TEXT_CHARS) body += d;
      });
      res.on('end', refuse);
      res.on('error', refuse);
    });
  });
}
