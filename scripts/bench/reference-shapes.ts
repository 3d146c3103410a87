// Fixed no-op shapes the bench compares the order workflow with, next to the shape it measures
// from a warm-up order's history (measureShape):
// - the order workflow as the performance issue found it (2f583ed: 3 activities, 8 upserts,
//   3 timers, 1 signal, ≈ 45 events on the dev server), kept so later runs stay comparable;
// - the smallest durable order: Update-with-Start whose update runs one activity, one signal,
//   one activity, no search-attribute upserts and no timers.
// Payload sizes are those measured on real orders (docs/performance.md).
import type { MeasuredShape } from './noop-baseline';

const act = (name: string, inBytes: number, outBytes: number) => ({
  type: 'activity' as const,
  name,
  inBytes,
  outBytes,
});
const upsert = (...keys: string[]) => ({ type: 'upsert' as const, keys });
/** The start, update and signal payloads measured on real orders. */
const PAYLOADS = { startBytes: 136, updateArgBytes: 380, signalBytes: 185 };

export const REFERENCE_SHAPE_2F583ED: MeasuredShape = {
  shape: {
    updateSteps: [upsert('OrderStatus'), act('intakeOrder', 400, 900), upsert('PaymentMethod', 'CustomerEmail')],
    mainSteps: [
      upsert('OrderStatus'),
      upsert('OrderStatus'),
      upsert('OrderStatus'),
      { type: 'wait', timers: 2 },
      act('recordPaymentOutcome', 300, 20),
      upsert('OrderStatus'),
      upsert('OrderStatus'),
      act('completePaidOrder', 200, 10),
      upsert('OrderStatus'),
    ],
    updateResultBytes: 885,
    resultBytes: 11,
  },
  ...PAYLOADS,
  activityCount: 3,
  upserts: 8,
  timers: 3,
  signals: 1,
  historyEvents: 45,
};

export const MINIMAL_DURABLE_SHAPE: MeasuredShape = {
  shape: {
    updateSteps: [act('takeOrder', 400, 100)],
    mainSteps: [{ type: 'wait', timers: 0 }, act('completeOrder', 300, 20)],
    updateResultBytes: 100,
    resultBytes: 11,
    noSubmitTimer: true,
  },
  ...PAYLOADS,
  activityCount: 2,
  upserts: 0,
  timers: 0,
  signals: 1,
  historyEvents: 17,
};

/**
 * The order of 2 December 2026 before its intake and completion became local activities (27
 * events on the dev server); temporal-only.ts runs it with --local-all for the shape of now.
 */
export const CURRENT_REMOTE_SHAPE: MeasuredShape = {
  shape: {
    updateSteps: [act('intakeOrder', 400, 300)],
    mainSteps: [
      upsert('OrderStatus', 'PaymentMethod', 'CustomerEmail'),
      { type: 'wait', timers: 1 },
      act('recordPaymentAndComplete', 300, 20),
      upsert('OrderStatus'),
    ],
    updateResultBytes: 100,
    resultBytes: 11,
    noSubmitTimer: true,
  },
  ...PAYLOADS,
  activityCount: 2,
  upserts: 2,
  timers: 1,
  signals: 1,
  historyEvents: 27,
};
