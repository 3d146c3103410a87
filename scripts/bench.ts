// `npm run bench`: load generator, baselines and a report for the order orchestrator.
// See docs/performance.md for the method, the flags and the figures.
//
//   npm run bench -- --smoke                                   quick check (< 60 s)
//   npm run bench -- --mode open --rate 25 --duration 300      sustained open-loop run
//   npm run bench -- --mode closed --concurrency 32 --duration 60
//   npm run bench -- --waiting 10000                           worker RSS with orders waiting
//
// By default it starts its own stack (the launcher, fresh DATA_DIR, free ports, LOG_LEVEL=warn;
// DATABASE_URL → a fresh bench_<ts> database on that server, dropped at the end; else the
// embedded PostgreSQL). BENCH_API_URL + BENCH_API_KEY use a running stack instead.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import pg from 'pg';
import { checkIntegrity, type IntegrityReport } from './bench/check';
import { summariseProfiles } from './bench/cpuprofile';
import {
  type LoadOptions,
  type LoadResult,
  type LoadTarget,
  payWaitingOrders,
  runLoad,
  setupCatalogue,
} from './bench/load';
import { measureShape, type MeasuredShape, type NoopResult, runNoopBaseline } from './bench/noop-baseline';
import { MINIMAL_DURABLE_SHAPE, REFERENCE_SHAPE_2F583ED } from './bench/reference-shapes';
import {
  clockTicks,
  cpuDelta,
  type MachineSnapshot,
  memory,
  type RolePids,
  snapshotCpu,
  snapshotMachine,
  stackCpuSeconds,
  waitForQuiet,
} from './bench/proc';
import { startBenchStack } from './bench/stack';
import { fixed, ms, sleep } from './bench/stats';
import { startSyncBaseline } from './bench/sync-baseline';

