import { describe, expect, it } from 'vitest';
import { BreakwaterError } from '../protocol/index.js';
import { FakeClock } from './fleet/fake-clock.test-support.js';
import { readiness, readyOrThrow } from './readiness.js';

describe('readiness', () => {
  it('is ready when every check resolves', async () => {
    const ready = readiness({ store: async () => 1, nats: async () => undefined }, { timeoutMs: 100, clock: new FakeClock() });
    expect(await ready()).toEqual({ ready: true, checks: { store: 'ok', nats: 'ok' } });
  });

  it('names a check that throws, even synchronously, and one that never answers once the timeout passes', async () => {
    const clock = new FakeClock();
    const ready = readiness(
      {
        store: () => new Promise(() => undefined),
        nats: () => {
          throw new Error('connection closed');
        },
        other: async () => 'fine',
      },
      { timeoutMs: 1500, clock },
    );
    const answer = ready();
    await clock.advance(1500);
    const report = await answer;
    expect(report).toEqual({ ready: false, checks: { store: 'no answer within 1500 ms', nats: 'connection closed', other: 'ok' } });
    expect(clock.pending).toBe(0);
    const refused = (() => {
      try {
        readyOrThrow(report);
      } catch (err) {
        return err;
      }
    })();
    expect(refused).toBeInstanceOf(BreakwaterError);
    expect((refused as BreakwaterError).status).toBe(503);
    expect((refused as BreakwaterError).message).toBe('this replica cannot serve calls now (store: no answer within 1500 ms; nats: connection closed)');
  });

  it('passes a ready report through', () => {
    const report = { ready: true, checks: { store: 'ok' } };
    expect(readyOrThrow(report)).toBe(report);
  });
});
