import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../../protocol/index.js';

/** A comment line this often keeps idle proxies and load balancers from closing the stream. */
const HEARTBEAT_MS = 15_000;
/**
 * Bytes a stream may have queued for a client that does not read (a paused tab, a hostile
 * reader): beyond this the client is disconnected, so memory per stream stays bounded.
 */
export const SSE_MAX_BUFFERED_BYTES = 1024 * 1024;

/** Why the server ended a stream: sent as a last `event: error` message when the client can still take it. */
export interface EndReason {
  readonly code: ErrorCode;
  readonly message: string;
}

/** An open server-sent-events answer. */
export interface SseStream {
  /** True once either side ended the stream. */
  readonly closed: boolean;
  /** Set when the server ended the stream for a reason (too slow, token expired or revoked). */
  readonly endReason: EndReason | undefined;
  /** Writes one message (`data` must be one line, e.g. JSON); false when the socket's buffer is full or the stream closed. */
  send(data: string, id?: string): boolean;
  /** Resolves once what was written has left the buffer, or the stream closed: a slow client slows the writer. */
  drained(): Promise<void>;
  /** Runs `fn` once when the stream ends, whichever side ends it. */
  onClose(fn: () => void): void;
  /** Ends the stream; with a reason, a last `event: error` message says why. */
  end(reason?: EndReason): void;
}

/**
 * Turns a reply into a server-sent-events stream: hijacks it, sends the headers and a first comment
 * at once (so the client's `open` fires now, not at the first message), and a heartbeat comment
 * every 15 s until the client goes or `end()` is called. A client more than `maxBufferedBytes`
 * behind is disconnected at once: no last message (it would queue behind what it never read).
 */
export function openSse(request: FastifyRequest, reply: FastifyReply, maxBufferedBytes = SSE_MAX_BUFFERED_BYTES): SseStream {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  let closed = false;
  let endReason: EndReason | undefined;
  const closers: (() => void)[] = [];
  const finish = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    if (!raw.writableEnded) raw.end();
    for (const fn of closers.splice(0)) fn();
  };
  const write = (chunk: string): boolean => {
    if (closed) return false;
    const ok = raw.write(chunk);
    if (raw.writableLength > maxBufferedBytes) {
      endReason = { code: 'BW_ERR_SLOW_READER', message: `the client fell more than ${maxBufferedBytes} bytes behind the stream and was disconnected` };
      // Destroyed, not ended: ending would keep the queued bytes until a reader that stopped reads them.
      raw.destroy();
      finish();
      return false;
    }
    return ok;
  };
  const heartbeat = setInterval(() => write(': heartbeat\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  write(': connected\n\n');
  request.raw.on('close', finish);
  raw.on('close', finish);
  raw.on('error', finish);
  return {
    get closed() {
      return closed;
    },
    get endReason() {
      return endReason;
    },
    send: (data, id) => write(`${id === undefined ? '' : `id: ${id}\n`}data: ${data}\n\n`),
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
    end: (reason) => {
      if (closed) return;
      if (reason) {
        endReason = reason;
        write(`event: error\ndata: ${JSON.stringify({ type: 'error', ...reason, details: {} })}\n\n`);
      }
      finish();
    },
  };
}
