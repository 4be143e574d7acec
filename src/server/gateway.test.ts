import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '../protocol/index.js';
import type { ControlPlaneConnection } from '../transport/index.js';
import { FakeClock } from './fleet/fake-clock.test-support.js';
import { AgentGateway } from './gateway.js';
import type { AgentRecord, Store } from './store/index.js';

/** A connection that records how it was closed. */
function fakeConnection(): ControlPlaneConnection & { closedWith: number | undefined } {
  const conn = {
    closedWith: undefined as number | undefined,
    send: () => true,
    sendFrame: () => true,
    close(code?: number) {
      conn.closedWith = code;
    },
    onMessage: () => undefined,
    onClose: () => undefined,
    bufferedBytes: 0,
    remote: '127.0.0.1:1',
  };
  return conn;
}

const agent = (enrolledAt: number): AgentRecord => ({
  id: 'a1',
  name: 'web-1',
  hostId: 'h1',
  credentialHash: 'x',
  tags: {},
  facts: {},
  status: 'disconnected',
  enrolledAt,
  lastSeenAt: null,
  enrolledWith: 'join',
  enrolledWithId: 'j1',
  revokedAt: null,
  definitionsVersion: null,
});

describe('AgentGateway.disconnect', () => {
  it('a connection authenticated before the agent was ended, accepted after, is closed at once; a newer credential is not', () => {
    const gateway = new AgentGateway({ store: {} as Store, logger: pino({ level: 'silent' }), heartbeatMs: 60_000 });
    const before = Date.now() - 1;
    gateway.disconnect('web-1', 'its credential was revoked');
    const stale = fakeConnection();
    gateway.accept(stale, agent(before));
    expect(stale.closedWith).toBe(4401);

    const fresh = fakeConnection();
    gateway.accept(fresh, agent(Date.now() + 1));
    expect(fresh.closedWith).toBeUndefined();
    gateway.closeAll();
  });

  it('ends an agent at the time of its clock: a credential issued at that same moment is dead, one a millisecond later is not', () => {
    const clock = new FakeClock();
    const gateway = new AgentGateway({ store: {} as Store, logger: pino({ level: 'silent' }), heartbeatMs: 60_000, clock });
    gateway.disconnect('web-1', 'its credential was revoked');
    const same = fakeConnection();
    gateway.accept(same, agent(clock.now()));
    expect(same.closedWith).toBe(4401);
    const later = fakeConnection();
    gateway.accept(later, agent(clock.now() + 1));
    expect(later.closedWith).toBeUndefined();
    gateway.closeAll();
  });
});

describe('AgentGateway.outboxes', () => {
  it("reports each connected agent's outbox as its newest heartbeat said it; a heartbeat without one (an older agent) keeps none; a gone agent's is gone", async () => {
    const noop = async () => undefined;
    const store = { updateAgentState: noop, upsertAgent: noop, touchAgents: noop } as unknown as Store;
    const gateway = new AgentGateway({ store, logger: pino({ level: 'silent' }), heartbeatMs: 60_000 });
    let deliver: (frame: string) => void = () => undefined;
    let closed: (code: number, reason: string) => void = () => undefined;
    const conn = { ...fakeConnection(), onMessage: (h: (frame: string) => void) => void (deliver = h), onClose: (h: (code: number, reason: string) => void) => void (closed = h) };
    gateway.accept(conn, agent(Date.now() - 1));
    const facts = { hostname: 'web-1', machineId: 'm', os: 'linux', distro: 'debian', arch: 'x64', kernel: '6', ip: '127.0.0.1', agentVersion: '0.1.0' };
    deliver(JSON.stringify({ type: 'hello', v: PROTOCOL_VERSION, name: 'web-1', facts, tags: {} }));
    deliver(JSON.stringify({ type: 'heartbeat', time: Date.now(), active: 0, rssBytes: 1 }));
    expect(gateway.outboxes()).toEqual([]);
    deliver(JSON.stringify({ type: 'heartbeat', time: Date.now(), active: 0, rssBytes: 1, outbox: { pending: 7, oldestAgeMs: 2500 } }));
    expect(gateway.outboxes()).toEqual([{ pending: 7, oldestAgeMs: 2500 }]);
    // A report out of bounds is refused with the whole message: the last good one stands.
    deliver(JSON.stringify({ type: 'heartbeat', time: Date.now(), active: 0, rssBytes: 1, outbox: { pending: -1, oldestAgeMs: 1e300 } }));
    expect(gateway.outboxes()).toEqual([{ pending: 7, oldestAgeMs: 2500 }]);
    closed(1000, 'bye');
    expect(gateway.outboxes()).toEqual([]);
    gateway.closeAll();
  });
});
