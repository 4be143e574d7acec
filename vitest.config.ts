import { configDefaults, defineConfig } from 'vitest/config';

/*
 * Three groups, one after the other (sequence.groupOrder), so CI fits its 25 minutes on 2 cores:
 * - `unit` (first): the unit tests beside the sources (and the tools'), two files at a time, in
 *   workers that keep the modules they imported from one file to the next (`isolate: false`):
 *   importing zod, fastify and the rest afresh for each of some 260 files was two thirds of the
 *   group's time (209 s → 75 s here). A unit test leaves no state behind (no module-level state
 *   it changes, fakes restored): every file passed so, in shuffled orders too, on Node 20 and 24.
 * - `parallel` (then): the integration suites, two files at a time. Each suite
 *   starts its own processes on its own ports, data directories, databases and NATS prefixes, and
 *   most of their time is spent waiting on real agents (a second each collection), so a second
 *   worker nearly halves the group.
 * - `alone` (last), one file at a time: the Chromium suites (beside another suite they missed their
 *   waits: Chromium and the lab's agents compete for the two cores) and the suites that watch
 *   something the whole machine shares (the kernel's OOM-kill counter counts every suite's kills).
 */
const ALONE = ['test/web/**/*.test.ts', 'test/packs/kernel-counters.test.ts'];
const COMMON = {
  testTimeout: 30000,
};

export default defineConfig({
  test: {
    reporters: ['default', './tools/vitest/slowest-files-reporter.ts', './tools/vitest/summary-reporter.ts'],
    projects: [
      {
        test: {
          ...COMMON,
          name: 'unit',
          include: ['src/**/*.test.ts', 'tools/**/*.test.ts'],
          isolate: false,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...COMMON,
          name: 'parallel',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...ALONE],
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          ...COMMON,
          name: 'alone',
          include: ALONE,
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
