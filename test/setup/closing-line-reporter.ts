import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints the run's counts as one plain line ("Tests: 915 passed, 0 failed, 2 skipped") after vitest's own
 * summary. CI tells a run that executed tests from one that executed none by such a closing line (README,
 * "Testing"); vitest's summary is coloured and laid out in columns, which it does not read.
 */
export default class ClosingLineReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const testModule of testModules) {
      const tests = [...testModule.children.allTests()];
      // A file that failed before any of its tests ran (its import, a hook) counts as one failure.
      if (tests.length === 0 && testModule.state() === 'failed') counts.failed += 1;
      for (const test of tests) {
        const state = test.result().state;
        if (state === 'passed') counts.passed += 1;
        else if (state === 'failed') counts.failed += 1;
        else counts.skipped += 1;
      }
    }
    counts.failed += unhandledErrors.length;
    process.stdout.write(`\nTests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  }
}
