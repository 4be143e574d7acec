import type WebSocket from 'ws';
import type { Connection } from '../connection.js';

/** Adapts a `ws` socket to the transport-neutral Connection. */
export function wrapSocket(socket: WebSocket, remote: string): Connection {
  return {
    remote,
    send(message: unknown): boolean {
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
      socket.on('message', (data, isBinary) => handler(isBinary ? '' : data.toString()));
    },
    onClose(handler) {
      socket.once('close', (code, reason) => handler(code, reason.toString()));
    },
    get bufferedBytes() {
      return socket.bufferedAmount;
    },
  };
}
