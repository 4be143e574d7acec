import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'tools/**/*.test.ts'],
    testTimeout: 30000,
    reporters: ['default', './tools/vitest/slowest-files-reporter.ts', './tools/vitest/summary-reporter.ts'],
  },
});
