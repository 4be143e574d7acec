import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { MAX_FRAME_BYTES } from '../../protocol/index.js';
import type { Connection } from '../connection.js';
import { wrapSocket } from './socket.js';

export interface GatewayOptions<P> {
  readonly server: Server;
  readonly path: string;
  /** Returns who is connecting, or a refusal (status and message) before the upgrade. */
  authenticate(credential: string | undefined, request: IncomingMessage): Promise<{ ok: true; principal: P } | { ok: false; status: number; message: string }>;
  onConnection(connection: Connection, principal: P): void;
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
    this.onUpgrade = (req, socket, head) => void this.upgrade(req, socket, head);
    options.server.on('upgrade', this.onUpgrade);
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (path !== this.options.path) {
      refuse(socket, 404, `no WebSocket endpoint at ${path}`);
      return;
    }
    const header = req.headers.authorization;
    const credential = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    let verdict: Awaited<ReturnType<GatewayOptions<P>['authenticate']>>;
    try {
      verdict = await this.options.authenticate(credential, req);
    } catch (err) {
      refuse(socket, 503, `could not check the credential: ${(err as Error).message}`);
      return;
    }
    if (!verdict.ok) {
      refuse(socket, verdict.status, verdict.message);
      return;
    }
    const principal = verdict.principal;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
      this.options.onConnection(wrapSocket(ws, remote), principal);
    });
  }

  /** Stops accepting and closes every open socket. */
  close(): void {
    this.options.server.off('upgrade', this.onUpgrade);
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }
}

function refuse(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ code: status === 401 ? 'BW_ERR_UNAUTHENTICATED' : status === 403 ? 'BW_ERR_FORBIDDEN' : 'BW_ERR_UNAVAILABLE', message });
  socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : 'Service Unavailable'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
