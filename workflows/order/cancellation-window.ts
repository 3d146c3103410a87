import type { OrderProcess } from './order-process';

/** A completed order can still be cancelled (refund, credit note) until its service starts. */
export async function acceptCancellationsUntilServiceStarts(order: OrderProcess): Promise<void> {
  const startsAt = order.facts.serviceStartsAt;
  if (order.status !== 'completed' || startsAt === null || startsAt <= Date.now()) return;
  order.waitingFor = 'the service date (cancellations are accepted until then)';
  await order.wait(() => order.isCancelled, startsAt - Date.now(), 'service starts');
  await order.awaitUpdates();
  if (!order.isCancelled && order.status === 'completed') order.waitingFor = null;
}
