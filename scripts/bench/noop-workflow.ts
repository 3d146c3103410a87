// Baseline (a): a workflow of the order workflow's shape that does nothing — the same
// activities in the same order with the same payload sizes, the same search-attribute upserts,
// one Update-with-Start, one signal and one timer. Bundled by Worker.create in the bench.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import {
  condition,
  defineSignal,
  defineUpdate,
  proxyActivities,
  CancellationScope,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';

export type ShapeStep =
  | { type: 'activity'; name: string; inBytes: number; outBytes: number; local?: boolean }
  | { type: 'upsert'; keys: string[] }
  | { type: 'wait'; timers: number };

export interface NoopShape {
  updateSteps: ShapeStep[];
  mainSteps: ShapeStep[];
  updateResultBytes: number;
  resultBytes: number;
  /** Without the timer on the wait for the submit update (the order starts none with Update-with-Start). */
  noSubmitTimer?: boolean;
}

export interface NoopStart {
  shape: NoopShape;
  pad: string;
  /** Experiment: the update's activities as local activities (what a tuning would change). */
  localUpdate?: boolean;
  /** Experiment: every activity local. */
  localAll?: boolean;
}

export interface NoopActivities {
  noop(input: { name: string; pad: string; outBytes: number }): Promise<string>;
}

export const noopSubmitUpdate = defineUpdate<string, [{ pad: string }]>('submit');
export const noopPaidSignal = defineSignal<[{ pad: string }]>('paymentResult');

const activities = proxyActivities<NoopActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

const localActivities = proxyLocalActivities<NoopActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

const pad = (bytes: number) => 'x'.repeat(Math.max(0, bytes));

export async function noopOrderWorkflow(start: NoopStart): Promise<string> {
  let submitted = false;
  let paid = false;

  async function run(steps: ShapeStep[], local = false): Promise<void> {
    for (const step of steps) {
      if (step.type === 'activity') {
        // Input bytes: the JSON around the pad is ~60 bytes of the measured size.
        await (local || step.local ? localActivities : activities).noop({
          name: step.name,
          pad: pad(step.inBytes - 60),
          outBytes: step.outBytes,
        });
      } else if (step.type === 'upsert') {
        upsertSearchAttributes(
          step.keys.map((key) => ({ key: defineSearchAttributeKey(key, SearchAttributeType.KEYWORD), value: 'bench' })),
        );
      } else {
        // The order waits for the payment with the deadline timer plus further timers (the
        // expiry notice among them); the extra ones are cancelled with the wait.
        const extra = new CancellationScope();
        const timers = extra.run(() =>
          Promise.all(Array.from({ length: Math.max(0, step.timers - 1) }, () => sleep('25 minutes'))),
        );
        timers.catch(() => undefined);
        if (step.timers === 0) await condition(() => paid);
        else await condition(() => paid, '30 minutes');
        extra.cancel();
      }
    }
  }

  setHandler(noopPaidSignal, () => {
    paid = true;
  });
  setHandler(noopSubmitUpdate, async () => {
    await run(start.shape.updateSteps, start.localUpdate === true || start.localAll === true);
    submitted = true;
    return pad(start.shape.updateResultBytes - 2);
  });

  if (start.shape.noSubmitTimer) await condition(() => submitted);
  else await condition(() => submitted, '10 minutes');
  await run(start.shape.mainSteps, start.localAll === true);
  return pad(start.shape.resultBytes - 2);
}
