import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FleetEvent } from '../../protocol/index.js';
import type { AgentConnection } from '../../transport/index.js';
import type { EngineDeps } from './engine.js';
import { RemediationEngine } from './engine.js';
import { MemoryOutbox } from './outbox.js';

const event = (id: string): FleetEvent => ({ id, time: 1, type: 'alarm_fired', host: 'web-1', resource: 'web-1', alarm: 'a', bot: null, action: null, severity: null, runId: null, principal: null, message: 'm', value: null, details: {} });

/** A connection that keeps what the engine sends. */
function connection(): AgentConnection & { sent: { type: string; events?: FleetEvent[] }[] } {
  const sent: { type: string; events?: FleetEvent[] }[] = [];
  return { sent, send: (m) => sent.push(m as never) > 0, sendFrame: () => true, close: () => undefined, onMessage: () => undefined, onClose: () => undefined, bufferedBytes: 0, remote: 'test' };
}

describe('the engine\'s outbox and the control plane\'s acks', () => {
  let outbox: MemoryOutbox;
  let warnings: string[];
  let engine: RemediationEngine;
  beforeEach(() => {
    vi.useFakeTimers();
    outbox = new MemoryOutbox();
    warnings = [];
    const logger = { info: () => undefined, warn: (_f: unknown, m: string) => warnings.push(m), error: () => undefined, debug: () => undefined };
    // Only the outbox, the logger and the host are used by the ack path.
    engine = new RemediationEngine({ host: 'web-1', outbox, logger, now: () => 0 } as unknown as EngineDeps);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('drops refused events for good (logging why) and sends the ones to retry again after the wait it was given', () => {
    outbox.append(['a', 'b', 'c', 'd'].map(event));
    const conn = connection();
    engine.attach(conn);
    expect(conn.sent.map((m) => m.events?.map((e) => e.id))).toEqual([['a', 'b', 'c', 'd']]);

    engine.onAck({ ids: ['a', 'b'], refused: [{ id: 'b', reason: 'an agent may not report approved events' }], retry: { ids: ['c', 'd'], afterMs: 5000 } });
    expect(outbox.size).toBe(2);
    expect(warnings).toEqual(['the control plane refused an event: an agent may not report approved events']);
    // Not at once (that would only meet the quota again) ...
    expect(conn.sent).toHaveLength(1);
    vi.advanceTimersByTime(4999);
    expect(conn.sent).toHaveLength(1);
    // ... but after the wait, and not lost.
    vi.advanceTimersByTime(1);
    expect(conn.sent.at(-1)?.events?.map((e) => e.id)).toEqual(['c', 'd']);
  });
});
