import { setHandler } from '@temporalio/workflow';
import {
  cancelOrderUpdate,
  changeOrderUpdate,
  decideApprovalUpdate,
  invoicePaidSignal,
  orderProgressQuery,
  paymentResultSignal,
  settleOrderUpdate,
  startPaymentUpdate,
  submitOrderUpdate,
} from '../order-messages';
import { submitOrder } from './intake';
import type { OrderProcess } from './order-process';
import { cancelOrder, validateCancellation } from './updates/cancel-order';
import { changeOrder, validateChange } from './updates/change-order';
import { decideApproval, validateApprovalDecision } from './updates/decide-approval';
import { settleOrder, validateSettlement } from './updates/settle-order';
import { startPayment, validateStartPayment } from './updates/start-payment';

/**
 * The order's messages. Signals only record what arrived; Updates are validated against the
 * state machine (docs/order-lifecycle.md), then do their work in their turn with the process.
 */
export function registerOrderHandlers(order: OrderProcess): void {
  setHandler(orderProgressQuery, () => order.progress());
  setHandler(paymentResultSignal, (event) => void order.inbox.addPayment(event));
  setHandler(invoicePaidSignal, (payment) => order.inbox.addInvoicePayment(payment));
  setHandler(submitOrderUpdate, (submission) => submitOrder(order, submission));
  setHandler(cancelOrderUpdate, (request) => order.inUpdateTurn(() => cancelOrder(order, request)), {
    validator: (request) => validateCancellation(order, request),
  });
  setHandler(changeOrderUpdate, (change) => order.inUpdateTurn(() => changeOrder(order, change)), {
    validator: (change) => validateChange(order, change),
  });
  setHandler(startPaymentUpdate, (request) => order.inUpdateTurn(() => startPayment(order, request)), {
    validator: (_request) => validateStartPayment(order),
  });
  setHandler(decideApprovalUpdate, (decision) => order.inUpdateTurn(() => decideApproval(order, decision)), {
    validator: (_decision) => validateApprovalDecision(order),
  });
  setHandler(settleOrderUpdate, (request) => order.inUpdateTurn(() => settleOrder(order, request)), {
    validator: (request) => validateSettlement(order, request),
  });
}
