/*
 * The delivery engine with channels faked behind the Channel interface: retries, backoff with
 * jitter, the bounds (attempts, total time, queue), order per channel, stop.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { FleetEvent } from '../../protocol/index.js';
import type { DeliveryRecord } from '../store/index.js';
import type { Channel, DeliveryOutcome } from './channel.js';
import { OutboundDelivery, backoffMs } from './outbound.js';

const event = (id: string, type: FleetEvent['type'] = 'alarm_fired'): FleetEvent => ({ id, time: 1, type, host: 'web-1', resource: 'web-1:/data', alarm: 'disk-full', bot: null, action: null, severity: 'critical', runId: null, principal: null, message: 'disk at 95%', value: 95, details: {} });

/** A channel answering from a script; records what it was asked. */
function scripted(name: string, answers: DeliveryOutcome[], wants: (e: FleetEvent) => boolean = () => true): Channel & { seen: string[] } {
  const seen: string[] = [];
  return {
    type: 'webhook',
    name,
    target: 'http://127.0.0.1/hook',
    seen,
    wants,
    deliver(e) {
      seen.push(e.id);
      return Promise.resolve(answers.shift() ?? { ok: true });
    },
  };
}

function engine(channels: Channel[], limits = {}) {
  const records: DeliveryRecord[] = [];
  const waits: number[] = [];
  let now = 1000;
  const outbound = new OutboundDelivery({
    channels: () => channels,
    record: (d) => (records.push(d), Promise.resolve()),
    logger: pino({ level: 'silent' }),
    now: () => now,
    sleep: (ms) => {
      waits.push(ms);
      now += ms;
      return Promise.resolve();
    },
    random: () => 0.5,
    limits,
  });
  return { outbound, records, waits };
}

const fail = (status = 503): DeliveryOutcome => ({ ok: false, retry: status >= 500 || status === 429, error: `HTTP ${status}`, status });

describe('backoffMs', () => {
  it('doubles from the base, is capped, and jitters between half and all of it', () => {
    const limits = { baseDelayMs: 1000, maxDelayMs: 60_000 };
    expect([1, 2, 3, 4].map((a) => backoffMs(a, limits, 0))).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((a) => backoffMs(a, limits, 0.999999))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffMs(10, limits, 0.999999)).toBe(60_000);
    expect(backoffMs(10, limits, 0)).toBe(30_000);
    // No overflow to Infinity or NaN, however many attempts.
    expect(backoffMs(10_000, limits, 0.5)).toBe(45_000);
  });
});

describe('OutboundDelivery', () => {
  it('retries a failing receiver with growing waits until it takes the event; nothing is recorded', async () => {
    const ch = scripted('hook', [fail(), fail(), fail()]);
    const { outbound, records, waits } = engine([ch]);
    outbound.notify(event('e1'));
    await outbound.drain();
    expect(ch.seen).toEqual(['e1', 'e1', 'e1', 'e1']);
    expect(waits).toEqual([750, 1500, 3000]);
    expect(records).toEqual([]);
  });

  it('gives up after the attempts allowed and records the failure, secret-free, with the last status', async () => {
    const ch = scripted('hook', Array.from({ length: 10 }, () => fail(502)));
    const { outbound, records } = engine([ch], { attempts: 3 });
    outbound.notify(event('e1'));
    await outbound.drain();
    expect(ch.seen).toHaveLength(3);
    expect(records).toEqual([expect.objectContaining({ integration: 'hook', type: 'webhook', eventId: 'e1', eventType: 'alarm_fired', status: 'failed', attempts: 3, httpStatus: 502, error: 'HTTP 502 (gave up after 3 attempts)', firstAt: 1000 })]);
  });

  it('does not retry what cannot succeed (a 400), and stops when out of total time', async () => {
    const refused = scripted('pd', [{ ok: false, retry: false, error: 'PagerDuty answered HTTP 400: Event object is invalid', status: 400 }]);
    const slow = scripted('slow', Array.from({ length: 10 }, () => fail()));
    const { outbound, records } = engine([refused, slow], { totalMs: 2000 });
    outbound.notify(event('e1'));
    await outbound.drain();
    expect(refused.seen).toEqual(['e1']);
    expect(slow.seen).toHaveLength(2);
    expect(records.map((r) => [r.integration, r.attempts, r.error])).toEqual([
      ['pd', 1, 'PagerDuty answered HTTP 400: Event object is invalid (not retried)'],
      ['slow', 2, 'HTTP 503 (gave up after 2 attempts: out of time)'],
    ]);
  });

  it('waits as long as a 429 asks (within the cap), and counts a thrown error as retryable', async () => {
    const ch = scripted('hook', [{ ok: false, retry: true, error: 'HTTP 429', status: 429, retryAfterMs: 30_000 }]);
    const thrower: Channel = { ...scripted('boom', []), deliver: () => Promise.reject(new Error('socket hang up')) };
    const { outbound, records, waits } = engine([ch, thrower], { attempts: 2 });
    outbound.notify(event('e1'));
    await outbound.drain();
    expect(waits).toContain(30_000);
    expect(records.map((r) => r.error)).toEqual(['socket hang up (gave up after 2 attempts)']);
  });

  it('delivers only what a channel wants, in order per channel', async () => {
    const fired = scripted('fired-only', [fail()], (e) => e.type === 'alarm_fired');
    const { outbound } = engine([fired]);
    for (const [id, type] of [['a', 'alarm_fired'], ['b', 'alarm_cleared'], ['c', 'alarm_fired']] as const) outbound.notify(event(id, type));
    await outbound.drain();
    expect(fired.seen).toEqual(['a', 'a', 'c']);
  });

  it('a full queue records the new delivery as failed at once instead of growing', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const ch: Channel & { seen: string[] } = { ...scripted('hook', []), deliver: async () => (await gate, { ok: true }) };
    const { outbound, records } = engine([ch], { queue: 2 });
    for (let i = 0; i < 5; i++) outbound.notify(event(`e${i}`));
    // e0 is being delivered, e1 and e2 wait; e3 and e4 find the queue full.
    expect(records.map((r) => [r.eventId, r.attempts, r.httpStatus])).toEqual([
      ['e3', 0, null],
      ['e4', 0, null],
    ]);
    expect(records[0]!.error).toMatch(/^queue full: 2 deliveries already waiting/);
    release();
    await outbound.drain();
    expect(records).toHaveLength(2);
  });

  it('stop ends the waits and records what was not delivered', async () => {
    const ch = scripted('hook', Array.from({ length: 10 }, () => fail()));
    const records: DeliveryRecord[] = [];
    const outbound = new OutboundDelivery({ channels: () => [ch], record: (d) => (records.push(d), Promise.resolve()), logger: pino({ level: 'silent' }), sleep: () => new Promise(() => undefined) });
    outbound.notify(event('e1'));
    outbound.notify(event('e2'));
    await new Promise((r) => setTimeout(r, 10));
    await outbound.stop();
    expect(records.map((r) => [r.eventId, r.error])).toEqual([
      ['e1', 'the server stopped before it was delivered'],
      ['e2', 'the server stopped before it was delivered'],
    ]);
  });

  it('a channel list that cannot be built drops the event without throwing', async () => {
    const outbound = new OutboundDelivery({ channels: () => { throw new Error('bad'); }, record: () => Promise.resolve(), logger: pino({ level: 'silent' }) });
    expect(() => outbound.notify(event('e1'))).not.toThrow();
    await outbound.drain();
  });
});
