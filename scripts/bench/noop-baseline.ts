// Baseline (a): the no-op workflow of the same shape on the same Temporal server, with its own
// worker (default options, like the order worker) in the bench process, started the same way
// (Update-with-Start + one signal), driven closed-loop for its maximum throughput.
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { noopOrderWorkflow, noopPaidSignal, noopSubmitUpdate, type NoopShape, type ShapeStep } from './noop-workflow';
import { type CpuSnapshot, cpuDelta } from './proc';
import { Counter, Samples } from './stats';

export interface MeasuredShape {
  shape: NoopShape;
  startBytes: number;
  updateArgBytes: number;
  signalBytes: number;
  activityCount: number;
  upserts: number;
  timers: number;
  signals: number;
  historyEvents: number;
}

const payloadBytes = (p?: temporal.api.common.v1.IPayloads | null) =>
  (p?.payloads ?? []).reduce((sum, x) => sum + (x.data?.length ?? 0), 0);

/** Reads one completed order's history: activities, payload sizes, upserts, timer, signal. */
export async function measureShape(
  temporalAddress: string,
  namespace: string,
  workflowId: string,
): Promise<MeasuredShape> {
  const connection = await Connection.connect({ address: temporalAddress });
  try {
    const client = new Client({ connection, namespace });
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const events = history.events ?? [];
    const updateSteps: ShapeStep[] = [];
    const mainSteps: ShapeStep[] = [];
    let inUpdate = false;
    let updateDone = false;
    const measured = {
      startBytes: 0,
      updateArgBytes: 0,
      signalBytes: 0,
      updateResultBytes: 0,
      resultBytes: 0,
      upserts: 0,
      timers: 0,
      signals: 0,
      activityCount: 0,
    };
    const byScheduledId = new Map<string, { type: 'activity'; name: string; inBytes: number; outBytes: number }>();
    for (const event of events) {
      const steps = inUpdate && !updateDone ? updateSteps : mainSteps;
      if (event.workflowExecutionStartedEventAttributes) {
        measured.startBytes = payloadBytes(event.workflowExecutionStartedEventAttributes.input);
      } else if (event.workflowExecutionUpdateAcceptedEventAttributes) {
        inUpdate = true;
        measured.updateArgBytes = payloadBytes(
          event.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest?.input?.args,
        );
      } else if (event.workflowExecutionUpdateCompletedEventAttributes) {
        updateDone = true;
        measured.updateResultBytes = payloadBytes(
          event.workflowExecutionUpdateCompletedEventAttributes.outcome?.success,
        );
      } else if (event.activityTaskScheduledEventAttributes) {
        const a = event.activityTaskScheduledEventAttributes;
        const step = {
          type: 'activity' as const,
          name: a.activityType?.name ?? '?',
          inBytes: payloadBytes(a.input),
          outBytes: 0,
        };
        byScheduledId.set(String(event.eventId), step);
        steps.push(step);
        measured.activityCount += 1;
      } else if (event.markerRecordedEventAttributes?.markerName === 'core_local_activity') {
        // A local activity leaves one marker: its result, not its input (taken as the intake's size).
        const details = event.markerRecordedEventAttributes.details ?? {};
        const data = details.data?.payloads?.[0]?.data;
        const name = data ? (JSON.parse(Buffer.from(data).toString()).activity_type ?? '?') : '?';
        steps.push({ type: 'activity', name, inBytes: 400, outBytes: payloadBytes(details.result), local: true });
        measured.activityCount += 1;
      } else if (event.activityTaskCompletedEventAttributes) {
        const a = event.activityTaskCompletedEventAttributes;
        const step = byScheduledId.get(String(a.scheduledEventId));
        if (step) step.outBytes = payloadBytes(a.result);
      } else if (event.upsertWorkflowSearchAttributesEventAttributes) {
        // TemporalChangeVersion (written by patched()) is reserved: a workflow may not upsert it.
        const keys = Object.keys(
          event.upsertWorkflowSearchAttributesEventAttributes.searchAttributes?.indexedFields ?? {},
        ).filter((k) => !k.startsWith('Temporal'));
        if (keys.length) steps.push({ type: 'upsert', keys });
        measured.upserts += 1;
      } else if (event.timerStartedEventAttributes) {
        // The first timer (waiting for the submit update) is the no-op's own submit wait; the
        // timers started while waiting for the payment all belong to one wait step.
        const wait = mainSteps.find((s) => s.type === 'wait');
        if (wait) wait.timers += 1;
        else if (inUpdate) mainSteps.push({ type: 'wait', timers: 1 });
        measured.timers += 1;
      } else if (event.workflowExecutionSignaledEventAttributes) {
        measured.signalBytes = payloadBytes(event.workflowExecutionSignaledEventAttributes.input);
        measured.signals += 1;
      } else if (event.workflowExecutionCompletedEventAttributes) {
        measured.resultBytes = payloadBytes(event.workflowExecutionCompletedEventAttributes.result);
      }
    }
    return {
      shape: {
        updateSteps,
        mainSteps,
        updateResultBytes: measured.updateResultBytes,
        resultBytes: measured.resultBytes,
      },
      startBytes: measured.startBytes,
      updateArgBytes: measured.updateArgBytes,
      signalBytes: measured.signalBytes,
      activityCount: measured.activityCount,
      upserts: measured.upserts,
      timers: measured.timers,
      signals: measured.signals,
      historyEvents: events.length,
    };
  } finally {
    await connection.close();
  }
}

