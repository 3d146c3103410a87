// Records one history per workflow scenario (test/workflow/scenarios.ts) into
// test/workflow/histories/<scenario>.json, for test/workflow/replay.test.ts.
//
//   npx tsx scripts/record-workflow-histories.ts               # record the scenarios that have no history yet
//   npx tsx scripts/record-workflow-histories.ts card-paid     # only these (when missing)
//   npx tsx scripts/record-workflow-histories.ts --overwrite   # re-record (all, or the named ones)
//
// Runs on the time-skipping test server from the project venv with the scenarios' stub
// activities; needs neither PostgreSQL nor the dev server.
//
// Existing histories are kept unless --overwrite is given: they stand for workflows already
// running in production. When the replay test fails after a workflow change, the change is
// what needs fixing (a `patched()` branch), not the history — re-record only when no
// workflow started by the old code can still be running (docs/workflow-versioning.md).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import {
  ALL_SCENARIOS,
  createTimeSkippingEnvironment,
  HISTORY_DIR,
  installQuietRuntime,
  runScenario,
  WORKFLOWS_PATH,
} from '../test/workflow/scenarios';
import { historyToJSONText } from '../test/workflow/history-json';

const args = process.argv.slice(2);
const overwrite = args.includes('--overwrite');
const names = args.filter((a) => !a.startsWith('--'));
const unknown = names.filter((n) => !ALL_SCENARIOS.some((s) => s.name === n));
if (unknown.length > 0) {
  console.error(`unknown scenario(s): ${unknown.join(', ')}\nknown: ${ALL_SCENARIOS.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
const selected = ALL_SCENARIOS.filter((s) => names.length === 0 || names.includes(s.name));
const todo = selected.filter((s) => overwrite || !existsSync(path.join(HISTORY_DIR, `${s.name}.json`)));
for (const s of selected) if (!todo.includes(s)) console.log(`${s.name}: kept (exists; --overwrite replaces it)`);
if (todo.length === 0) process.exit(0);

installQuietRuntime();
const noop = () => undefined;
const bundle = await bundleWorkflowCode({
  workflowsPath: WORKFLOWS_PATH,
  logger: { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop },
});
mkdirSync(HISTORY_DIR, { recursive: true });
let failed = false;
for (const scenario of todo) {
  // A fresh server per scenario: the time-skipping clock is global to a server and drifts by
  // years across runs (it skips to far-off run timeouts), which makes odd-looking histories.
  const env = await createTimeSkippingEnvironment();
  try {
    const run = await runScenario(env, scenario, { workflowBundle: bundle });
    const file = path.join(HISTORY_DIR, `${scenario.name}.json`);
    writeFileSync(file, historyToJSONText(run.history));
    const outcome = run.result ?? 'terminated';
    console.log(
      `${scenario.name}: ${outcome}, ${run.history.events?.length ?? 0} events → ${path.relative(process.cwd(), file)}`,
    );
  } catch (error) {
    failed = true;
    console.error(`${scenario.name}: FAILED`, error);
  } finally {
    await env.teardown();
  }
}
process.exit(failed ? 1 : 0);
