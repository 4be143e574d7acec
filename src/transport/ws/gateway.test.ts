import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { GatewayOptions } from './gateway.js';
import { WebSocketGateway } from './gateway.js';

const servers: Server[] = [];
const gateways: WebSocketGateway<string>[] = [];
afterEach(async () => {
  for (const g of gateways.splice(0)) g.close();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A gateway that accepts everyone, with `onConnection` as given; returns a client socket and the errors it reported. */
async function connectTo(onConnection: GatewayOptions<string>['onConnection']): Promise<{ ws: WebSocket; reported: string[] }> {
  const server = createServer();
  servers.push(server);
  const reported: string[] = [];
  gateways.push(new WebSocketGateway({ server, path: '/connect', authenticate: async () => ({ ok: true, principal: 'agent-1' }), onConnection, onSocketError: (err) => reported.push(err.message) }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const ws = new WebSocket(`ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/connect`);
  ws.on('error', () => undefined);
  return { ws, reported };
}

describe('WebSocketGateway', () => {
  it('a connection handler that throws ends that connection and is reported, not an unhandled rejection', async () => {
    const { ws, reported } = await connectTo(() => {
      throw new Error('handler failed');
    });
    await new Promise((r) => ws.once('close', r));
    expect(reported).toEqual(['handler failed']);
  });

  it('a message handler that throws closes that connection with 1011 and is reported', async () => {
    const { ws, reported } = await connectTo((conn) =>
      conn.onMessage(() => {
        throw new Error('cannot handle this');
      }),
    );
    ws.once('open', () => ws.send('{"type":"hello"}'));
    const code = await new Promise<number>((r) => ws.once('close', r));
    expect(code).toBe(1011);
    expect(reported).toEqual(['cannot handle this']);
  });
});
