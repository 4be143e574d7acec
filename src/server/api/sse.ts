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
