import { describe, expect, it } from 'vitest';
import { NO_FILTER, apiQuery, filterOf, runIdOf, runPath, runsPath } from './runs-url.js';

describe('the Runs page URL', () => {
  it('reads a filter from the query string and writes it back the same', () => {
    const f = filterOf('?bot=clean-data-logs&host=web-1&status=failed&other=x&since=1h');
    expect(f).toEqual({ ...NO_FILTER, bot: 'clean-data-logs', host: 'web-1', status: 'failed', since: '1h' });
    expect(runsPath(f)).toBe('/runs?bot=clean-data-logs&host=web-1&status=failed&since=1h');
    expect(filterOf(runsPath(f).slice('/runs'.length))).toEqual(f);
    expect(runsPath(NO_FILTER)).toBe('/runs');
    expect(runsPath({ host: 'web-1' }, '-targets')).toBe('/runs?host=web-1&sort=-targets');
    expect(runsPath(NO_FILTER, 'who')).toBe('/runs?sort=who');
    expect(filterOf(runsPath({ principal: 'alice (approving bot:x)' }).slice(5)).principal).toBe('alice (approving bot:x)');
  });

  it('opens one run at /runs/<id>, any id round-tripping', () => {
    for (const id of ['3f2a-11', 'a b/c?d#e', '%zz']) expect(runIdOf(runPath(id))).toBe(id);
    expect(runIdOf('/runs')).toBeUndefined();
    expect(runIdOf('/runs/')).toBeUndefined();
    expect(runIdOf('/runs/a/b')).toBeUndefined();
    expect(runIdOf('/runs/%zz')).toBe('%zz');
  });

  it('asks the API with a range turned into its start, and an absolute since as given', () => {
    const now = 10_000_000;
    expect(apiQuery({ ...NO_FILTER, since: '1h', host: 'web-1' }, now, 100)).toMatchObject({ since: now - 3_600_000, host: 'web-1', limit: 100, before: undefined });
    expect(apiQuery({ ...NO_FILTER, since: '1234' }, now, 50, 999)).toMatchObject({ since: '1234', limit: 50, before: 999 });
    expect(apiQuery(NO_FILTER, now, 100).since).toBe('');
  });
});