const { values: flags } = parseArgs({
  options: {
    mode: { type: 'string', default: 'open' },
    rate: { type: 'string', default: '25' },
    duration: { type: 'string', default: '60' },
    concurrency: { type: 'string', default: '32' },
    'invoice-share': { type: 'string', default: '0.2' },
    smoke: { type: 'boolean', default: false },
    waiting: { type: 'string' },
    // --waiting: paying stops starting new payments after this many seconds.
    'pay-seconds': { type: 'string', default: '900' },
    'poll-ms': { type: 'string', default: '0' },
    'order-timeout': { type: 'string', default: '120' },
    warmup: { type: 'string', default: '10' },
    'warm-seconds': { type: 'string', default: '30' },
    baselines: { type: 'boolean', default: true },
    'no-baselines': { type: 'boolean', default: false },
    'baseline-duration': { type: 'string', default: '30' },
    'no-idempotency-key': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    'noop-local': { type: 'boolean', default: false },
    json: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

if (flags.help) {
  console.log(`npm run bench -- [--mode open|closed] [--rate 25] [--duration 60] [--concurrency 32]
  [--invoice-share 0.2] [--smoke] [--waiting N [--pay-seconds 900]] [--poll-ms 0] [--order-timeout 120] [--warmup 10]
  [--warm-seconds 30] [--no-baselines] [--baseline-duration 30] [--noop-local] [--no-idempotency-key] [--cpu-prof]
  [--json file]
env: DATABASE_URL (server for a fresh bench_<ts> database), BENCH_API_URL + BENCH_API_KEY (use a running stack),
     BENCH_TEMPORAL_ADDRESS (its Temporal, for baseline a), BENCH_LOG_LEVEL (stack log level, default warn)`);
  process.exit(0);
}

const num = (name: string, value: string | undefined) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number (got ${value})`);
  return n;
};

const smoke = flags.smoke;
const waiting = flags.waiting === undefined ? undefined : num('waiting', flags.waiting);
const mode = (smoke || waiting !== undefined ? 'closed' : flags.mode) as 'open' | 'closed';
if (mode !== 'open' && mode !== 'closed') throw new Error('--mode must be open or closed');
const rate = num('rate', flags.rate);
const durationS = smoke ? 60 : waiting !== undefined ? 3600 : num('duration', flags.duration);
const concurrency = Math.max(1, Math.floor(num('concurrency', smoke ? '4' : flags.concurrency)));
const invoiceShare = waiting !== undefined ? 0 : Math.min(1, num('invoice-share', flags['invoice-share']));
const pollMs = num('poll-ms', flags['poll-ms']);
const baselines = flags.baselines && !flags['no-baselines'] && waiting === undefined;
const baselineDurationS = smoke ? 3 : num('baseline-duration', flags['baseline-duration']);
const warmupOrders = smoke ? 2 : Math.floor(num('warmup', flags.warmup));
// Seconds of the measured load itself before the measurement starts (steady state: docs/performance.md, twelfth pass).
const warmSeconds = smoke || waiting !== undefined ? 0 : num('warm-seconds', flags['warm-seconds']);
const baselineWarmSeconds = Math.min(warmSeconds, baselineDurationS);

const ts = Date.now().toString(36);
const log = (line: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);

try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // installed already
}

async function main(): Promise<void> {
  const started = Date.now();
  const profDir = flags['cpu-prof'] ? mkdtempSync(path.join(os.tmpdir(), 'orders-bench-prof-')) : undefined;
  log(`starting the stack${process.env.BENCH_API_URL ? ` (using ${process.env.BENCH_API_URL})` : ''}…`);
  const stack = await startBenchStack({ log, cpuProfDir: profDir });
  let exitCode = 0;
  const stopStack = async () => {
    log('stopping the stack…');
    await stack.stop();
  };
  process.once('SIGINT', () => void stopStack().then(() => process.exit(130)));
  try {
    const target = { apiUrl: stack.apiUrl, apiKey: stack.apiKey };
    const { occurrenceId } = await setupCatalogue(target, ts);
    log(`catalogue: occurrence ${occurrenceId} (capacity 2e9)`);

    const baseLoad: Omit<LoadOptions, 'tag'> = {
      mode,
      rate,
      durationS,
      concurrency,
      invoiceShare,
      pollMs,
      orderTimeoutMs: num('order-timeout', flags['order-timeout']) * 1000,
      sendIdempotencyKey: !flags['no-idempotency-key'],
      onProgress: (line) => log(line),
    };

    // Warm-up: JIT, the worker's workflow bundle, connection pools. Not measured.
    log(`warm-up: ${warmupOrders} orders`);
    const warm = await runLoad(target, occurrenceId, {
      ...baseLoad,
      mode: 'closed',
      concurrency: Math.min(4, Math.max(1, warmupOrders)),
      maxOrders: Math.max(1, warmupOrders),
      invoiceShare: 0.25,
      durationS: 180,
      tag: `bench${ts}w`,
      onProgress: undefined,
    });
    if (warm.completed === 0)
      throw new Error(
        `warm-up: no order completed (${JSON.stringify(warm.errors.toObject())})\n${stack.logTail().slice(-3000)}`,
      );

    // The shape of a real card order, for baseline (a).
    let measured: MeasuredShape | undefined;
    const cardWarm = warm.outcomes.find((o) => o.kind === 'card' && o.completed && o.id);
    if (baselines && stack.temporalAddress && cardWarm?.id) {
      const workflowId = await workflowIdOf(stack.databaseUrl, cardWarm.id);
      measured = await measureShape(stack.temporalAddress, process.env.TEMPORAL_NAMESPACE ?? 'default', workflowId);
    }

    const pids = stack.pids();
    const warmUpFigures = warmSeconds > 0 ? await warmUp(target, occurrenceId, baseLoad, pids) : undefined;
    const tag = waiting !== undefined ? `bench${ts}p` : `bench${ts}m`;
    const what =
      waiting !== undefined
        ? `${waiting} card orders left waiting for payment, ${concurrency} clients`
        : smoke
          ? `smoke: ${concurrency} clients, 8 orders`
          : mode === 'open'
            ? `open loop ${rate}/s for ${durationS} s`
            : `closed loop ${concurrency} clients for ${durationS} s`;
    log(`measuring: ${what}, invoice share ${invoiceShare}`);
    // --waiting: the worker's RSS as the waiting orders pile up (its workflow cache fills).
    const rssTrail: string[] = [];
    const rssTimer =
      waiting !== undefined && pids.worker
        ? setInterval(() => {
            const m = memory(pids.worker!);
            if (m) rssTrail.push(`${(m.rss / 1024 ** 2).toFixed(0)}`);
          }, 10_000)
        : undefined;
    const before = snapshotCpu(pids);
    const machineBefore = snapshotMachine();
    const load = await runLoad(target, occurrenceId, {
      ...baseLoad,
      tag,
      ...(waiting !== undefined ? { createOnly: true, maxOrders: waiting } : {}),
      ...(smoke ? { maxOrders: 8 } : {}),
    });
    const after = snapshotCpu(pids);
    if (rssTimer) {
      clearInterval(rssTimer);
      log(`worker RSS every 10 s while creating (MiB): ${rssTrail.join(' ')}`);
    }
    const machineAfter = snapshotMachine();
    let memAfter = pids.worker ? memory(pids.worker) : undefined;
    if (waiting !== undefined && pids.worker) {
      log('waiting 10 s for the worker to settle, then reading its RSS');
      await sleep(10_000);
      memAfter = memory(pids.worker);
    }
    const integrity = await checkIntegrity(
      target,
      stack.databaseUrl,
      tag,
      load,
      waiting !== undefined ? 'awaiting_payment' : 'completed',
    );
    const mainInput = {
      what,
      load,
      integrity,
      cpu: cpuDelta(before, after),
      machine: [machineBefore, machineAfter] as [MachineSnapshot, MachineSnapshot],
      memAfter,
      pids,
    };
    // The run's own figures first: a baseline that fails cannot lose them.
    console.log(mainLines(mainInput).join('\n'));

    let sync: LoadResult | undefined;
    let noop: NoopResult | undefined;
    let noopLocal: NoopResult | undefined;
    const fixedShapes: { label: string; shape: MeasuredShape; result: NoopResult }[] = [];
    if (baselines) {
      log(`baselines: waited ${fixed(await waitForQuiet(pids), 0)} s for the stack to go idle`);
      if (stack.databaseUrl) {
        log(
          `baseline (b): synchronous create without Temporal, ` +
            `${mode === 'open' ? `${rate}/s` : `${concurrency} clients`}, ${baselineDurationS} s`,
        );
        const server = await startSyncBaseline({
          databaseUrl: stack.databaseUrl,
          apiKey: stack.apiKey,
          publicBaseUrl: stack.apiUrl,
        });
        try {
          const syncOptions = {
            ...baseLoad,
            tag: `bench${ts}s`,
            createOnly: true,
            createUrl: server.url,
            durationS: baselineDurationS,
            onProgress: (line: string) => line.startsWith('first error') && log(`baseline (b) ${line}`),
          };
          await runLoad(target, occurrenceId, {
            ...syncOptions,
            tag: `bench${ts}t`,
            ...(baselineWarmSeconds > 0
              ? { durationS: baselineWarmSeconds, invoiceShare: 0 }
              : { mode: 'closed', concurrency: 2, maxOrders: 20 }),
          }); // warm-up
          sync = await runLoad(target, occurrenceId, {
            ...syncOptions,
            invoiceShare: 0,
            ...(smoke ? { maxOrders: 10 } : {}),
          });
        } finally {
          await server.stop();
        }
      } else {
        log("baseline (b) skipped: the stack's DATABASE_URL is not known");
      }
      if (measured && stack.temporalAddress) {
        await waitForQuiet(pids);
        log(`baseline (a): no-op workflow of the same shape, ${concurrency} clients, ${baselineDurationS} s`);
        noop = await runNoopBaseline({
          temporalAddress: stack.temporalAddress,
          namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
          measured,
          concurrency,
          durationS: baselineDurationS,
          warmupS: baselineWarmSeconds,
          log,
          snapshotCpu: () => snapshotCpu(pids),
        });
        if (flags['noop-local']) {
          await waitForQuiet(pids);
          log("baseline (a′): the same no-op workflow with the update's three activities as local activities");
          noopLocal = await runNoopBaseline({
            temporalAddress: stack.temporalAddress,
            namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
            measured,
            concurrency,
            durationS: baselineDurationS,
            warmupS: baselineWarmSeconds,
            log,
            snapshotCpu: () => snapshotCpu(pids),
            localUpdate: true,
          });
        }
      } else {
        log('baseline (a) skipped: no Temporal address or no completed card order to copy the shape from');
      }
      // Fixed shapes, the same in every run (scripts/bench/reference-shapes.ts).
      for (const [label, shape] of [
        ['(a-ref) the order as the performance issue found it (2f583ed)', REFERENCE_SHAPE_2F583ED],
        ['(a-min) the smallest durable order', MINIMAL_DURABLE_SHAPE],
      ] as const) {
        if (!stack.temporalAddress) break;
        await waitForQuiet(pids);
        log(`baseline ${label}: no-op, ${shape.historyEvents} events, ${concurrency} clients, ${baselineDurationS} s`);
        const result = await runNoopBaseline({
          temporalAddress: stack.temporalAddress,
          namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
          measured: shape,
          concurrency,
          durationS: baselineDurationS,
          warmupS: baselineWarmSeconds,
          log,
          snapshotCpu: () => snapshotCpu(pids),
        });
        fixedShapes.push({ label, shape, result });
      }
    }

    if (waiting !== undefined) {
      // The second half of --waiting: every waiting order is paid now. They waited long enough to
      // leave the worker's workflow cache (bounded), so each is replayed from its history first.
      log(`paying the ${load.created} waiting orders, ${concurrency} clients`);
      const paidBefore = snapshotCpu(pids);
      const paid = await payWaitingOrders(target, load.outcomes, {
        concurrency,
        maxSeconds: num('pay-seconds', flags['pay-seconds']),
        onProgress: log,
      });
      const paidCpu = cpuDelta(paidBefore, snapshotCpu(pids));
      const paidCpuTotal = stackCpuSeconds(paidCpu);
      const paidIntegrity = await checkIntegrity(target, stack.databaseUrl, tag, load, 'completed');
      const rssAfterPaying = pids.worker ? memory(pids.worker) : undefined;
      console.log(
        [
          `paid the waiting orders: ${paid.completed} of ${paid.paid} completed in ${fixed(paid.seconds, 1)} s = ` +
            `${fixed(paid.completed / paid.seconds)} completed orders/s; page load → completed p50 ` +
            `${ms(paid.payToCompleted.percentile(50))} p99 ${ms(paid.payToCompleted.percentile(99))}; errors ` +
            `${JSON.stringify(paid.errors.toObject())}`,
          `  stack CPU while paying: ${fixed((1000 * paidCpuTotal) / Math.max(1, paid.completed), 1)} ms per order`,
          `  integrity: ${JSON.stringify(paidIntegrity.byStatus)}; lost ${paidIntegrity.lost}, duplicated ` +
            `${paidIntegrity.duplicated}`,
          `  worker RSS after paying: ${rssAfterPaying ? `${(rssAfterPaying.rss / 1024 ** 2).toFixed(0)} MiB` : '?'}`,
        ].join('\n'),
      );
      if (paidIntegrity.lost > 0 || paidIntegrity.duplicated > 0) exitCode = 1;
    }
    const report = printReport({ ...mainInput, sync, noop, noopLocal, fixedShapes, measured });
    if (flags.json) {
      const json = { args: flags, warmSeconds, warmUp: warmUpFigures, ...report };
      writeFileSync(flags.json, `${JSON.stringify(json, null, 2)}\n`);
    }
    if (integrity.lost > 0 || integrity.duplicated > 0) exitCode = 1;
    log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s (stack included)`);
  } catch (error) {
    console.error(error instanceof Error ? error.stack : error);
    exitCode = 1;
  } finally {
    await stopStack();
    if (profDir) {
      console.log(`\nCPU profiles (${profDir}):\n${summariseProfiles(profDir)}`);
      if (!process.env.BENCH_KEEP_PROFILES) rmSync(profDir, { recursive: true, force: true });
    }
  }
  process.exit(exitCode);
}

