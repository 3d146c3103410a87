// CPU of the order workflow's own code per order, without a server or a database (docs/performance.md, seventh
// pass): replays a committed history (test/workflow/histories) many times in one replay worker and reports the
// process's CPU per replay and the threads that spent it. A replay runs every activation the live order ran, in
// the same sandbox, with the SDK's promise hook; it is the workflow thread's share of an order, measured alone.
// Run: npx tsx scripts/bench/workflow-replay.ts [replays=300] [history=card-paid.json]
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { historyFromJSONText } from '../../test/workflow/history-json';

const replays = Number(process.argv[2] ?? 300);
const file = process.argv[3] ?? 'card-paid.json';
const root = path.resolve(import.meta.dirname, '../..');
const history = historyFromJSONText(readFileSync(path.join(root, 'test/workflow/histories', file), 'utf8'));

Runtime.install({ logger: new DefaultLogger('ERROR') });
const bundle = await bundleWorkflowCode({
  workflowsPath: path.join(root, 'workflows/index.ts'),
  logger: new DefaultLogger('ERROR'),
});

/** utime + stime of each thread of this process, in clock ticks, by "tid name". */
function threadTicks(): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const fields = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      const name = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
      ticks.set(`${tid} ${name}`, Number(fields[11]) + Number(fields[12]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return ticks;
}

async function replay(count: number): Promise<void> {
  const histories = Array.from({ length: count }, (_, i) => ({ workflowId: `replay-${i}`, history }));
  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle, replayName: 'bench' }, histories)) {
    if (result.error) throw result.error;
  }
}

await replay(50); // warm-up: JIT, the sandbox
const before = threadTicks();
const cpu0 = process.cpuUsage();
const started = performance.now();
await replay(replays);
const wallMs = performance.now() - started;
const cpu = process.cpuUsage(cpu0);
const threads = [...threadTicks()]
  .map(([thread, ticks]) => [thread, ((ticks - (before.get(thread) ?? 0)) * 10) / replays] as const)
  .filter(([, ms]) => ms > 0.05)
  .sort((a, b) => b[1] - a[1]);
console.log(
  `${file}: ${replays} replays, ${(wallMs / replays).toFixed(2)} ms wall and ` +
    `${((cpu.user + cpu.system) / 1000 / replays).toFixed(2)} ms CPU per replay`,
);
console.log(`by thread (ms per replay): ${threads.map(([t, ms]) => `${t} ${ms.toFixed(2)}`).join(', ')}`);
process.exit(0);
