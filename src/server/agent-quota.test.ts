import { describe, expect, it } from 'vitest';
import { AgentQuotas } from './agent-quota.js';

describe('AgentQuotas', () => {
  it('passes a burst of a minute\'s worth, then refills at the per-minute rate', () => {
    let now = 0;
    const q = new AgentQuotas({ eventsPerMinute: 60, rowsPerMinute: 1000, permitsPerMinute: 6 }, () => now);
    expect(q.take('web-1', 'events', 50)).toEqual({ granted: 50, retryAfterMs: 0 });
    // 10 left: 10 of 25 pass; the other 15 take 15 s to refill at one a second.
    expect(q.take('web-1', 'events', 25)).toEqual({ granted: 10, retryAfterMs: 15_000 });
    expect(q.take('web-1', 'events', 1).granted).toBe(0);
    now += 5000;
    expect(q.take('web-1', 'events', 10).granted).toBe(5);
    // Never more than a minute's worth, however long it was quiet.
    now += 3_600_000;
    expect(q.take('web-1', 'events', 100).granted).toBe(60);
  });

  it('keeps each agent and each kind apart', () => {
    const q = new AgentQuotas({ eventsPerMinute: 2, rowsPerMinute: 3, permitsPerMinute: 1 }, () => 0);
    expect(q.take('web-1', 'permits', 5).granted).toBe(1);
    expect(q.take('web-2', 'permits', 5).granted).toBe(1);
    expect(q.take('web-1', 'rows', 5).granted).toBe(3);
    expect(q.take('web-1', 'events', 5).granted).toBe(2);
    expect(q.limit('rows')).toBe(3);
  });
});
