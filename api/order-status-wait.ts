import { findOrderStatus } from '../db/queries/orders';
import type { OrderStatus } from '../domain/order-status';
import type { AppDeps } from './app-env';

/** Statuses an order does not leave by itself: a wait ends there whatever the client asked for. */
const RESTING: ReadonlySet<OrderStatus> = new Set(['rejected', 'completed', 'cancelled', 'expired', 'needs_attention']);

const sleep = (ms: number) => new Promise<false>((resolve) => setTimeout(() => resolve(false), ms).unref());

/**
 * Waits until the order is in one of `wanted` (or rests), or `timeoutMs` passed: the client's
 * long poll (GET /v1/orders/{id}?wait_for=…). Each wake-up reads only the status; the caller
 * reads the whole order once at the end. The watch starts before the read, so a change between
 * the two is never missed.
 */
export async function waitForOrderStatus(
  deps: Pick<AppDeps, 'db' | 'orderStatusListener'>,
  scope: { tenantId: string; orderId: string },
  wanted: ReadonlySet<string>,
  timeoutMs: number,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  // One timer for the whole wait; each wake-up only reads the status again.
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, timeoutMs));
  });
  try {
    for (;;) {
      const watch = deps.orderStatusListener?.watch(scope.orderId);
      try {
        await watch?.ready;
        const status = await findOrderStatus(deps.db, scope.tenantId, scope.orderId);
        if (status === undefined || wanted.has(status) || RESTING.has(status)) return;
        if (Date.now() >= until) return;
        await Promise.race([watch?.changed ?? sleep(Math.min(until - Date.now(), 500)), timedOut]);
        if (Date.now() >= until) return;
      } finally {
        watch?.cancel();
      }
    }
  } finally {
    clearTimeout(timer);
  }
}
