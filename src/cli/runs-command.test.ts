import { describe, expect, it } from 'vitest';
import { runsQuery } from './runs-command.js';

const NOW = Date.parse('2026-12-06T06:00:00Z');

describe('runsQuery (get runs flags)', () => {
  it('passes each filter given, and reads --since as a duration back or a date', () => {
    const q = new URLSearchParams(runsQuery({ bot: 'clean-data-logs', host: 'web-1', status: 'failed', principal: 'alice (approving bot:x)', kind: 'approval', since: '2h' }, 50, NOW));
    expect(Object.fromEntries(q)).toEqual({ limit: '50', bot: 'clean-data-logs', host: 'web-1', status: 'failed', principal: 'alice (approving bot:x)', kind: 'approval', since: String(NOW - 7_200_000) });
    expect(runsQuery({ since: '2026-12-06T05:00Z' }, undefined, NOW)).toBe(`?since=${Date.parse('2026-12-06T05:00Z')}`);
    expect(runsQuery({}, undefined, NOW)).toBe('');
  });

  it('refuses a --since that is neither, saying what it takes', () => {
    for (const bad of ['yesterday', '2h ago', '12', '']) expect(() => runsQuery({ since: bad }, undefined, NOW), bad).toThrow(/--since: expected a duration back from now \(30m, 2h, 7d\) or a date/);
  });
});
