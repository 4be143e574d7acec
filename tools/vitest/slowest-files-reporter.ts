import type { Reporter, TestModule } from 'vitest/node';

/** The parts of a vitest `TestModule` the timing table reads (so a test can feed fakes). */
export type TimedModule = Pick<TestModule, 'relativeModuleId'> & {
  diagnostic(): { collectDuration: number; duration: number };
  children: { allTests(): Iterable<{ diagnostic(): { duration: number } | undefined }> };
};

/** One file's time: `total` = import (collect) + hooks + tests; `hooks` is mostly beforeAll/afterAll set-up. */
export interface FileTime {
  readonly file: string;
  readonly total: number;
  readonly tests: number;
  readonly hooks: number;
}

/**
 * Each file's time split into import, hooks (beforeAll/afterAll: labs, browsers) and its tests'
 * own time, slowest first.
 */
export function fileTimes(modules: readonly TimedModule[]): FileTime[] {
  const times = modules.map((mod) => {
    const d = mod.diagnostic();
    let tests = 0;
    for (const test of mod.children.allTests()) tests += test.diagnostic()?.duration ?? 0;
    // A module's duration counts its hooks and its tests; what the tests do not account for is hooks.
    const hooks = Math.max(0, d.duration - tests);
    return { file: mod.relativeModuleId, total: d.collectDuration + d.duration, tests, hooks };
  });
  return times.sort((a, b) => b.total - a.total || a.file.localeCompare(b.file));
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`.padStart(9);

/**
 * The table CI logs end with: the `most` slowest files and the sum over all files (the time one
 * worker spends; with several workers the wall clock is shorter).
 *
 * @example
 * slowestFilesTable(fileTimes(modules), 20).join('\n');
 */
export function slowestFilesTable(times: readonly FileTime[], most = 20): string[] {
  const sum = times.reduce((s, t) => s + t.total, 0);
  const shown = times.slice(0, most);
  return [
    `Slowest ${shown.length} of ${times.length} test files (total = import + hooks + tests):`,
    `${'total'.padStart(9)}${'hooks'.padStart(9)}${'tests'.padStart(9)}  file`,
    ...shown.map((t) => `${seconds(t.total)}${seconds(t.hooks)}${seconds(t.tests)}  ${t.file}`),
    `${seconds(sum)}  all ${times.length} files`,
  ];
}

/** Prints the 20 slowest test files at the end of every run, so each CI log shows where the time goes. */
export default class SlowestFilesReporter implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[]): void {
    if (testModules.length === 0) return;
    process.stdout.write(`\n${slowestFilesTable(fileTimes(testModules)).join('\n')}\n`);
  }
}
