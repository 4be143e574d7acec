import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { AgentMessage, ServerMessage } from '../../protocol/index.js';
import type { AgentConnection, ControlPlaneConnection } from '../index.js';
import { connectWebSocket } from './client.js';
import { wrapSocket } from './socket.js';

/*
 * Each end of a connection sends the protocol's messages of its side, JSON-encoded, one frame a
 * message. Sending the other side's message, or a shape the protocol does not have, does not
 * compile: the wrong shape is caught at the sender, not refused by the other end.
 */

let server: WebSocketServer | undefined;
afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

async function pair(): Promise<{ agent: AgentConnection; plane: ControlPlaneConnection }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  server = wss;
  await new Promise<void>((ready) => wss.once('listening', ready));
  const plane = new Promise<ControlPlaneConnection>((accepted) => wss.once('connection', (ws) => accepted(wrapSocket<ServerMessage>(ws, 'agent'))));
  const agent = await connectWebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, { credential: 'bwa_test', timeoutMs: 5000 });
  return { agent, plane: await plane };
}

const nextFrame = (conn: AgentConnection | ControlPlaneConnection) => new Promise<string>((got) => conn.onMessage(got));

describe('a connection carries its side of the protocol', () => {
  it('sends each side its messages as JSON frames, and nothing once closed', async () => {
    const { agent, plane } = await pair();
    const atPlane = nextFrame(plane);
    expect(agent.send({ type: 'done', query: 'q1', error: 'agent is shutting down' })).toBe(true);
    expect(JSON.parse(await atPlane)).toEqual({ type: 'done', query: 'q1', error: 'agent is shutting down' });

    const atAgent = nextFrame(agent);
    expect(plane.send({ type: 'cancel', query: 'q1' })).toBe(true);
    expect(JSON.parse(await atAgent)).toEqual({ type: 'cancel', query: 'q1' });

    const closed = new Promise<number>((done) => plane.onClose((code) => done(code)));
    agent.close(1000, 'bye');
    expect(await closed).toBe(1000);
    expect(plane.send({ type: 'cancel', query: 'q2' })).toBe(false);
  });

  it('types each end with the messages of its side only (asserted by npm run typecheck)', () => {
    expectTypeOf<Parameters<AgentConnection['send']>[0]>().toEqualTypeOf<AgentMessage>();
    expectTypeOf<Parameters<ControlPlaneConnection['send']>[0]>().toEqualTypeOf<ServerMessage>();
  });
});
