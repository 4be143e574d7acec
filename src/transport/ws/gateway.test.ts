import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebSocketGateway } from './gateway.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

describe('WebSocketGateway', () => {
  it('a connection handler that throws ends that connection and is reported, not an unhandled rejection', async () => {
    const server = createServer();
    servers.push(server);
    const reported: string[] = [];
    const gateway = new WebSocketGateway({
      server,
      path: '/connect',
      authenticate: async () => ({ ok: true, principal: 'agent-1' }),
      onConnection: () => {
        throw new Error('handler failed');
      },
      onSocketError: (err) => reported.push(err.message),
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    const ws = new WebSocket(`ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/connect`);
    ws.on('error', () => undefined);
    await new Promise((r) => ws.once('close', r));
    gateway.close();
    expect(reported).toEqual(['handler failed']);
  });
});
