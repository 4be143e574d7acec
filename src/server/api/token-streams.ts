import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { BreakwaterError, MAX_TIMER_MS } from '../../protocol/index.js';
import type { Principal } from '../auth.js';
import type { Clock } from '../fleet/index.js';
import { systemClock } from '../fleet/index.js';
import type { SseStream } from './sse.js';
import { openSse } from './sse.js';

/** What a stream is for: each kind has its own cap per token. */
export type StreamKind = 'live' | 'events';

/**
 * Streams one token may hold open at once, per kind, so one client cannot hold unbounded server
 * memory or keep the fleet busy: a few browser tabs (Fleet holds one live query, three with a
 * host's detail open; each tab's Alarms & events page one event stream).
 */
export const STREAMS_PER_TOKEN: Readonly<Record<StreamKind, number>> = { live: 12, events: 12 };

const NAMES: Readonly<Record<StreamKind, string>> = { live: 'live queries', events: 'event streams' };

/**
 * The server-sent-event streams open per token: capped per kind, ended when the token expires or
 * is revoked (each was authenticated only when it opened), and when the server closes.
 */
export class TokenStreams {
  private readonly byToken = new Map<string, Map<SseStream, StreamKind>>();

  constructor(
    private readonly logger: Pick<Logger, 'warn' | 'info'>,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Opens a stream for the principal's token. Throws BW_ERR_TOO_MANY_REQUESTS (429) before the
   * stream starts when the token already holds its share of this kind.
   */
  open(principal: Principal, kind: StreamKind, request: FastifyRequest, reply: FastifyReply): SseStream {
    const open = this.count(principal.id, kind);
    const limit = STREAMS_PER_TOKEN[kind];
    if (open >= limit) {
      throw new BreakwaterError('BW_ERR_TOO_MANY_REQUESTS', `token \`${principal.name}\` has ${open} ${NAMES[kind]} open, the most allowed; close one (another tab?) and try again`, { open, limit, kind });
    }
    const sse = openSse(request, reply);
    const mine = this.byToken.get(principal.id) ?? new Map<SseStream, StreamKind>();
    mine.set(sse, kind);
    this.byToken.set(principal.id, mine);
    const expiry = principal.expiresAt ? endAt(principal.expiresAt, this.clock, () => sse.end({ code: 'BW_ERR_UNAUTHENTICATED', message: `token \`${principal.name}\` expired` })) : undefined;
    sse.onClose(() => {
      expiry?.cancel();
      mine.delete(sse);
      if (!mine.size && this.byToken.get(principal.id) === mine) this.byToken.delete(principal.id);
      const reason = sse.endReason;
      if (reason) this.logger.warn({ token: principal.name, stream: kind, code: reason.code }, `${kind} stream ended: ${reason.message}`);
    });
    return sse;
  }

  count(tokenId: string, kind: StreamKind): number {
    let n = 0;
    for (const k of this.byToken.get(tokenId)?.values() ?? []) if (k === kind) n++;
    return n;
  }

  /** Streams of this kind open now, every token's (the metrics' gauge). */
  openCount(kind: StreamKind): number {
    let n = 0;
    for (const streams of this.byToken.values()) for (const k of streams.values()) if (k === kind) n++;
    return n;
  }

  /** Ends every stream of a revoked token. */
  revoke(tokenId: string): void {
    for (const sse of [...(this.byToken.get(tokenId)?.keys() ?? [])]) sse.end({ code: 'BW_ERR_UNAUTHENTICATED', message: 'the token was revoked' });
  }

  close(): void {
    for (const streams of [...this.byToken.values()]) for (const sse of [...streams.keys()]) sse.end();
  }
}

/** Runs `fn` at a wall-clock time, however far away (timers are limited to ~24.8 days, so a far one re-arms). */
function endAt(at: number, clock: Clock, fn: () => void): { cancel(): void } {
  let timer: NodeJS.Timeout;
  const arm = () => {
    const wait = at - clock.now();
    if (wait <= 0) return fn();
    timer = setTimeout(arm, Math.min(wait, MAX_TIMER_MS));
    timer.unref();
  };
  arm();
  return { cancel: () => clearTimeout(timer) };
}
