import type { BusinessError } from '../../domain/business-error';
import type { CatalogSnapshot, OrderDraft } from '../../domain/order-draft';
import { periodEnd } from '../../domain/subscription-calendar';
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
      /** The end of the latest period a subscription line buys (ISO), when the order has one. */
      subscriptionEndsAt?: string;
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
  const subscriptionEndsAt = latestPeriodEnd(outcome.draft, snapshot);
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
    ...(subscriptionEndsAt ? { subscriptionEndsAt } : {}),
    ...(held ? { approval: { deadlineHours: policy.deadlineHours, onDeadline: policy.onDeadline } } : {}),
  };
}

/** When the last period a subscription line buys ends (a quarter is three months), or undefined. */
function latestPeriodEnd(draft: OrderDraft, snapshot: CatalogSnapshot): string | undefined {
  const ends = draft.lines.flatMap((line) => {
    if (!line.subscription) return [];
    const period = snapshot.subscriptionPeriods?.[line.productId]?.find((p) => p.id === line.subscription!.periodId);
    return period ? [periodEnd(line.subscription.startDate, period.lengthUnit, period.lengthCount)] : [];
  });
  return ends.sort().at(-1);
}
