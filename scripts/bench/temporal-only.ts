// Experiment: the no-op baseline alone against a Temporal dev server started with the launcher's
// arguments (optionally changed), to separate Temporal + SDK costs from the application's.
//   npx tsx scripts/bench/temporal-only.ts [--shape reference|current|minimal] [--local-all]
//     [--memory] [--concurrency 8] [--duration 15]
//     [--extra "--dynamic-config-value k=v"]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { findFreePort, isPortOpen } from '../../runtime/free-port';
import { resolveTemporalCli } from '../../runtime/temporal-binaries';
import { DEV_SERVER_DYNAMIC_CONFIG, devServerEnv } from '../../runtime/temporal-dev-server';
import { SEARCH_ATTRIBUTE_REGISTRATIONS } from '../../workflows/search-attributes';
import { type MeasuredShape, runNoopBaseline } from './noop-baseline';
import { CURRENT_REMOTE_SHAPE, MINIMAL_DURABLE_SHAPE, REFERENCE_SHAPE_2F583ED } from './reference-shapes';
import { cpuSeconds } from './proc';
import { fixed, ms } from './stats';

const { values } = parseArgs({
  options: {
    memory: { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '8' },
    duration: { type: 'string', default: '15' },
    extra: { type: 'string', default: '' },
    pragma: { type: 'string', default: 'journal_mode=wal,synchronous=normal' },
    local: { type: 'boolean', default: false },
    'local-all': { type: 'boolean', default: false },
    shape: { type: 'string', default: 'current' },
    'worker-options': { type: 'string', default: '{}' },
  },
});
Runtime.install({ logger: new DefaultLogger('WARN') });

const cli = resolveTemporalCli({ install: false });
if (!cli) throw new Error('no temporal CLI');
const port = await findFreePort();
const dir = mkdtempSync(path.join(os.tmpdir(), 'temporal-only-'));
const args = [
  'server',
  'start-dev',
  '--ip',
  '127.0.0.1',
  '--port',
  String(port),
  '--log-level',
  'warn',
  '--namespace',
  'default',
  '--headless',
];
if (!values.memory) {
  args.push('--db-filename', path.join(dir, 'temporal.sqlite'));
  for (const p of values.pragma!.split(',').filter(Boolean)) args.push('--sqlite-pragma', p);
}
for (const [name, type] of Object.entries(SEARCH_ATTRIBUTE_REGISTRATIONS))
  args.push('--search-attribute', `${name}=${type}`);
for (const [name, value] of Object.entries(DEV_SERVER_DYNAMIC_CONFIG))
  args.push('--dynamic-config-value', `${name}=${value}`);
if (values.extra) args.push(...values.extra.split(' ').filter(Boolean));
const child = spawn(cli, args, { stdio: ['ignore', 'inherit', 'inherit'], env: devServerEnv() });
const address = `127.0.0.1:${port}`;
for (;;) {
  if (await isPortOpen(port)) {
    try {
      const c = await Connection.connect({ address, connectTimeout: 1000 });
      await c.workflowService.getSystemInfo({});
      await c.close();
      break;
    } catch {
      // not yet
    }
  }
  await new Promise((r) => setTimeout(r, 200));
}
// --shape: reference (the order as the performance issue found it), current (the order of
// 2 December 2026, as measureShape reads it from a dev-server history), minimal (the smallest
// durable order); see reference-shapes.ts.
const shapes: Record<string, MeasuredShape> = {
  reference: REFERENCE_SHAPE_2F583ED,
  current: CURRENT_REMOTE_SHAPE,
  minimal: MINIMAL_DURABLE_SHAPE,
};
const measured = shapes[values.shape!];
if (!measured) throw new Error(`--shape: one of ${Object.keys(shapes).join(', ')}`);
const cpu0 = cpuSeconds(child.pid!) ?? 0;
const self0 = process.cpuUsage();
const result = await runNoopBaseline({
  temporalAddress: address,
  namespace: 'default',
  measured,
  concurrency: Number(values.concurrency),
  durationS: Number(values.duration),
  log: console.log,
  localUpdate: values.local,
  localAll: values['local-all'],
  workerOptions: JSON.parse(values['worker-options']!),
});
const cpu1 = cpuSeconds(child.pid!) ?? 0;
const self1 = process.cpuUsage(self0);
console.log(
  `${values.memory ? 'in-memory' : `sqlite ${values.pragma}`} ` +
    `shape ${values.shape} ${values.extra}${values.local ? ' local update activities' : ''}` +
    `${values['local-all'] ? ' all activities local' : ''} ` +
    `${values['worker-options']}: ${fixed(result.perSecond)} wf/s, ` +
    `c=${values.concurrency}, update p50 ${ms(result.updateLatency.percentile(50))} p99 ` +
    `${ms(result.updateLatency.percentile(99))}, e2e p50 ` +
    `${ms(result.e2eLatency.percentile(50))}; temporal CPU ` +
    `${fixed((1000 * (cpu1 - cpu0)) / result.completed, 1)} ms/wf, bench+worker CPU ` +
    `${fixed((self1.user + self1.system) / 1000 / result.completed, 1)} ms/wf`,
);
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
rmSync(dir, { recursive: true, force: true });
process.exit(0);
