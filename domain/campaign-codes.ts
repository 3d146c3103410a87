// Which campaign codes an order request names and whether each may be applied (pure; part of
// domain/order-validation.ts, which turns the answers into business errors and prices the order).
//
// A request names one code (`campaign_code`) or a list (`campaign_codes`, in the order they are
// to apply). A list of more than one needs the tenant's `campaign_stacking`. Each code is checked
// on its own exactly as a single code is — unknown, not yet valid, expired, used up, in another
// currency, for none of the order's products — and named by its own field (`campaign_codes.2`).

import type { CatalogCampaign } from './order-draft';
import type { OrderRequest } from './order-request';
import type { CampaignDiscount } from './pricing';

/** Codes one order may name (the request schema says so too). */
export const MAX_CAMPAIGN_CODES = 5;

export type CampaignErrorCode =
  | 'campaign_code_invalid'
  | 'campaign_code_not_yet_valid'
  | 'campaign_code_expired'
  | 'campaign_code_used_up'
  | 'campaign_codes_conflict'
  | 'campaign_code_duplicate'
  | 'campaign_stacking_not_allowed';

export interface CampaignProblem {
  code: CampaignErrorCode;
  message: string;
  field: string;
}

/** A code as the request names it (trimmed) and the field it came from. */
export interface RequestedCampaignCode {
  code: string;
  field: string;
}

/** The codes the request names, in the order they apply; blank single codes count as none. */
export function campaignCodesOf(request: Pick<OrderRequest, 'campaign_code' | 'campaign_codes'>) {
  if (request.campaign_codes !== undefined)
    return request.campaign_codes.map(
      (code, i): RequestedCampaignCode => ({
        code: code.trim(),
        field: `campaign_codes.${i}`,
      }),
    );
  const single = request.campaign_code?.trim() ?? '';
  return single.length > 0 ? [{ code: single, field: 'campaign_code' }] : [];
}

/** The distinct codes to look up, upper-cased (codes match case-insensitively). */
export function campaignCodesToLoad(request: Pick<OrderRequest, 'campaign_code' | 'campaign_codes'>): string[] {
  const codes = [request.campaign_code ?? '', ...(request.campaign_codes ?? [])].map((c) => c.trim().toUpperCase());
  return [...new Set(codes.filter((c) => c.length > 0))];
}

/** The rules of the list as a whole: one of the two fields, no blank code, no code twice, stacking. */
export function checkCampaignCodeList(
  request: Pick<OrderRequest, 'campaign_code' | 'campaign_codes'>,
  stackingAllowed: boolean,
): CampaignProblem[] {
  if (request.campaign_code !== undefined && request.campaign_codes !== undefined) {
    return [
      {
        code: 'campaign_codes_conflict',
        message: 'Give campaign_code (one code) or campaign_codes (a list), not both',
        field: 'campaign_codes',
      },
    ];
  }
  const problems: CampaignProblem[] = [];
  const seen = new Set<string>();
  const requested = campaignCodesOf(request);
  for (const { code, field } of requested) {
    if (code.length === 0) {
      problems.push({ code: 'campaign_code_invalid', message: 'A campaign code is empty', field });
      continue;
    }
    if (seen.has(code.toUpperCase())) {
      problems.push({
        code: 'campaign_code_duplicate',
        message: `The campaign code ${code} is named more than once (codes are case-insensitive)`,
        field,
      });
    }
    seen.add(code.toUpperCase());
  }
  // A code named twice is its own error, not a second code.
  if (seen.size > 1 && !stackingAllowed) {
    problems.push({
      code: 'campaign_stacking_not_allowed',
      message: `This shop takes one campaign code per order; the order names ${seen.size}`,
      field: 'campaign_codes',
    });
  }
  return problems;
}

export type CampaignCheck =
  | { ok: true; discount: CampaignDiscount; campaignId: string | null; minimum: number | null }
  | { ok: false; problem: CampaignProblem };

/**
 * One code against the campaigns the snapshot found: the same rules, in the same order and with
 * the same messages, as a single code has always had. `orderProductIds` is null when the lines
 * could not be read (their own errors are reported; the product scope is not judged then).
 */
export function checkCampaign(
  requested: RequestedCampaignCode,
  known: readonly CatalogCampaign[],
  context: { nowMs: number; currency: string; orderProductIds: ReadonlySet<string> | null },
): CampaignCheck {
  const { field } = requested;
  const refuse = (code: CampaignErrorCode, message: string): CampaignCheck => ({
    ok: false,
    problem: { code, message, field },
  });
  const c = known.find((k) => k.code.toUpperCase() === requested.code.toUpperCase());
  if (c === undefined) return refuse('campaign_code_invalid', `The campaign code ${requested.code} is not valid`);
  if (c.validFrom !== null && context.nowMs < Date.parse(c.validFrom))
    return refuse('campaign_code_not_yet_valid', `The campaign code ${c.code} is not valid yet`);
  if (c.validUntil !== null && context.nowMs > Date.parse(c.validUntil))
    return refuse('campaign_code_expired', `The campaign code ${c.code} has expired`);
  if (c.maxUses !== null && c.uses >= c.maxUses)
    return refuse('campaign_code_used_up', `The campaign code ${c.code} has been used the maximum number of times`);
  if (c.kind === 'amount' && (c.amount === null || c.currency !== context.currency))
    return refuse(
      'campaign_code_invalid',
      `The campaign code ${c.code} is not valid for orders in ${context.currency.toUpperCase()}`,
    );
  if (c.kind === 'percent' && c.percent === null)
    return refuse('campaign_code_invalid', `The campaign code ${c.code} is not valid`);
  const scope = c.productIds;
  if (context.orderProductIds !== null && scope !== null && !scope.some((id) => context.orderProductIds?.has(id)))
    return refuse('campaign_code_invalid', `The campaign code ${c.code} does not apply to any product in this order`);
  const discount: CampaignDiscount =
    c.kind === 'amount'
      ? { code: c.code, kind: 'amount', amount: c.amount ?? 0 }
      : { code: c.code, kind: 'percent', percent: c.percent ?? 0 };
  if (scope !== null) discount.productIds = scope;
  return { ok: true, discount, campaignId: c.id ?? null, minimum: c.minOrderAmount };
}
