import type { OrderStatus } from '../domain/order-status';
import type { OrderWorkflowStart } from './order-messages';
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

  const saga = new Compensations();
  registerPaidOrderCompensations(order, saga);
  switch (order.facts.paymentMethod) {
    case 'free':
      order.move('taken_free', 'booking');
      await completeOrder(order, saga);
      break;
    case 'invoice':
      order.move('taken_for_invoice', 'booking');
      await payInvoice(order);
      break;
    case 'card':
      order.move('taken_for_card_payment', 'the card payment');
      await collectCardPayment(order, saga);
      break;
  }
  await acceptCancellationsUntilServiceStarts(order);
  // An order with an operator stays open until it is settled.
  await order.wait(() => order.status !== 'needs_attention');
  await order.awaitUpdates();
  return finish(order);
}

function finish(order: OrderProcess): OrderStatus {
  order.publish();
  return order.status;
}