export interface NoopResult {
  completed: number;
  seconds: number;
  perSecond: number;
  updateLatency: Samples;
  e2eLatency: Samples;
  errors: Counter;
  /** CPU seconds by process over the measured seconds, when the caller passed `snapshotCpu`. */
  cpu?: Record<string, number>;
}

export async function runNoopBaseline(options: {
  temporalAddress: string;
  namespace: string;
  measured: MeasuredShape;
  concurrency: number;
  durationS: number;
  /** Seconds of the same load before the measurement (as the order bench's --warm-seconds). */
  warmupS?: number;
  log: (line: string) => void;
  localUpdate?: boolean;
  localAll?: boolean;
  workerOptions?: Record<string, number>;
  /** Reads the CPU of the stack's processes and the bench (whose process runs this baseline's worker and client). */
  snapshotCpu?: () => CpuSnapshot;
}): Promise<NoopResult> {
  const taskQueue = `bench-noop-${Date.now()}`;
  const nativeConnection = await NativeConnection.connect({ address: options.temporalAddress });
  const connection = await Connection.connect({ address: options.temporalAddress });
  const client = new Client({ connection, namespace: options.namespace });
  const pad = (bytes: number) => 'x'.repeat(Math.max(0, bytes));
  const worker = await Worker.create({
    connection: nativeConnection,
    namespace: options.namespace,
    taskQueue,
    workflowsPath: path.resolve(import.meta.dirname, 'noop-workflow.ts'),
    activities: { noop: async (input: { outBytes: number }) => pad(input.outBytes - 2) },
    // The order worker's only non-default setting.
    shutdownGraceTime: '20 seconds',
    ...options.workerOptions,
  });
  const { measured } = options;
  const shapeJson = JSON.stringify({ shape: measured.shape, pad: '' }).length;
  const start = {
    shape: measured.shape,
    pad: pad(measured.startBytes - shapeJson),
    ...(options.localUpdate ? { localUpdate: true } : {}),
    ...(options.localAll ? { localAll: true } : {}),
  };
  const result: NoopResult = {
    completed: 0,
    seconds: 0,
    perSecond: 0,
    updateLatency: new Samples(),
    e2eLatency: new Samples(),
    errors: new Counter(),
  };
  let n = 0;

  async function one(): Promise<void> {
    const i = n++;
    const workflowId = `${taskQueue}-${i}`;
    const t = performance.now();
    try {
      const operation = new WithStartWorkflowOperation(noopOrderWorkflow, {
        workflowId,
        taskQueue,
        args: [start],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        staticSummary: `Order ${i} (bench) · card · 1 line(s)`,
        // The same three attributes the API sets at start.
        typedSearchAttributes: [
          { key: defineSearchAttributeKey('OrderNumber', SearchAttributeType.KEYWORD), value: String(i) },
          { key: defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD), value: 'received' },
          { key: defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD), value: 'bench' },
        ],
      });
      await client.workflow.executeUpdateWithStart(noopSubmitUpdate, {
        args: [{ pad: pad(measured.updateArgBytes - 12) }],
        updateId: `submit-${workflowId}`,
        startWorkflowOperation: operation,
      });
      result.updateLatency.add(performance.now() - t);
      const handle = client.workflow.getHandle(workflowId);
      await handle.signal(noopPaidSignal, { pad: pad(measured.signalBytes - 12) });
      await handle.result();
      result.e2eLatency.add(performance.now() - t);
      result.completed += 1;
    } catch (error) {
      result.errors.inc((error as Error).name || 'error');
      if (result.errors.total === 1) options.log(`no-op baseline error: ${(error as Error).message}`);
    }
  }

  // A baseline that hangs (e.g. a workflow task failing) must not hang the bench: false when it did.
  async function clientsFor(seconds: number, atLeastOnce = false): Promise<boolean> {
    const stopAt = performance.now() + seconds * 1000;
    const clients = Array.from({ length: options.concurrency }, async () => {
      if (atLeastOnce) await one();
      while (performance.now() < stopAt) await one();
    });
    let guardTimer: NodeJS.Timeout | undefined;
    const guard = new Promise<boolean>((resolve) => {
      guardTimer = setTimeout(() => resolve(false), (seconds + 60) * 1000).unref();
    });
    const finished = await Promise.race([Promise.all(clients).then(() => true), guard]);
    clearTimeout(guardTimer);
    return finished;
  }

  await worker.runUntil(async () => {
    // Warm-up: the first workflow tasks of a fresh bundle are slow, and the optimising compiler takes a while.
    const warm = await clientsFor(options.warmupS ?? 0, true);
    result.completed = 0;
    result.updateLatency = new Samples();
    result.e2eLatency = new Samples();
    result.errors = new Counter();
    if (!warm) result.errors.inc('hung');
    const cpuBefore = options.snapshotCpu?.();
    const t0 = performance.now();
    if (warm && !(await clientsFor(options.durationS))) result.errors.inc('hung');
    result.seconds = (performance.now() - t0) / 1000;
    if (cpuBefore && options.snapshotCpu) result.cpu = cpuDelta(cpuBefore, options.snapshotCpu());
  });
  // A warm-up that hung leaves no measured time.
  result.perSecond = result.seconds > 0 ? result.completed / result.seconds : 0;
  await connection.close();
  await nativeConnection.close();
  return result;
}
