import { activities, paymentActivities } from './activities';
import { deliverGiftVouchers, startSubscriptions } from './fulfilment';
import type { OrderProcess } from './order-process';

const DAY_MS = 86_400_000;
/** Reminders before an overdue invoice goes to the operators. */
const INVOICE_REMINDERS = 2;

type Invoice = Awaited<ReturnType<typeof activities.bookAndInvoiceOrder>>;

/**
 * The invoice phase: booked and invoiced at once, then waiting for bank payments (partial ones
 * add up), with reminders from the due date and the operators told when it stays unpaid.
 */
export async function payInvoice(order: OrderProcess): Promise<void> {
  let invoice: Invoice | undefined;
  const live = await order.step(async () => {
    invoice = await activities.bookAndInvoiceOrder({ ...order.scope, sells: order.completionScope });
    order.move('booked', 'the invoice');
    order.move('invoiced', 'the invoice to be paid');
  });
  if (!live || !invoice) return;
  if (!(await collectInvoicePayments(order, invoice))) return;
  await order.step(async () => {
    await paymentActivities.completeInvoicedOrder({ ...order.scope, sells: order.completionScope });
    await deliverGiftVouchers(order);
    await startSubscriptions(order);
    order.move('completed', null);
  });
}

/** Until the ledger says nothing is left to pay; false when the order was cancelled meanwhile. */
async function collectInvoicePayments(order: OrderProcess, invoice: Invoice): Promise<boolean> {
  let reminders = 0;
  // Reminder timers count from issue, in the workflow's own clock (the stored due date agrees).
  let nextReminderAt = invoice.dueInDays ? Date.now() + invoice.dueInDays * DAY_MS : null;
  // A payment, a cancellation or a partial cancellation that leaves nothing to pay wakes it.
  const woken = () => order.inbox.invoicePayments.length > 0 || order.isCancelled || order.facts.amountDue === 0;
  while (order.facts.amountDue > 0 && !order.isCancelled) {
    const summary = reminders === 0 ? 'invoice due date' : `reminder ${reminders} follow-up`;
    const paidOrChanged =
      nextReminderAt === null ? await order.wait(woken) : await order.wait(woken, nextReminderAt - Date.now(), summary);
    if (order.isCancelled) return false;
    if (!paidOrChanged) {
      reminders += 1;
      nextReminderAt = await remind(order, invoice, reminders);
      continue;
    }
    for (const payment of order.inbox.invoicePayments.splice(0)) {
      // The ledger answers what is left: payments, credits and refunds all count.
      const { leftToPay } = await paymentActivities.recordInvoicePayment({ ...order.scope, ...payment });
      order.facts.amountDue = leftToPay;
    }
    if (order.facts.amountDue > 0) order.publish(`${order.facts.amountDue} left to pay`);
  }
  return !order.isCancelled;
}

/** A reminder mail, or after the last one the operators; answers when to look again. */
async function remind(order: OrderProcess, invoice: Invoice, reminders: number): Promise<number | null> {
  if (reminders <= INVOICE_REMINDERS) {
    await activities.queueOrderEmail({ ...order.scope, kind: 'invoice_reminder', sequence: reminders });
    order.waitingFor = `the invoice to be paid (reminder ${reminders} sent)`;
    return Date.now() + (invoice.reminderIntervalDays ?? 7) * DAY_MS;
  }
  await activities.flagForAttention({
    ...order.scope,
    reason: `Invoice ${invoice.documentNumber} overdue: ${INVOICE_REMINDERS} reminders sent, still unpaid`,
    eventKey: 'invoice_overdue',
  });
  order.waitingFor = 'the invoice to be paid (overdue, flagged for operators)';
  return null;
}
