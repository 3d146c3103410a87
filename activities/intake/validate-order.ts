import type { BusinessError } from '../../domain/business-error';
import type { OrderDraft } from '../../domain/order-draft';
import { validateOrder as validateOrderRules } from '../../domain/order-validation';
import type { Db } from '../../db/database';
import { loadCatalogSnapshot } from '../../db/queries/catalog-snapshot';
import type { OrderSubmission } from '../../workflows/order-messages';

export type ValidateOrderResult =
  | {
      ok: true;
      draft: OrderDraft;
      preliminaryMinutes: number;
      firstStartsAt?: string | null;
      sellsGiftVouchers?: boolean;
      /** Set when the order waits for an operator's approval before payment or booking. */
      approval?: { deadlineHours: number; onDeadline: 'reject' | 'escalate' };
    }
  | { ok: false; errors: BusinessError[] };

export interface ValidateOrderInput {
  tenantId: string;
  submission: OrderSubmission;
  changingOrderId?: string;
}

/** Reads the catalogue rows the request names and applies every business rule at once. */
export async function validateOrder(db: Db, input: ValidateOrderInput): Promise<ValidateOrderResult> {
  const snapshot = await loadCatalogSnapshot(db, input.tenantId, input.submission.request, input.changingOrderId);
  const outcome = validateOrderRules(input.submission.request, snapshot, {
    canOverridePrice: input.submission.canOverridePrice,
  });
  if (!outcome.ok) return outcome;
  // When the service starts: the order can be cancelled (and its workflow stays open) until then.
  const starts = outcome.draft.holds
    .map((h) =>
      h.occurrenceId
        ? snapshot.occurrences[h.occurrenceId]?.startsAt
        : h.inventoryDate
          ? `${h.inventoryDate}T00:00:00.000Z`
          : undefined,
    )
    .filter((s): s is string => Boolean(s))
    .sort();
  const sellsGiftVouchers = outcome.draft.lines.some((l) => snapshot.products[l.productId]?.type === 'voucher');
  const policy = snapshot.tenant.approval;
  const held =
    policy !== undefined &&
    (policy.required || outcome.draft.lines.some((l) => snapshot.products[l.productId]?.requiresApproval));
  return {
    ok: true,
    draft: outcome.draft,
    preliminaryMinutes: snapshot.tenant.preliminaryMinutes,
    firstStartsAt: starts[0] ?? null,
    ...(sellsGiftVouchers ? { sellsGiftVouchers } : {}),
    ...(held ? { approval: { deadlineHours: policy.deadlineHours, onDeadline: policy.onDeadline } } : {}),
  };
}
