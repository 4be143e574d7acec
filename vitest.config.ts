import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'tools/**/*.test.ts'],
    testTimeout: 30000,
    // Both cores: each integration suite starts its own processes on loopback ports of its own and
    // data directories of its own, so two files run side by side (one worker, vitest's default on
    // two cores, made the Node 20 run 25 min of CI's 25: docs/design-decisions.md, "CI on both cores").
    maxWorkers: 2,
    minWorkers: 1,
    reporters: ['default', './tools/vitest/slowest-files-reporter.ts', './tools/vitest/summary-reporter.ts'],
  },
});
