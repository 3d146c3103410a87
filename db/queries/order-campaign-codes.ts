import type { OrderDraft } from '../../domain/order-draft';
import type { DiscountBreakdownJson } from '../schema';

// An order's campaign codes, read the same way whatever wrote them: orders and drafts from before
// several codes were possible (0019_campaign_stacking) name at most one, in `campaign_code`.

/** The campaign codes an order row holds a use of, in the order applied. */
export function orderCampaignCodes(order: {
  campaign_code: string | null;
  campaign_codes?: readonly string[] | null;
}): string[] {
  if (order.campaign_codes && order.campaign_codes.length > 0) return [...order.campaign_codes];
  return order.campaign_code ? [order.campaign_code] : [];
}

/** The campaign codes a draft applies, with their campaign ids when it knows them. */
export function draftCampaigns(draft: OrderDraft): { code: string; campaignId: string | null }[] {
  if (draft.campaigns) return draft.campaigns;
  return draft.campaignCode ? [{ code: draft.campaignCode, campaignId: null }] : [];
}

/**
 * Where the draft's total discount came from, as stored and shown: the lines' own discounts (when
 * any), every campaign in the order applied (also one that came to 0), and the voucher (when the
 * order has one). The amounts add up to `totals.discounts`. Empty for a draft priced before the
 * breakdown existed.
 */
export function draftDiscountBreakdown(draft: OrderDraft): DiscountBreakdownJson[] {
  const breakdown = draft.pricing.discountBreakdown;
  if (!breakdown) return [];
  const campaigns = draftCampaigns(draft);
  return [
    ...(breakdown.lines > 0
      ? [{ source: 'lines' as const, code: null, campaign_id: null, amount: breakdown.lines }]
      : []),
    ...breakdown.campaigns.map((part, i) => ({
      source: 'campaign' as const,
      code: part.code,
      campaign_id: campaigns[i]?.campaignId ?? null,
      amount: part.amount,
    })),
    ...(draft.voucherCode
      ? [{ source: 'voucher' as const, code: draft.voucherCode, campaign_id: null, amount: breakdown.voucher }]
      : []),
  ];
}
