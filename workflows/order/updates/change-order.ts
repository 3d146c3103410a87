import { isContentChange } from '../../../domain/order-change';
import { mayOrder } from '../../../domain/order-state';
import type { ChangeOrderRequest, ChangeResult } from '../../order-messages';
import { activities } from '../activities';
import type { OrderProcess } from '../order-process';

const kindOf = (change: ChangeOrderRequest) =>
  ({ kind: isContentChange(change) ? 'change_contents' : 'change_notes' }) as const;

export function validateChange(order: OrderProcess, change: ChangeOrderRequest): void {
  order.assertMay(kindOf(change));
  order.assertNoUpdateRunning('change_in_progress', 'Another change or cancellation of this order is in progress');
}

/**
 * The change Update: notes at any time; contents (lines, codes) and confirmation as an
 * invoice order only while the order waits for its card payment.
 */
export async function changeOrder(order: OrderProcess, change: ChangeOrderRequest): Promise<ChangeResult> {
  const refusal = mayOrder(order.state, kindOf(change));
  if (refusal) return { ok: false, errors: [refusal] };
  order.sequence.changes += 1;
  const changeId = String(order.sequence.changes);
  if (!isContentChange(change)) {
    await activities.updateOrderNotes({ ...order.scope, notes: change.notes ?? {}, changeId });
    return { ok: true };
  }
  // The customer may be paying the old amount right now: close that session first. If the
  // money got through, the order is paid as it was and the change is refused.
  const check = await activities.closePaymentSession(order.scope);
  if (check.event) {
    order.inbox.addPayment(check.event);
    return {
      ok: false,
      errors: [
        { code: 'order_paid_meanwhile', message: 'The order was paid while it was being changed; it stays as it was' },
      ],
    };
  }
  if (change.confirm) return confirmAsInvoice(order, change);
  return changeContents(order, change, changeId);
}

/** `preliminary: false`: no deadline any more; the invoice phase takes over. */
async function confirmAsInvoice(order: OrderProcess, change: ChangeOrderRequest): Promise<ChangeResult> {
  await activities.confirmOrderAsInvoice({ ...order.scope, ...(change.notes ? { notes: change.notes } : {}) });
  order.setPaymentMethod('invoice');
  order.facts.preliminaryUntil = null;
  order.move('confirmed_as_invoice', 'booking');
  return { ok: true };
}

async function changeContents(
  order: OrderProcess,
  change: ChangeOrderRequest,
  changeId: string,
): Promise<ChangeResult> {
  const { facts } = order;
  // Changing what the order holds extends its deadline.
  const until =
    change.lines || change.addLines
      ? Math.max(facts.preliminaryUntil!, Date.now() + facts.windowMs)
      : facts.preliminaryUntil!;
  const changed = await activities.changeOrderContents({
    ...order.scope,
    changeId,
    change,
    preliminaryUntil: new Date(until).toISOString(),
  });
  if (changed.ok) {
    facts.preliminaryUntil = until;
    facts.total = changed.total;
    facts.amountDue = changed.total;
    order.contentVersion += 1;
  }
  // A session for what is now due (the old one was closed above, whatever the outcome).
  if (facts.amountDue > 0) {
    order.sequence.paymentAttempts += 1;
    await activities.createPaymentSession({ ...order.scope, attempt: order.sequence.paymentAttempts });
  }
  return changed.ok ? { ok: true } : { ok: false, errors: changed.errors };
}
