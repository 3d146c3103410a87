import { log } from '@temporalio/workflow';
import type { OrderActivities } from '../../activities';
import { activities, refundActivities } from './activities';
import type { OrderProcess } from './order-process';

export interface CardRefund {
  sessionId: string;
  amount: number;
}

/**
 * The saga's compensation list (Temporal's saga sample): each step that took something from
 * the world registers how to give it back; when booking fails after payment the list runs in
 * the order it was built — the seats go back and the order is credited first, because the
 * refund is what that credit left refundable in the ledger.
 */
export class Compensations {
  private readonly steps: { what: string; undo: () => Promise<void> }[] = [];

  add(what: string, undo: () => Promise<void>): void {
    this.steps.push({ what, undo });
  }

  async run(): Promise<void> {
    for (const step of this.steps.splice(0)) {
      log.info('compensating', { step: step.what });
      await step.undo();
    }
  }
}

/** The order waits for an operator, who settles it (settle Update, docs/payments.md). */
export async function parkOrder(
  order: OrderProcess,
  cause: 'payment' | 'refund',
  reason: string,
  eventKey: string,
): Promise<void> {
  await activities.parkOrder({ ...order.scope, reason, eventKey });
  const event = cause === 'payment' ? 'payment_differs' : 'refund_refused';
  order.moveToAttention(event, { cause, resumeTo: order.status }, reason);
}

/**
 * Refunds on the cards that took the money. A refund the provider refuses, or that fails past
 * its retries, parks the order for an operator; answers the reason, or null when all went back.
 */
export async function refundOrPark(order: OrderProcess, refunds: CardRefund[], reason: string): Promise<string | null> {
  for (const refund of refunds) {
    let result: Awaited<ReturnType<OrderActivities['refundPayment']>>;
    try {
      result = await refundActivities.refundPayment({ ...order.scope, ...refund, reason });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      result = { ok: false, reason: `the provider did not answer: ${message}` };
    }
    if (!result.ok) {
      const why = `refund of ${refund.amount} refused: ${result.reason}`;
      await parkOrder(order, 'refund', why, `refund_refused:${reason}:${refund.sessionId}`);
      return why;
    }
  }
  return null;
}
