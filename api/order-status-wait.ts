import { findOrderStatus } from '../db/queries/orders';
import type { OrderStatus } from '../domain/order-status';
import type { AppDeps } from './app-env';

/** Statuses an order does not leave by itself: a wait ends there whatever the client asked for. */
const RESTING: ReadonlySet<OrderStatus> = new Set(['rejected', 'completed', 'cancelled', 'expired', 'needs_attention']);

const sleep = (ms: number) => new Promise<false>((resolve) => setTimeout(() => resolve(false), ms).unref());

/**
 * Waits until the order is in one of `wanted` (or rests), or `timeoutMs` passed: the client's
 * long poll (GET /v1/orders/{id}?wait_for=…). The status is read once when the watch starts (the
 * watch starts before the read, so a change between the two is never missed); after that the
 * announcements carry it, and only one that does not (or a lost connection) makes it read again.
 * The caller reads the whole order once at the end. Answers the status the wait last knew.
 */
export async function waitForOrderStatus(
  deps: Pick<AppDeps, 'db' | 'orderStatusListener'>,
  scope: { tenantId: string; orderId: string },
  wanted: ReadonlySet<string>,
  timeoutMs: number,
): Promise<string | undefined> {
  const until = Date.now() + timeoutMs;
  // One timer for the whole wait.
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, timeoutMs));
  });
  const done = (status: string | undefined) =>
    status === undefined || wanted.has(status) || RESTING.has(status as OrderStatus);
  try {
    for (;;) {
      const watch = deps.orderStatusListener?.watch(scope.orderId);
      try {
        await watch?.ready;
        let status: string | undefined = await findOrderStatus(deps.db, scope.tenantId, scope.orderId);
        for (;;) {
          if (done(status) || Date.now() >= until) return status;
          const next = watch ? watch.next() : sleep(Math.min(until - Date.now(), 500)).then(() => null);
          const announced = await Promise.race([next, timedOut]);
          if (Date.now() >= until) return status;
          if (typeof announced !== 'string') break;
          status = announced;
        }
      } finally {
        watch?.cancel();
      }
    }
  } finally {
    clearTimeout(timer);
  }
}