/**
 * Runs the measured load for --warm-seconds and prints what it did: a freshly started Node process runs its code in
 * V8's interpreter until the optimising compiler has caught up, which takes tens of seconds at this load, and a
 * running deployment has long passed that. The line keeps the cold start visible.
 */
async function warmUp(
  target: LoadTarget,
  occurrenceId: string,
  baseLoad: Omit<LoadOptions, 'tag'>,
  pids: RolePids,
): Promise<WarmUpFigures> {
  log(`warm-up at the measured load for ${warmSeconds} s (not counted; --warm-seconds 0 measures from a cold start)`);
  const before = snapshotCpu(pids);
  const load = await runLoad(target, occurrenceId, {
    ...baseLoad,
    durationS: warmSeconds,
    tag: `bench${ts}u`,
    onProgress: undefined,
  });
  const cpu = cpuDelta(before, snapshotCpu(pids));
  // No order completed: lastDone was never set.
  const seconds = load.completed > 0 ? (load.lastDone - load.t0) / 1000 : warmSeconds;
  const stack = stackCpuSeconds(cpu);
  const figures: WarmUpFigures = {
    seconds,
    completed: load.completed,
    perSecond: load.completed / seconds,
    perTenSeconds: load.timeline.map((n) => n / 10),
    stackCpuMsPerOrder: (1000 * stack) / Math.max(1, load.completed),
    createP99Ms: load.createLatency.percentile(99),
    errors: load.errors.toObject(),
  };
  console.log(
    `warm-up (cold start, not counted): ${load.completed} completed in ${fixed(seconds, 1)} s = ` +
      `${fixed(figures.perSecond)} orders/s, per 10 s window ` +
      `${figures.perTenSeconds.map((n) => fixed(n, 1)).join(' ')}; stack CPU ` +
      `${fixed(figures.stackCpuMsPerOrder, 1)} ms per order; create p99 ` +
      `${ms(figures.createP99Ms)}; errors ${JSON.stringify(figures.errors)}`,
  );
  return figures;
}

