import type { OrderEvent } from '../domain/order-state';
import type { OrderStatus } from '../domain/order-status';
import type { OrderWorkflowStart } from './order-messages';
import { awaitApproval } from './order/approval';
import { collectCardPayment } from './order/card-payment';
import { acceptCancellationsUntilServiceStarts } from './order/cancellation-window';
import { Compensations } from './order/compensations';
import { completeOrder, registerPaidOrderCompensations } from './order/fulfilment';
import { registerOrderHandlers } from './order/handlers';
import { awaitIntake } from './order/intake';
import { payInvoice } from './order/invoice-payment';
import { OrderProcess } from './order/order-process';

/**
 * One workflow per order: it owns the order's process (what it waits for, its deadlines, what
 * ran), never its contents (PostgreSQL). The phases are in workflows/order/, the state machine
 * in domain/order-state.ts, the lifecycle drawn in docs/order-lifecycle.md.
 */
export async function orderWorkflow(start: OrderWorkflowStart): Promise<OrderStatus> {
  const order = new OrderProcess(start);
  registerOrderHandlers(order);
  if (!(await awaitIntake(order))) return finish(order);
  if (order.facts.approval && !(await awaitApproval(order))) return finish(order);

  const saga = new Compensations();
  registerPaidOrderCompensations(order, saga);
  switch (order.facts.paymentMethod) {
    case 'free':
      take(order, 'taken_free', 'booking');
      await completeOrder(order, saga);
      break;
    case 'prepaid':
      // Paid through another provider before it reached us: the ledger has the payment already.
      take(order, 'taken_prepaid', 'booking');
      await completeOrder(order, saga);
      break;
    case 'invoice':
      take(order, 'taken_for_invoice', 'booking');
      await payInvoice(order);
      break;
    case 'card':
      take(order, 'taken_for_card_payment', 'the card payment');
      await collectCardPayment(order, saga);
      break;
  }
  await acceptCancellationsUntilServiceStarts(order);
  // An order with an operator stays open until it is settled.
  await order.wait(() => order.status !== 'needs_attention');
  await order.awaitUpdates();
  return finish(order);
}

/** Taken straight from intake; an approved order was moved on by its approval already. */
function take(order: OrderProcess, event: OrderEvent, waitingFor: string): void {
  if (order.status === 'received') order.move(event, waitingFor);
}

function finish(order: OrderProcess): OrderStatus {
  order.publish();
  return order.status;
}
