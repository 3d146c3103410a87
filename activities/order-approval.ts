import type { OrderStatus } from '../domain/order-status';
import { appendOrderEvent } from '../db/queries/order-events';
import { markOrderApproved } from '../db/queries/order-status';
import type { ActivityDeps } from './activity-deps';

interface ApproveInput {
  tenantId: string;
  orderId: string;
  /** Where the approved order goes: awaiting_payment (card), reserved (invoice, free) or paid (prepaid). */
  status: OrderStatus;
  preliminaryUntil: string | null;
  decidedBy: string;
  reason: string;
}

export function createOrderApprovalActivities({ db }: ActivityDeps) {
  return {
    /** The operator's approval, in the order's row and its timeline, once (a retry finds it moved). */
    async approveHeldOrder(input: ApproveInput): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const scope = { tenantId: input.tenantId, orderId: input.orderId };
        if (!(await markOrderApproved(trx, scope, input))) return;
        await appendOrderEvent(trx, {
          ...scope,
          eventKey: 'approved',
          type: 'order.approved',
          message: `Approved by ${input.decidedBy}: ${input.reason}`,
          data: { decided_by: input.decidedBy, reason: input.reason, status: input.status },
        });
      });
    },
  };
}
