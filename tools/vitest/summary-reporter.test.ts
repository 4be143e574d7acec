import { describe, expect, it } from 'vitest';
import { summarise, summaryLine, type ModuleResult } from './summary-reporter.js';

type State = 'passed' | 'failed' | 'skipped';

/** A fake test module: its own state and the states of the tests it collected. */
function mod(state: 'passed' | 'failed' | 'skipped', tests: State[]): ModuleResult {
  return {
    state: () => state,
    children: { allTests: () => tests.map((s) => ({ result: () => ({ state: s }) })) },
  } as ModuleResult;
}

describe('summary reporter', () => {
  it('counts collected tests by outcome', () => {
    const s = summarise([mod('failed', ['passed', 'failed', 'skipped']), mod('passed', ['passed'])]);
    expect(summaryLine(s)).toBe('2 passed, 1 failed, 1 skipped');
  });

  it('counts a file that failed to load (no tests collected) as one failure', () => {
    const s = summarise([mod('passed', ['passed', 'passed']), mod('failed', [])]);
    expect(summaryLine(s)).toBe('2 passed, 1 failed, 0 skipped');
  });

  it('counts a file whose beforeAll failed (its tests skipped) as one failure', () => {
    const s = summarise([mod('failed', ['skipped', 'skipped'])]);
    expect(summaryLine(s)).toBe('0 passed, 1 failed, 2 skipped');
  });

  it('does not add a failure for a file whose own tests already failed', () => {
    const s = summarise([mod('failed', ['failed', 'failed'])]);
    expect(s.failed).toBe(2);
  });

  it('counts unhandled errors as failures', () => {
    const s = summarise([mod('passed', ['passed'])], [new Error('boom')]);
    expect(summaryLine(s)).toBe('1 passed, 1 failed, 0 skipped');
  });
});
