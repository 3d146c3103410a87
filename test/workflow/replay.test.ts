import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type ReplayResult, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { historyFromJSONText } from './history-json';
import { ALL_SCENARIOS, HISTORY_DIR, installQuietRuntime } from './scenarios';

// Replays every committed history (test/workflow/histories/*.json, written by
// scripts/record-workflow-histories.ts from the scenarios) against the current workflow code.
// A failure means a workflow started by the previous code would break on the new one: guard
// the change with `patched()` instead of re-recording the history (docs/workflow-versioning.md).

const files = readdirSync(HISTORY_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const historyOf = (file: string) => historyFromJSONText(readFileSync(path.join(HISTORY_DIR, file), 'utf8'));
const nameOf = (file: string) => path.basename(file, '.json');

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

installQuietRuntime();

describe('committed workflow histories', () => {
  const results = new Map<string, ReplayResult>();

  beforeAll(async () => {
    const replay = Worker.runReplayHistories(
      { workflowBundle: { codePath: inject('workflowBundlePath') }, replayName: 'order-workflow-replay' },
      files.map((file) => ({ workflowId: nameOf(file), history: historyOf(file) })),
    );
    for await (const result of replay) results.set(result.workflowId, result);
  });

  it('has one history per scenario (record missing ones with scripts/record-workflow-histories.ts)', () => {
    expect(files.map(nameOf)).toEqual(expect.arrayContaining(ALL_SCENARIOS.map((s) => s.name)));
  });

  it.each(files)('%s replays deterministically on the current workflow code', (file) => {
    const result = results.get(nameOf(file));
    expect(result, `${file} was not replayed`).toBeDefined();
    expect(result!.error).toBeUndefined();
  });
});

describe('the replay check itself', () => {
  it('fails with a DeterminismViolationError when the workflow changes its command order', async () => {
    const bundle = await bundleWorkflowCode({
      workflowsPath: path.resolve(import.meta.dirname, 'fixtures/changed-workflow.ts'),
      logger: quietLogger,
    });
    const replay = Worker.runReplayHistory(
      { workflowBundle: bundle, replayName: 'changed-workflow-replay' },
      historyOf('card-paid.json'),
      'card-paid',
    );
    await expect(replay).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