interface WarmUpFigures {
  seconds: number;
  completed: number;
  perSecond: number;
  perTenSeconds: number[];
  stackCpuMsPerOrder: number;
  createP99Ms: number;
  errors: Record<string, number>;
}

async function workflowIdOf(databaseUrl: string | undefined, orderId: string): Promise<string> {
  if (!databaseUrl) return `order-${process.env.BENCH_TENANT_SLUG ?? 'demo'}-?`;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ workflow_id: string }>('SELECT workflow_id FROM orders WHERE id = $1', [
      orderId,
    ]);
    return rows[0]!.workflow_id;
  } finally {
    await client.end();
  }
}

function mainLines(input: {
  what: string;
  load: LoadResult;
  integrity: IntegrityReport;
  cpu: Record<string, number>;
  machine: [MachineSnapshot, MachineSnapshot];
  memAfter?: { rss: number; hwm: number };
  pids: { api?: number; temporal?: number };
}) {
  const { load, integrity, cpu } = input;
  const seconds = (load.lastDone - load.t0) / 1000;
  const done = waiting !== undefined ? load.created : load.completed;
  const perSecond = done / seconds;
  const steady = load.timeline.slice(1, -1);
  const gib = (b: number) => `${(b / 1024 ** 3).toFixed(3)} GiB (${(b / 1024 ** 2).toFixed(0)} MiB)`;
  const out: string[] = [];
  out.push('', `━━ ${input.what} ━━`);
  out.push(
    `orders: ${load.attempted} started, ${load.created} created (201), ${load.completed} ` +
      `completed; ${load.errors.total} errors ${JSON.stringify(load.errors.toObject())}`,
  );
  out.push(
    `create latency (from scheduled start): p50 ${ms(load.createLatency.percentile(50))}  ` +
      `p95 ${ms(load.createLatency.percentile(95))}  p99 ` +
      `${ms(load.createLatency.percentile(99))}  max ${ms(load.createLatency.max())}`,
  );
  out.push(
    `create latency (from send):            p50 ` +
      `${ms(load.createServiceLatency.percentile(50))}  p95 ` +
      `${ms(load.createServiceLatency.percentile(95))}  p99 ` +
      `${ms(load.createServiceLatency.percentile(99))}`,
  );
  if (waiting === undefined) {
    out.push(
      `end-to-end latency: p50 ${ms(load.e2eLatency.percentile(50))}  p99 ` +
        `${ms(load.e2eLatency.percentile(99))}  (card p50 ${ms(load.e2eCard.percentile(50))} ` +
        `p99 ${ms(load.e2eCard.percentile(99))}; invoice p50 ` +
        `${ms(load.e2eInvoice.percentile(50))} p99 ${ms(load.e2eInvoice.percentile(99))})`,
    );
  }
  out.push(
    `throughput: ${fixed(perSecond)} ${waiting === undefined ? 'completed' : 'created'} orders/s ` +
      `over ${fixed(seconds, 1)} s${mode === 'open' && waiting === undefined ? ` (offered ${rate}/s)` : ''}` +
      (steady.length
        ? `; per 10 s window min ${fixed(Math.min(...steady) / 10, 1)}/s max ${fixed(Math.max(...steady) / 10, 1)}/s`
        : ''),
  );
  out.push(
    `status requests: ${load.polls} (${fixed(load.polls / Math.max(1, done), 1)} per order, ` +
      `${pollMs === 0 ? 'long poll' : `every ${pollMs} ms`}); ` +
      `open-loop scheduler lag max ${ms(load.maxSchedulerLagMs)}`,
  );
  out.push(
    `integrity (${integrity.source}): ${JSON.stringify(integrity.byStatus)}; acknowledged ` +
      `${integrity.acknowledged}, lost ${integrity.lost}, duplicated ` +
      `${integrity.duplicated}, unacknowledged rows ${integrity.unacknowledged}`,
  );
  if (integrity.lostIds.length) out.push(`  lost: ${integrity.lostIds.slice(0, 10).join(', ')}`);
  if (integrity.duplicateDetail.length) out.push(`  duplicated: ${integrity.duplicateDetail.slice(0, 10).join(', ')}`);
  const cpuLine = Object.entries(cpu)
    .map(([role, s]) => `${role} ${fixed(s, 1)} s = ${fixed((1000 * s) / Math.max(1, done), 1)} ms/order`)
    .join('; ');
  out.push(`CPU (utime+stime from /proc, CLK_TCK ${clockTicks()}): ${cpuLine}`);
  const total = stackCpuSeconds(cpu);
  out.push(
    `CPU total (the stack: every process but the bench) ${fixed(total, 1)} s over ${fixed(seconds, 1)} s wall = ` +
      `${fixed(total / seconds, 2)} cores busy (of ${os.cpus().length}); ` +
      `${fixed((1000 * total) / Math.max(1, done), 1)} ms CPU per order; the bench apart ` +
      `${fixed((1000 * (cpu.bench ?? 0)) / Math.max(1, done), 1)} ms per order`,
  );
  const machine = machineUse(input.machine, cpu);
  out.push(
    `machine: ${fixed(machine.busyCores, 2)} cores busy in all, ` +
      `${fixed(machine.otherCores, 2)} of them outside the stack and the bench; CPU pressure ` +
      `(some) ${fixed(machine.pressurePercent, 0)}% of the time`,
  );
  if (input.memAfter) out.push(`worker memory: RSS ${gib(input.memAfter.rss)}, peak ${gib(input.memAfter.hwm)}`);
  for (const role of ['api', 'temporal'] as const) {
    const pid = input.pids[role];
    const m = pid ? memory(pid) : undefined;
    if (m) out.push(`${role} memory: RSS ${gib(m.rss)}, peak ${gib(m.hwm)}`);
  }
  return out;
}

