import type { Reporter, TestModule } from 'vitest/node';

/** The parts of a vitest `TestModule` the summary reads (so a test can feed fakes). */
export type ModuleResult = Pick<TestModule, 'state'> & {
  children: { allTests(): Iterable<{ result(): { state: string } }> };
};

/** Counts for the summary line. */
export interface Summary {
  passed: number;
  failed: number;
  skipped: number;
}

/**
 * Counts tests by outcome. A file that failed without a failed test (it did
 * not load, or a hook outside the tests threw) counts as one failure, and so
 * does every unhandled error: vitest exits non-zero for both, and the line
 * must not say "0 failed" when the run failed.
 */
export function summarise(modules: readonly ModuleResult[], unhandledErrors: readonly unknown[] = []): Summary {
  const counts: Summary = { passed: 0, failed: 0, skipped: 0 };
  for (const mod of modules) {
    let failedHere = 0;
    for (const test of mod.children.allTests()) {
      const state = test.result().state;
      if (state === 'passed') counts.passed++;
      else if (state === 'failed') failedHere++;
      else counts.skipped++;
    }
    if (failedHere === 0 && mod.state() === 'failed') failedHere = 1;
    counts.failed += failedHere;
  }
  counts.failed += unhandledErrors.length;
  return counts;
}

/** Formats the summary as the one plain line CI log readers look for. */
export function summaryLine(s: Summary): string {
  return `${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`;
}

/**
 * Ends the run with one plain line, `N passed, N failed, N skipped`, that CI
 * log readers recognise whatever the test runner; the default reporter's
 * coloured table stays above it for people.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[], unhandledErrors: readonly unknown[]): void {
    process.stdout.write(`\n${summaryLine(summarise(testModules, unhandledErrors))}\n`);
  }
}
