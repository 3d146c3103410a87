import type { ApprovalDecision, ApprovalResult } from '../../order-messages';
import { approveHeldOrder, rejectHeldOrder } from '../approval';
import type { OrderProcess } from '../order-process';

export function validateApprovalDecision(order: OrderProcess): void {
  order.assertMay({ kind: 'decide_approval' });
  order.assertNoUpdateRunning('change_in_progress', 'Another change of this order is in progress');
}

/** The decideApproval Update: an operator approves or rejects an order held for approval. */
export async function decideApproval(order: OrderProcess, decision: ApprovalDecision): Promise<ApprovalResult> {
  // In its turn no step runs: the deadline may have decided meanwhile, and then this is refused.
  order.assertMay({ kind: 'decide_approval' });
  if (decision.decision === 'approve') await approveHeldOrder(order, decision);
  else await rejectHeldOrder(order, decision);
  return { status: order.status };
}
