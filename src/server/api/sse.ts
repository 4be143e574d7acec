import type { FastifyReply, FastifyRequest } from 'fastify';

/** A comment line this often keeps idle proxies and load balancers from closing the stream. */
const HEARTBEAT_MS = 15_000;

/** An open server-sent-events answer. */
export interface SseStream {
  /** True once either side ended the stream. */
  readonly closed: boolean;
  /** Writes one message (`data` must be one line, e.g. JSON); false when the socket's buffer is full. */
  send(data: string, id?: string): boolean;
  /** Resolves once what was written has left the buffer, or the stream closed: a slow client slows the writer. */
  drained(): Promise<void>;
  /** Runs `fn` once when the stream ends, whichever side ends it. */
  onClose(fn: () => void): void;
  end(): void;
}

/**
 * Turns a reply into a server-sent-events stream: hijacks it, sends the headers and a first comment
 * at once (so the client's `open` fires now, not at the first message), and a heartbeat comment
 * every 15 s until the client goes or `end()` is called.
 */
export function openSse(request: FastifyRequest, reply: FastifyReply): SseStream {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  raw.write(': connected\n\n');
  let closed = false;
  const closers: (() => void)[] = [];
  const heartbeat = setInterval(() => raw.write(': heartbeat\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  const finish = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    if (!raw.writableEnded) raw.end();
    for (const fn of closers.splice(0)) fn();
  };
  request.raw.on('close', finish);
  raw.on('close', finish);
  raw.on('error', finish);
  return {
    get closed() {
      return closed;
    },
    send: (data, id) => !closed && raw.write(`${id === undefined ? '' : `id: ${id}\n`}data: ${data}\n\n`),
    drained: () =>
      new Promise<void>((resolve) => {
        if (closed || !raw.writableNeedDrain) return resolve();
        const done = () => {
          raw.off('drain', done);
          raw.off('close', done);
          resolve();
        };
        raw.on('drain', done);
        raw.on('close', done);
      }),
    onClose: (fn) => {
      if (closed) fn();
      else closers.push(fn);
    },
    end: finish,
  };
}

/** What a stream is for: live queries are capped per token, event streams are not. */
export type StreamKind = 'live' | 'events';

/**
 * The server-sent-event streams open per token: a revoked token's streams end at once (each was
 * authenticated only when it opened), and every stream ends when the server closes.
 */
export class TokenStreams {
  private readonly byToken = new Map<string, Map<SseStream, StreamKind>>();

  add(tokenId: string, kind: StreamKind, sse: SseStream): void {
    const mine = this.byToken.get(tokenId) ?? new Map<SseStream, StreamKind>();
    mine.set(sse, kind);
    this.byToken.set(tokenId, mine);
    sse.onClose(() => {
      mine.delete(sse);
      if (!mine.size && this.byToken.get(tokenId) === mine) this.byToken.delete(tokenId);
    });
  }

  count(tokenId: string, kind: StreamKind): number {
    let n = 0;
    for (const k of this.byToken.get(tokenId)?.values() ?? []) if (k === kind) n++;
    return n;
  }

  revoke(tokenId: string): void {
    for (const sse of [...(this.byToken.get(tokenId)?.keys() ?? [])]) sse.end();
  }

  close(): void {
    for (const id of [...this.byToken.keys()]) this.revoke(id);
  }
}
