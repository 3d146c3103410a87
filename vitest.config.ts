import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global-setup.ts'],
    // Integration files each get their own database, task queue, API and SMTP sink, so they
    // run in parallel against the one Temporal dev server of the run.
    pool: 'forks',
    // Two files at a time even on two cores: most of an integration file's time is waiting (for
    // Temporal, timers, the network), and vitest's default there is one (cores - 1), which runs the
    // suite file by file (README, "Testing", has the figures).
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
