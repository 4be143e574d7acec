import { describe, expect, it } from 'vitest';
import { failureLines, summarise, summaryLine, type ModuleResult } from './summary-reporter.js';

type State = 'passed' | 'failed' | 'skipped';

/** A fake test module: its own state and errors, and the states of the tests it collected. */
function mod(state: 'passed' | 'failed' | 'skipped', tests: State[], errors: { message?: string }[] = [], suiteErrors: { message?: string }[] = []): ModuleResult {
  return {
    state: () => state,
    relativeModuleId: 'test/x.test.ts',
    errors: () => errors,
    children: {
      allSuites: () => [{ fullName: 'suite', errors: () => suiteErrors }],
      allTests: () =>
        tests.map((s, i) => ({
          fullName: `suite > case ${i}`,
          result: () => ({ state: s, errors: s === 'failed' ? [{ message: `expected ${i}\n  at line` }] : [] }),
        })),
    },
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

  it('lists each failed test with its file and the first line of its error', () => {
    expect(failureLines([mod('failed', ['passed', 'failed', 'failed']), mod('passed', ['passed'])])).toEqual([
      'test/x.test.ts > suite > case 1: expected 1',
      'test/x.test.ts > suite > case 2: expected 2',
    ]);
  });

  it('lists a file that failed outside its tests, and unhandled errors', () => {
    expect(failureLines([mod('failed', ['skipped'], [{ message: 'beforeAll timed out\nstack' }])], [new Error('boom')])).toEqual([
      'test/x.test.ts: beforeAll timed out',
      'unhandled error: boom',
    ]);
    expect(failureLines([mod('failed', [])])).toEqual(['test/x.test.ts: failed outside its tests']);
  });

  it('lists a describe whose hook failed (its tests skipped) with the hook\'s error, its first non-blank line', () => {
    expect(failureLines([mod('failed', ['skipped', 'skipped'], [], [{ message: '\n  PostgreSQL is not reachable\nat x' }])])).toEqual(['test/x.test.ts > suite: PostgreSQL is not reachable']);
  });

  it('lists nothing for a run that passed', () => {
    expect(failureLines([mod('passed', ['passed', 'skipped'])])).toEqual([]);
  });
});
