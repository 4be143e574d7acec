import { describe, expect, it } from 'vitest';
import { fileTimes, slowestFilesTable, type TimedModule } from './slowest-files-reporter.js';

/** A fake test module: its import time, its duration (hooks and tests) and its tests' durations. */
function mod(file: string, collect: number, duration: number, tests: (number | undefined)[]): TimedModule {
  return {
    relativeModuleId: file,
    diagnostic: () => ({ collectDuration: collect, duration }),
    children: { allTests: () => tests.map((t) => ({ diagnostic: () => (t === undefined ? undefined : { duration: t }) })) },
  };
}

describe('slowest files reporter', () => {
  it('splits each file into hooks and tests, slowest first', () => {
    const times = fileTimes([mod('a.test.ts', 100, 1000, [300, 200]), mod('b.test.ts', 50, 9000, [1000])]);
    expect(times).toEqual([
      { file: 'b.test.ts', total: 9050, tests: 1000, hooks: 8000 },
      { file: 'a.test.ts', total: 1100, tests: 500, hooks: 500 },
    ]);
  });

  it('counts a test that did not run as no time, and never a negative hook time', () => {
    expect(fileTimes([mod('c.test.ts', 0, 100, [undefined, 150])])).toEqual([{ file: 'c.test.ts', total: 100, tests: 150, hooks: 0 }]);
  });

  it('shows at most the slowest `most` files, and the total over all', () => {
    const times = fileTimes([mod('a.test.ts', 0, 1000, []), mod('b.test.ts', 0, 2000, []), mod('c.test.ts', 0, 3500, [500])]);
    expect(slowestFilesTable(times, 2)).toEqual([
      'Slowest 2 of 3 test files (total = import + hooks + tests):',
      '    total    hooks    tests  file',
      '    3.5 s    3.0 s    0.5 s  c.test.ts',
      '    2.0 s    2.0 s    0.0 s  b.test.ts',
      '    6.5 s  all 3 files',
    ]);
  });
});
