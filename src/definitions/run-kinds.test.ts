import { describe, expect, it } from 'vitest';
import { botPrincipal } from './permissions.js';
import { approverPrincipal, runBotOf, runKindOf, runPersonOf, runRunbookOf, runbookPrincipal } from './run-kinds.js';

describe('run kinds from principals', () => {
  it('reads each way a run starts, and the bot it was for', () => {
    const cases: [string, string, string | undefined][] = [
      [botPrincipal('clean-data-logs', 'web-1'), 'bot', 'clean-data-logs'],
      ['schedule:nightly', 'schedule', undefined],
      [approverPrincipal('alice', 'ask_first'), 'approval', 'ask_first'],
      ['alice', 'adhoc', undefined],
      ['alice (approving bot:x', 'adhoc', undefined],
      [runbookPrincipal('alice', 'disk-full', 3), 'runbook', undefined],
      ['alice (runbook:disk-full cell x)', 'adhoc', undefined],
      ['alice (runbook:disk full cell 3)', 'adhoc', undefined],
      ['', 'adhoc', undefined],
    ];
    expect(cases.map(([p]) => [p, runKindOf(p), runBotOf(p)])).toEqual(cases);
  });

  it('reads back the runbook, cell and person of a runbook cell\'s run, and nothing from any other principal', () => {
    expect(runRunbookOf(runbookPrincipal('alice', 'disk-full', 3))).toEqual({ person: 'alice', runbook: 'disk-full', cell: 3 });
    expect(runPersonOf(runbookPrincipal('alice', 'disk-full', 3))).toBe('alice');
    for (const p of ['alice', approverPrincipal('alice', 'x'), 'bot:x@web-1 (runbook:a cell 1)', 'schedule:n (runbook:a cell 1)', 'alice (runbook:a cell 1) ', '']) {
      expect(runRunbookOf(p)).toBeUndefined();
      expect(runPersonOf(p)).toBe(p);
    }
  });
});
