import { defineConfig } from 'vitest/config';

// Time-skipping workflow tests run last, one file at a time, when the other files are done: a test server
// skips time only while nothing runs, so a machine busy with other files makes their timers race the
// test's own steps.
const ALONE = ['test/workflow/**/*.test.ts'];

export default defineConfig({
  test: {
    globalSetup: ['test/setup/global-setup.ts'],
    // The second prints one plain "Tests: N passed, N failed" line that CI reads (README, "Testing").
    reporters: ['default', './test/setup/closing-line-reporter.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: { name: 'workflow', include: ALONE, maxWorkers: 1, sequence: { groupOrder: 2 } },
      },
      {
        // Integration files each get their own database, task queue, API and SMTP sink, so they run
        // two at a time against the one Temporal dev server of the run: most of a file's time is
        // waiting (for Temporal, timers, the network), and vitest's default on two cores is one file
        // at a time (README, "Testing", has the figures).
        extends: true,
        test: {
          name: 'rest',
          include: ['test/**/*.test.ts'],
          exclude: ALONE,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
