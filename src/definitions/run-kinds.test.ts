import { describe, expect, it } from 'vitest';
import { botPrincipal } from './permissions.js';
import { approverPrincipal, runBotOf, runKindOf } from './run-kinds.js';

describe('run kinds from principals', () => {
  it('reads each way a run starts, and the bot it was for', () => {
    const cases: [string, string, string | undefined][] = [
      [botPrincipal('clean-data-logs', 'web-1'), 'bot', 'clean-data-logs'],
      ['schedule:nightly', 'schedule', undefined],
      [approverPrincipal('alice', 'ask_first'), 'approval', 'ask_first'],
      ['alice', 'adhoc', undefined],
      ['alice (approving bot:x', 'adhoc', undefined],
      ['', 'adhoc', undefined],
    ];
    expect(cases.map(([p]) => [p, runKindOf(p), runBotOf(p)])).toEqual(cases);
  });
});
