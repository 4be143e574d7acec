import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { Registry } from 'prom-client';

/** Where the exporter listens (config's `metricsListen`). */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** A running exporter: its URL (the port chosen, for port 0) and how to stop it. */
export interface RunningExporter {
  readonly url: string;
  close(): Promise<void>;
}

/** Scrapers are few (a Prometheus or two, a person with curl): more connections wait their turn at the kernel. */
const MAX_CONNECTIONS = 16;

/**
 * Serves `GET /metrics` (and HEAD) from `registry` in the text exposition format, and nothing
 * else: any other path is 404, any other method 405. No request body is read and no header beyond
 * node's default size is taken; a slow client is cut off after a few seconds.
 *
 * @example
 * const exporter = await serveExporter(agentRegistry(source), { host: '127.0.0.1', port: 9464 });
 * console.log(`${exporter.url}/metrics`);
 */
export async function serveExporter(registry: Registry, at: ListenAddress, onError: (err: Error) => void = () => undefined): Promise<RunningExporter> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') return plain(res, 404, 'not found: the agent serves only /metrics\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'method not allowed: GET /metrics\n', { allow: 'GET, HEAD' });
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (err: unknown) => {
        onError(err as Error);
        plain(res, 500, 'could not collect the metrics\n');
      },
    );
  });
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  server.maxConnections = MAX_CONNECTIONS;
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => resolve());
  });
  server.on('error', onError);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : at.port;
  return {
    url: `http://${at.host.includes(':') ? `[${at.host}]` : at.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function plain(res: import('node:http').ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(text);
}