function printReport(input: {
  what: string;
  load: LoadResult;
  integrity: IntegrityReport;
  cpu: Record<string, number>;
  machine: [MachineSnapshot, MachineSnapshot];
  memAfter?: { rss: number; hwm: number };
  sync?: LoadResult;
  noop?: NoopResult;
  noopLocal?: NoopResult;
  fixedShapes?: { label: string; shape: MeasuredShape; result: NoopResult }[];
  measured?: MeasuredShape;
  pids: { api?: number; temporal?: number };
}) {
  const { load, integrity, cpu, sync, noop, measured } = input;
  const seconds = (load.lastDone - load.t0) / 1000;
  const perSecond = (waiting !== undefined ? load.created : load.completed) / seconds;
  const machine = machineUse(input.machine, cpu);
  const done = waiting !== undefined ? load.created : load.completed;
  // Every process, the bench included: in a no-op baseline the bench's process is the worker and the client.
  const orderCpuMs = (1000 * Object.values(cpu).reduce((a, s) => a + s, 0)) / Math.max(1, done);
  const out: string[] = ['', `━━ baselines (${input.what}) ━━`];
  const ratios: Record<string, number> = {};
  if (measured) {
    out.push(
      `order workflow shape: ${measured.activityCount} activities, ${measured.upserts} ` +
        `upserts, ${measured.timers} timer(s), ${measured.signals} signal(s), ` +
        `${measured.historyEvents} history events; payloads start ${measured.startBytes} B, ` +
        `update ${measured.updateArgBytes} B → ${measured.shape.updateResultBytes} B, signal ` +
        `${measured.signalBytes} B`,
    );
  }
  if (noop) {
    ratios.throughputVsNoop = perSecond / noop.perSecond;
    out.push(
      `baseline (a) no-op workflow: ${fixed(noop.perSecond)} workflows/s (${noop.completed} ` +
        `in ${fixed(noop.seconds, 1)} s, ${concurrency} clients), update p50 ` +
        `${ms(noop.updateLatency.percentile(50))} p99 ` +
        `${ms(noop.updateLatency.percentile(99))}, e2e p50 ` +
        `${ms(noop.e2eLatency.percentile(50))}, errors ${noop.errors.total}`,
    );
    out.push(
      `  ratio orders/s ÷ no-op workflows/s = ${fixed(ratios.throughputVsNoop)} (target ≥ ` +
        `0.8${mode === 'open' ? '; open loop: our rate is capped by the offered rate' : ''})`,
    );
    const noopCpu = noopCpuLine(noop, orderCpuMs);
    if (noopCpu) out.push(noopCpu);
  }
  if (input.noopLocal) {
    const l = input.noopLocal;
    out.push(
      `baseline (a′) no-op, update activities local: ${fixed(l.perSecond)} workflows/s, ` +
        `update p50 ${ms(l.updateLatency.percentile(50))} p99 ` +
        `${ms(l.updateLatency.percentile(99))}, e2e p50 ${ms(l.e2eLatency.percentile(50))}, ` +
        `errors ${l.errors.total}`,
    );
  }
  for (const { label, shape, result } of input.fixedShapes ?? []) {
    out.push(
      `baseline ${label}: ${shape.activityCount} activities, ${shape.upserts} upserts, ${shape.timers} timer(s), ` +
        `≈ ${shape.historyEvents} events: ${fixed(result.perSecond)} workflows/s, update p50 ` +
        `${ms(result.updateLatency.percentile(50))}, e2e p50 ${ms(result.e2eLatency.percentile(50))}, errors ` +
        `${result.errors.total}; ratio orders/s ÷ its workflows/s = ${fixed(perSecond / result.perSecond)}`,
    );
    const shapeCpu = noopCpuLine(result, orderCpuMs);
    if (shapeCpu) out.push(shapeCpu);
  }
  if (sync) {
    ratios.createP50VsSync = load.createLatency.percentile(50) / sync.createLatency.percentile(50);
    out.push(
      `baseline (b) synchronous create: p50 ${ms(sync.createLatency.percentile(50))} p95 ` +
        `${ms(sync.createLatency.percentile(95))} p99 ` +
        `${ms(sync.createLatency.percentile(99))} (${sync.created} creates, errors ` +
        `${sync.errors.total})`,
    );
    out.push(`  ratio create p50 ÷ synchronous p50 = ${fixed(ratios.createP50VsSync)} (target ≤ 3)`);
  }
  console.log(out.join('\n'));
  return {
    what: input.what,
    orders: {
      attempted: load.attempted,
      created: load.created,
      completed: load.completed,
      errors: load.errors.toObject(),
    },
    createMs: {
      p50: load.createLatency.percentile(50),
      p95: load.createLatency.percentile(95),
      p99: load.createLatency.percentile(99),
    },
    e2eMs: { p50: load.e2eLatency.percentile(50), p99: load.e2eLatency.percentile(99) },
    perSecond,
    seconds,
    timeline: load.timeline,
    integrity,
    cpuSeconds: cpu,
    machineBusyCores: machine.busyCores,
    otherCores: machine.otherCores,
    workerMemory: input.memAfter,
    noop: noop && { perSecond: noop.perSecond, updateP50: noop.updateLatency.percentile(50) },
    sync: sync && { p50: sync.createLatency.percentile(50), p99: sync.createLatency.percentile(99) },
    ratios,
  };
}

