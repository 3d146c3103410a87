import type { ChangeOrderRequest, OrderSubmission } from './order-commands';

// What a PATCH changes, decided without I/O (the workflow and the change activity both ask).

/** Codes, lines and confirmation touch money and seats; notes do not. */
export function isContentChange(change: ChangeOrderRequest): boolean {
  return (
    change.campaignCode !== undefined ||
    change.campaignCodes !== undefined ||
    change.voucherCode !== undefined ||
    Boolean(change.lines) ||
    Boolean(change.addLines) ||
    Boolean(change.confirm)
  );
}

/**
 * The order request as it would read after the change (what validation and pricing see).
 * Notes are not part of it: the database owns them and a change merges into what it holds.
 */
export function changedRequest(
  request: OrderSubmission['request'],
  change: ChangeOrderRequest,
): OrderSubmission['request'] {
  const { notes: _notes, ...rest } = request;
  const next: OrderSubmission['request'] = {
    ...rest,
    lines: change.lines ?? [...request.lines, ...(change.addLines ?? [])],
  };
  if (change.campaignCode !== undefined || change.campaignCodes !== undefined) {
    // The codes a change names replace the order's, code or list; both at once is validation's
    // campaign_codes_conflict, as at placement.
    next.campaign_code = change.campaignCode ?? undefined;
    next.campaign_codes = change.campaignCodes ?? undefined;
  }
  if (change.voucherCode !== undefined) next.voucher_code = change.voucherCode ?? undefined;
  return next;
}
