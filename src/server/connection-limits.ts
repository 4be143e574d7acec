import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';

/** Timeouts and caps of the HTTP port; the defaults are listed in docs/security.md. */
export interface HttpLimits {
  /** A request's headers must arrive within this (slow-header "slowloris" clients are cut off with 408). */
  readonly headersTimeoutMs: number;
  /** A whole request, headers and body, must arrive within this. */
  readonly requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveTimeoutMs: number;
  /** Largest request body; beyond it the answer is 413 BW_ERR_PAYLOAD_TOO_LARGE. */
  readonly bodyLimitBytes: number;
  /** Open connections one remote address may hold before any of them authenticated; newer ones are closed at once. */
  readonly maxUnauthenticatedPerAddress: number;
}

export const HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  bodyLimitBytes: 1024 * 1024,
  maxUnauthenticatedPerAddress: 64,
};

/**
 * Node checks its header and request timeouts this often (its default, 30 s, would let a slow
 * client live up to 30 s past its deadline). Set when the server is created: with `https`,
 * fastify passes its `https` options to node instead of `http`, so add it there too.
 */
const TIMEOUT_CHECK_MS = 1000;

/** The fastify options that enforce the limits; the header and request timeouts are set by ConnectionLimits. */
export function fastifyLimitOptions(limits: HttpLimits) {
  return {
    bodyLimit: limits.bodyLimitBytes,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    http: { connectionsCheckingInterval: TIMEOUT_CHECK_MS },
  };
}

/**
 * Applies the header and request timeouts, and caps the connections each remote address holds open
 * before authenticating (a token or an agent credential accepted on them), so one client cannot
 * exhaust sockets or memory with idle or dripping connections. Authenticated connections are not
 * counted.
 */
export class ConnectionLimits {
  private readonly pending = new Map<string, Set<Socket>>();
  private readonly warned = new Set<string>();

  private readonly maxPerAddress: number;

  constructor(
    server: Server,
    limits: HttpLimits,
    private readonly logger: Pick<Logger, 'warn'>,
  ) {
    this.maxPerAddress = limits.maxUnauthenticatedPerAddress;
    // Set on the server, not through creation options, so they hold for node:https servers too.
    server.headersTimeout = limits.headersTimeoutMs;
    server.requestTimeout = limits.requestTimeoutMs;
    // With TLS the HTTP layer sees the TLS socket, which is what `authenticated` is given.
    server.on('setSecureContext' in server ? 'secureConnection' : 'connection', (socket: Socket) => this.admit(socket));
  }

  /** The connection carried a valid credential: it no longer counts against its address. */
  authenticated(socket: Socket): void {
    const address = socket.remoteAddress ?? '?';
    const mine = this.pending.get(address);
    if (mine?.delete(socket) && !mine.size) this.forget(address);
  }

  private admit(socket: Socket): void {
    const address = socket.remoteAddress ?? '?';
    const mine = this.pending.get(address) ?? new Set<Socket>();
    if (mine.size >= this.maxPerAddress) {
      socket.destroy();
      if (!this.warned.has(address)) {
        this.warned.add(address);
        this.logger.warn({ address, limit: this.maxPerAddress }, 'too many unauthenticated connections from one address; newer ones are closed');
      }
      return;
    }
    mine.add(socket);
    this.pending.set(address, mine);
    socket.once('close', () => {
      if (mine.delete(socket) && !mine.size && this.pending.get(address) === mine) this.forget(address);
    });
  }

  private forget(address: string): void {
    this.pending.delete(address);
    this.warned.delete(address);
  }
}
