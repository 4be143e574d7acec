import type { Duplex } from 'node:stream';

/** A refused client that never closes its side is cut off after this long. */
const REFUSAL_LINGER_MS = 5000;

const REASONS: Readonly<Record<number, string>> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' };

/**
 * Answers an upgrade request with an HTTP error and ends the socket. A socket the client already
 * reset is destroyed without writing; one that never reads is destroyed after a short linger, so
 * refused clients cannot hold sockets open.
 */
export function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const code = status === 401 ? 'BW_ERR_UNAUTHENTICATED' : status === 403 ? 'BW_ERR_FORBIDDEN' : status === 404 ? 'BW_ERR_NOT_FOUND' : 'BW_ERR_UNAVAILABLE';
  const body = JSON.stringify({ code, message });
  const linger = setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS);
  linger.unref();
  socket.once('close', () => clearTimeout(linger));
  socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