/** How busy the machine was between two snapshots, and how much of it was neither the stack nor the bench. */
function machineUse([m0, m1]: [MachineSnapshot, MachineSnapshot], cpu: Record<string, number>) {
  const wall = (m1.at - m0.at) / 1000;
  const busy = m1.busySeconds - m0.busySeconds;
  const others = Math.max(0, busy - stackCpuSeconds(cpu) - (cpu.bench ?? 0));
  return {
    busyCores: busy / wall,
    otherCores: others / wall,
    pressurePercent: (100 * (m1.pressureSomeUs - m0.pressureSomeUs)) / 1e6 / wall,
  };
}

/**
 * What a no-op baseline cost per workflow, against what the order cost. With both saturating the same cores the
 * throughput ratio is about the inverse of their CPU ratio, so this says how much of the order's own work (the
 * API, PostgreSQL, the activities) a ratio would leave room for.
 */
function noopCpuLine(result: NoopResult, orderCpuMs: number): string | undefined {
  if (!result.cpu || result.completed === 0) return undefined;
  const perWorkflow = (seconds = 0) => (1000 * seconds) / result.completed;
  const all = perWorkflow(Object.values(result.cpu).reduce((a, s) => a + s, 0));
  const temporal = perWorkflow(result.cpu.temporal);
  const bench = perWorkflow(result.cpu.bench);
  return (
    `  CPU per workflow, every process: ${fixed(all, 1)} ms (Temporal ${fixed(temporal, 1)}, the bench's worker ` +
    `and client ${fixed(bench, 1)}, the idle stack ${fixed(all - temporal - bench, 1)}); the order ` +
    `${fixed(orderCpuMs, 1)} ms, ${fixed(orderCpuMs - all, 1)} ms more; a ratio of 0.8 needs the order at ≤ ` +
    `${fixed(all / 0.8, 1)} ms`
  );
}

void main();
