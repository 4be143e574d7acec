import { writeFileSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

/** An error as vitest reports it: only its message is read. */
interface ReportedError {
  message?: string;
}

/** The parts of a vitest `TestModule` the summary reads (so a test can feed fakes). */
export type ModuleResult = Pick<TestModule, 'state' | 'relativeModuleId'> & {
  errors(): readonly ReportedError[];
  children: {
    allTests(): Iterable<{ fullName: string; result(): { state: string; errors?: readonly ReportedError[] } }>;
    /** A describe's errors are its hooks' (a beforeAll that failed skips its tests). */
    allSuites(): Iterable<{ fullName: string; errors(): readonly ReportedError[] }>;
  };
};

/**
 * The environment variable naming a file that receives the failure list (one line each), so a
 * wrapper that runs more after vitest (tools/test-all.js) can repeat it where a CI log's tail shows.
 */
export const FAILURES_FILE_ENV = 'BREAKWATER_FAILURES_FILE';

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

/** The first non-blank line of an error's message, or what to say when it has none. */
function firstLine(errors: readonly ReportedError[] | undefined, none: string): string {
  const message = errors?.find((e) => e.message?.trim())?.message ?? '';
  return message.split('\n').find((line) => line.trim())?.trim() ?? none;
}

/**
 * One line per failure: `file > test name: first line of the error`; a describe's or a file's
 * hook that failed (its tests skipped) as `file > describe: error` or `file: error`; a file that
 * failed with neither; and each unhandled error.
 *
 * @example failureLines(modules) // ['test/a.test.ts > runs > exits 0: expected 1 to be 0']
 */
export function failureLines(modules: readonly ModuleResult[], unhandledErrors: readonly unknown[] = []): string[] {
  const lines: string[] = [];
  for (const mod of modules) {
    let failedHere = 0;
    for (const test of mod.children.allTests()) {
      const result = test.result();
      if (result.state !== 'failed') continue;
      failedHere++;
      lines.push(`${mod.relativeModuleId} > ${test.fullName}: ${firstLine(result.errors, 'failed')}`);
    }
    for (const suite of mod.children.allSuites()) {
      const errors = suite.errors();
      if (errors.length) {
        failedHere++;
        lines.push(`${mod.relativeModuleId} > ${suite.fullName}: ${firstLine(errors, 'failed')}`);
      }
    }
    if (mod.errors().length || (failedHere === 0 && mod.state() === 'failed')) {
      lines.push(`${mod.relativeModuleId}: ${firstLine(mod.errors(), 'failed outside its tests')}`);
    }
  }
  for (const error of unhandledErrors) {
    lines.push(`unhandled error: ${firstLine([error as ReportedError], JSON.stringify(error) ?? String(error))}`);
  }
  return lines;
}

/** Formats the summary as the one plain line CI log readers look for. */
export function summaryLine(s: Summary): string {
  return `${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`;
}

/**
 * Ends the run with one plain line, `N passed, N failed, N skipped`, that CI
 * log readers recognise whatever the test runner, then one line per failure;
 * the default reporter's coloured table and full errors stay above it for people.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[], unhandledErrors: readonly unknown[]): void {
    const failures = failureLines(testModules, unhandledErrors);
    const listed = failures.map((line) => `  FAILED ${line}\n`).join('');
    process.stdout.write(`\n${summaryLine(summarise(testModules, unhandledErrors))}\n${listed}`);
    const file = process.env[FAILURES_FILE_ENV];
    if (file) writeFileSync(file, listed);
  }
}
