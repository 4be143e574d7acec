import type WebSocket from 'ws';
import type { AgentMessage, ServerMessage } from '../../protocol/index.js';
import type { Connection } from '../connection.js';

/** Told when a connection failed (a malformed frame, a reset): the connection is already closing. */
export type SocketErrorHandler = (err: Error, remote: string) => void;

/**
 * Adapts a `ws` socket to the transport-neutral Connection. A socket error (the peer broke the
 * protocol or reset the connection) or a message handler that throws ends this connection only:
 * the close handlers see the error's message as the reason, and `onError` is told (for a log line).
 */
export function wrapSocket<Out extends AgentMessage | ServerMessage>(socket: WebSocket, remote: string, onError?: SocketErrorHandler): Connection<Out> {
  let failure: Error | undefined;
  socket.on('error', (err) => {
    failure ??= err;
    onError?.(err, remote);
  });
  return {
    remote,
    send(message: Out): boolean {
      return this.sendFrame(JSON.stringify(message));
    },
    sendFrame(frame: string): boolean {
      if (socket.readyState !== socket.OPEN) return false;
      socket.send(frame);
      return true;
    },
    close(code = 1000, reason = '') {
      if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close(code, reason);
    },
    onMessage(handler) {
      socket.on('message', (data, isBinary) => {
        try {
          handler(isBinary ? '' : data.toString());
        } catch (err) {
          // A message the handler could not cope with ends this connection (1011), not the process.
          onError?.(err instanceof Error ? err : new Error(String(err)), remote);
          socket.close(1011, 'internal error');
        }
      });
    },
    onClose(handler) {
      socket.once('close', (code, reason) => handler(code, reason.length ? reason.toString() : (failure?.message ?? '')));
    },
    get bufferedBytes() {
      return socket.bufferedAmount;
    },
  };
}
