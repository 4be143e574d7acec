/**
 * Transports carrying agent protocol messages. Embedded mode: WebSocket.
 *
 * @example
 * const conn = await connectWebSocket(url, { credential, timeoutMs: 5000 });
 * conn.onMessage((frame) => handle(frame));
 */
export type { AgentConnection, Connection, ControlPlaneConnection } from './connection.js';
export type { ConnectOptions } from './ws/client.js';
export { ConnectRefused, connectWebSocket } from './ws/client.js';
export type { GatewayOptions } from './ws/gateway.js';
export { WebSocketGateway } from './ws/gateway.js';
export type { ClientTrust } from './tls.js';
export { explainTlsError, fetchPinnedCa, isLoopback, normalizeFingerprint, requireEncrypted, serverKeySpki, trustedCa } from './tls.js';
export type { FetchInit } from './fetch.js';
export { fetchTrusting } from './fetch.js';
