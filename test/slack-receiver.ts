import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * A local HTTP receiver on loopback playing Slack for tests: an incoming webhook, chat.postMessage
 * or a response_url. Each request's path, headers and JSON body are recorded; each is answered with
 * the next scripted answer (the last one repeats).
 */

export interface SeenRequest {
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

export interface ScriptedAnswer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body: string;
}

export interface SlackReceiver {
  readonly url: string;
  readonly seen: SeenRequest[];
  /** Resolves with the n-th request (from 1) once it has arrived. */
  nth(n: number): Promise<SeenRequest>;
  close(): Promise<void>;
}

/**
 * Starts a receiver on 127.0.0.1 and a free port.
 *
 * @example
 * const r = await slackReceiver();
 * await sender.send(message); expect(r.seen[0]?.body.text).toBe('hi'); await r.close();
 */
export async function slackReceiver(answers: readonly ScriptedAnswer[] = [{ status: 200, body: 'ok' }]): Promise<SlackReceiver> {
  const seen: SeenRequest[] = [];
  const waiting: { n: number; resolve: (s: SeenRequest) => void }[] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(text) });
      const a = answers[Math.min(seen.length - 1, answers.length - 1)] as ScriptedAnswer;
      res.writeHead(a.status, a.headers ?? {}).end(a.body);
      for (const w of waiting.filter((x) => x.n <= seen.length)) w.resolve(seen[w.n - 1] as SeenRequest);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    nth: (n) => (seen.length >= n ? Promise.resolve(seen[n - 1] as SeenRequest) : new Promise((resolve) => waiting.push({ n, resolve }))),
    close: () => new Promise((r) => server.close(() => r())),
  };
}
