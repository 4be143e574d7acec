import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { MAX_FRAME_BYTES } from '../../protocol/index.js';
import type { ControlPlaneConnection } from '../connection.js';
import { refuseUpgrade } from './refuse.js';
import type { SocketErrorHandler } from './socket.js';
import { wrapSocket } from './socket.js';

export interface GatewayOptions<P> {
  readonly server: Server;
  readonly path: string;
  /** Returns who is connecting, or a refusal (status and message) before the upgrade. */
  authenticate(credential: string | undefined, request: IncomingMessage): Promise<{ ok: true; principal: P } | { ok: false; status: number; message: string }>;
  onConnection(connection: ControlPlaneConnection, principal: P): void;
  /** Told of every socket error, before or after the upgrade; that connection alone ends. For a log line. */
  onSocketError?: SocketErrorHandler;
}

/**
 * Accepts agent WebSockets on an HTTP server's upgrade path. Authentication
 * happens before the upgrade, so an agent without a valid credential never
 * gets a socket.
 */
export class WebSocketGateway<P> {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  private readonly onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

  constructor(private readonly options: GatewayOptions<P>) {
    this.onUpgrade = (req, socket, head) =>
      // A failure past the checks (a throwing onConnection) ends this connection, not the process.
      void this.upgrade(req, socket, head).catch((err: unknown) => {
        socket.destroy();
        options.onSocketError?.(err instanceof Error ? err : new Error(String(err)), remoteOf(req));
      });
    options.server.on('upgrade', this.onUpgrade);
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const remote = remoteOf(req);
    // Node hands an upgraded socket over without an 'error' listener: a client that resets while
    // it is refused or authenticated would otherwise crash the process (write ECONNRESET).
    const onError = (err: Error) => {
      socket.destroy();
      this.options.onSocketError?.(err, remote);
    };
    socket.on('error', onError);
    const path = (req.url ?? '').split('?')[0];
    if (path !== this.options.path) {
      refuseUpgrade(socket, 404, `no WebSocket endpoint at ${path}`);
      return;
    }
    const header = req.headers.authorization;
    const credential = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    let verdict: Awaited<ReturnType<GatewayOptions<P>['authenticate']>>;
    try {
      verdict = await this.options.authenticate(credential, req);
    } catch (err) {
      refuseUpgrade(socket, 503, `could not check the credential: ${(err as Error).message}`);
      return;
    }
    if (!verdict.ok) {
      refuseUpgrade(socket, verdict.status, verdict.message);
      return;
    }
    if (socket.destroyed) return; // gone while its credential was checked
    const principal = verdict.principal;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      // From here on the WebSocket owns the socket's errors (wrapSocket).
      socket.off('error', onError);
      this.options.onConnection(wrapSocket(ws, remote, this.options.onSocketError), principal);
    });
  }

  /** Stops accepting and closes every open socket. */
  close(): void {
    this.options.server.off('upgrade', this.onUpgrade);
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }
}

function remoteOf(req: IncomingMessage): string {
  return `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
}
