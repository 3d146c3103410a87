// Pure pricing core: order lines + discounts → per-line and total amounts with VAT.
// No I/O, clock or randomness; safe to run inside Temporal workflow sandboxes.
//
// All amounts are integer minor units of the order currency. "Price basis" means
// excl VAT when `pricesIncludeVat` is false and incl VAT when it is true.
// "round" below is round half away from zero on exact (bigint) fractions.
//
// Rounding rules (the project's documented rules, applied in this order):
//  1. beforeDiscounts = unitPrice × quantity.
//  2. Line discount = round(beforeDiscounts × discountPercent / 100).
//  3. Campaigns, one after the other in the order given (`campaigns`, or the one `campaign`), each
//     on its eligible lines (campaignEligible !== false, and the line's product in the campaign's
//     productIds when it names some), on what is left after 2 and the campaigns before it:
//     - percent: round(remaining × percent / 100) per line (so percents compound: 10 % then
//       20 % takes 28 %, not 30 %);
//     - amount: capped at the sum of eligible remaining amounts, then split with
//       allocateProportionally (largest remainder, ties → lower index) by those amounts (so
//       amounts subtract and never take a line below 0).
//  4. Percent voucher: like a campaign percent, on all lines, after 3.
//  5. VAT per line on the discounted amount:
//     - prices incl VAT: inclVat = amount, vat = round(incl × rate / (10000 + rate)), exclVat = incl − vat;
//     - prices excl VAT: exclVat = amount, vat = round(excl × rate / 10000), inclVat = excl + vat.
//  6. Value voucher (gift card): applied = min(remaining, order inclVat total), split across
//     lines with allocateProportionally by line inclVat. Each line: inclVat −= share,
//     vat = round(incl × rate / (10000 + rate)), exclVat = incl − vat; the line discount grows
//     by the drop of its price-basis amount. voucherApplied = applied.
//  7. Totals and the VAT summary (one row per rate, rate descending) are plain sums of lines, so
//     beforeDiscounts − discounts = (pricesIncludeVat ? inclVat : exclVat), exclVat + vat = inclVat,
//     and no amount is ever negative.
//  8. Invalid input throws a PricingError (see PricingErrorCode).
//  9. discountBreakdown says where totals.discounts came from: lines (2) + each campaign (3) +
//     voucher (4 and 6, in price basis) = totals.discounts exactly, each part >= 0.
// Percentages may carry at most 2 decimals (12.5 %, 33.33 %); VAT rates are basis points 0..10000.

import { allocateProportionally, type CurrencyCode, isSupportedCurrencyCode, roundHalfAwayFromZero } from './money';

export interface PricingLineInput {
  /** Stable id of the line, echoed back; must be unique within the order. */
  key: string;
  productId: string;
  description: string;
  /** Integer >= 1. */
  quantity: number;
  /** Minor units in the order currency, in the tenant's price basis (see pricesIncludeVat). */
  unitPrice: number;
  /** VAT rate in basis points: 2500 = 25 %, 1500 = 15 %, 0 allowed. */
  vatRateBp: number;
  /** 0..100 with at most 2 decimals (e.g. 12.5); per-line discount. */
  discountPercent?: number;
  participantIndex?: number;
  occurrenceId?: string;
  /** Default true; false excludes the line from the campaign discount. */
  campaignEligible?: boolean;
}

export type CampaignDiscount = (
  | { code: string; kind: 'percent'; percent: number }
  | { code: string; kind: 'amount' /** minor units, same basis as prices */; amount: number }
) & {
  /** Limits the campaign to lines of these products; absent = every eligible line. */
  productIds?: readonly string[];
};

export type VoucherDiscount =
  | { code: string; kind: 'percent'; percent: number }
  | { code: string; kind: 'value' /** minor units incl. VAT, order currency */; remaining: number };

export interface PricingInput {
  currency: CurrencyCode;
  pricesIncludeVat: boolean;
  lines: PricingLineInput[];
  /** One campaign; `campaigns` is the same for several, applied in order. Give at most one of the two. */
  campaign?: CampaignDiscount;
  campaigns?: readonly CampaignDiscount[];
  voucher?: VoucherDiscount;
}

export interface PricedLine {
  key: string;
  productId: string;
  description: string;
  quantity: number;
  unitPrice: number;
  vatRateBp: number;
  participantIndex?: number;
  occurrenceId?: string;
  /** unitPrice × quantity, in price basis. */
  beforeDiscounts: number;
  /** Total discount on this line in price basis (line % + campaign + voucher). */
  discount: number;
  exclVat: number;
  vat: number;
  inclVat: number;
}

export interface VatSummaryRow {
  rateBp: number;
  /** Sum of exclVat of the lines at this rate. */
  base: number;
  /** Sum of vat of the lines at this rate. */
  amount: number;
}

/** Where totals.discounts came from (rule 9): lines + Σ campaigns[].amount + voucher = totals.discounts. */
export interface DiscountBreakdown {
  /** The lines' own percent discounts (rule 2). */
  lines: number;
  /** Each campaign's discount in price basis, in the order applied (rule 3). */
  campaigns: { code: string; amount: number }[];
  /** The voucher's discount in price basis: a percent voucher's (rule 4) or a gift card's drop (rule 6). */
  voucher: number;
}

export interface PricingResult {
  currency: CurrencyCode;
  lines: PricedLine[];
  totals: { beforeDiscounts: number; discounts: number; exclVat: number; vat: number; inclVat: number };
  /** One row per VAT rate present in the lines, sorted by rate descending. */
  vatSummary: VatSummaryRow[];
  /** Incl-VAT amount taken from a value voucher (0 otherwise). */
  voucherApplied: number;
  /** Always set by priceOrder; absent only in drafts priced before it existed (still in flight in workflows). */
  discountBreakdown?: DiscountBreakdown;
}

export type PricingErrorCode =
  | 'invalid_currency'
  | 'invalid_line_key'
  | 'duplicate_line_key'
  | 'invalid_quantity'
  | 'invalid_price'
  | 'invalid_vat_rate'
  | 'invalid_percent'
  | 'invalid_amount'
  | 'invalid_discount'
  | 'amount_overflow';

export class PricingError extends Error {
  readonly code: PricingErrorCode;
  /** Where in the input the problem is, e.g. "lines[2].quantity". */
  readonly path: string | undefined;
  constructor(code: PricingErrorCode, message: string, path?: string) {
    super(path ? `${path}: ${message}` : message);
    this.name = 'PricingError';
    this.code = code;
    this.path = path;
  }
}

const BP_SCALE = 10_000n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** VAT contained in an incl-VAT amount: round(incl × rate / (10000 + rate)). */
export function vatFromInclusive(inclVat: number, vatRateBp: number): number {
  const rate = BigInt(vatRateBp);
  return Number(roundHalfAwayFromZero(BigInt(inclVat) * rate, BP_SCALE + rate));
}

/** VAT on top of an excl-VAT amount: round(excl × rate / 10000). */
export function vatFromExclusive(exclVat: number, vatRateBp: number): number {
  return Number(roundHalfAwayFromZero(BigInt(exclVat) * BigInt(vatRateBp), BP_SCALE));
}

/**
 * Validates a 0..100 percentage with at most 2 decimals and returns it in basis
 * points (12.5 → 1250). The tolerance absorbs binary float noise (0.29 × 100).
 */
function percentToBp(percent: unknown, path: string): number {
  if (typeof percent !== 'number' || !Number.isFinite(percent) || percent < 0 || percent > 100) {
    throw new PricingError('invalid_percent', `percent must be a number in 0..100, got ${String(percent)}`, path);
  }
  const scaled = percent * 100;
  const bp = Math.round(scaled);
  if (Math.abs(scaled - bp) > 1e-6) {
    throw new PricingError('invalid_percent', `percent may have at most 2 decimals, got ${percent}`, path);
  }
  return bp;
}

/** round(amount × bp / 10000); never exceeds amount because bp <= 10000. */
function percentOf(amount: number, bp: number): number {
  return Number(roundHalfAwayFromZero(BigInt(amount) * BigInt(bp), BP_SCALE));
}

function nonNegativeInteger(value: unknown, code: PricingErrorCode, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new PricingError(code, `must be a non-negative integer (minor units), got ${String(value)}`, path);
  }
  return value;
}

function toSafe(value: bigint, path: string): number {
  if (value > MAX_SAFE) throw new PricingError('amount_overflow', 'amount exceeds the safe integer range', path);
  return Number(value);
}

interface WorkLine {
  input: PricingLineInput;
  beforeDiscounts: number;
  /** Amount left in price basis after the discounts applied so far. */
  remaining: number;
  exclVat: number;
  vat: number;
  inclVat: number;
}

function validateLine(line: PricingLineInput, index: number, seenKeys: Set<string>): number {
  const path = `lines[${index}]`;
  if (typeof line.key !== 'string' || line.key.length === 0) {
    throw new PricingError('invalid_line_key', 'line key must be a non-empty string', `${path}.key`);
  }
  if (seenKeys.has(line.key)) {
    throw new PricingError('duplicate_line_key', `duplicate line key ${JSON.stringify(line.key)}`, `${path}.key`);
  }
  seenKeys.add(line.key);
  if (typeof line.quantity !== 'number' || !Number.isSafeInteger(line.quantity) || line.quantity < 1) {
    throw new PricingError(
      'invalid_quantity',
      `quantity must be an integer >= 1, got ${line.quantity}`,
      `${path}.quantity`,
    );
  }
  nonNegativeInteger(line.unitPrice, 'invalid_price', `${path}.unitPrice`);
  if (
    typeof line.vatRateBp !== 'number' ||
    !Number.isSafeInteger(line.vatRateBp) ||
    line.vatRateBp < 0 ||
    line.vatRateBp > 10_000
  ) {
    throw new PricingError(
      'invalid_vat_rate',
      `vatRateBp must be an integer in 0..10000, got ${line.vatRateBp}`,
      `${path}.vatRateBp`,
    );
  }
  const discountBp =
    line.discountPercent === undefined ? 0 : percentToBp(line.discountPercent, `${path}.discountPercent`);
  return discountBp;
}

/** Prices an order. Pure and deterministic; throws PricingError on invalid input. */
export function priceOrder(input: PricingInput): PricingResult {
  if (typeof input.currency !== 'string' || !isSupportedCurrencyCode(input.currency)) {
    throw new PricingError(
      'invalid_currency',
      `currency must be a lowercase ISO 4217 code, got ${String(input.currency)}`,
      'currency',
    );
  }
  const inclMode = input.pricesIncludeVat;
  const seenKeys = new Set<string>();

  // Validate everything up front so a bad discount never yields a partial computation.
  const lineDiscountBps = input.lines.map((line, i) => validateLine(line, i, seenKeys));
  const campaigns = validateCampaigns(input);
  const voucher = input.voucher;
  let voucherBp = 0;
  let voucherValue = 0;
  if (voucher !== undefined) {
    if (voucher.kind === 'percent') voucherBp = percentToBp(voucher.percent, 'voucher.percent');
    else if (voucher.kind === 'value')
      voucherValue = nonNegativeInteger(voucher.remaining, 'invalid_amount', 'voucher.remaining');
    else throw new PricingError('invalid_discount', 'unknown voucher kind', 'voucher.kind');
  }

  // 1 + 2: gross amount and per-line percent discount.
  const work: WorkLine[] = input.lines.map((line, i) => {
    const before = toSafe(BigInt(line.unitPrice) * BigInt(line.quantity), `lines[${i}]`);
    return {
      input: line,
      beforeDiscounts: before,
      remaining: before - percentOf(before, lineDiscountBps[i] ?? 0),
      exclVat: 0,
      vat: 0,
      inclVat: 0,
    };
  });
  const remainingSum = (): bigint => work.reduce((acc, w) => acc + BigInt(w.remaining), 0n);
  const beforeSum = work.reduce((acc, w) => acc + BigInt(w.beforeDiscounts), 0n);
  const afterLines = remainingSum();

  // 3: each campaign on its eligible lines, on what the ones before it left.
  const campaignParts: DiscountBreakdown['campaigns'] = campaigns.map(({ campaign, bp, amount }) => {
    const scope = campaign.productIds === undefined ? null : new Set(campaign.productIds);
    const eligible = work.filter(
      (w) => w.input.campaignEligible !== false && (scope === null || scope.has(w.input.productId)),
    );
    const before = remainingSum();
    if (campaign.kind === 'percent') {
      for (const w of eligible) w.remaining -= percentOf(w.remaining, bp);
    } else {
      const weights = eligible.map((w) => w.remaining);
      const eligibleSum = weights.reduce((acc, x) => acc + BigInt(x), 0n);
      const capped = BigInt(amount) < eligibleSum ? amount : Number(eligibleSum);
      // capped <= Σweights, so no share exceeds its line's remaining amount.
      const shares = allocateProportionally(capped, weights);
      eligible.forEach((w, i) => {
        w.remaining -= shares[i] ?? 0;
      });
    }
    return { code: campaign.code, amount: toSafe(before - remainingSum(), 'discountBreakdown.campaigns') };
  });
  const afterCampaigns = remainingSum();

  // 4: percent voucher on all lines.
  if (voucher !== undefined && voucher.kind === 'percent') {
    for (const w of work) w.remaining -= percentOf(w.remaining, voucherBp);
  }

  // 5: VAT on the discounted amount.
  work.forEach((w, i) => {
    const rate = w.input.vatRateBp;
    if (inclMode) {
      w.inclVat = w.remaining;
      w.vat = vatFromInclusive(w.inclVat, rate);
      w.exclVat = w.inclVat - w.vat;
    } else {
      w.exclVat = w.remaining;
      w.vat = vatFromExclusive(w.exclVat, rate);
      w.inclVat = toSafe(BigInt(w.exclVat) + BigInt(w.vat), `lines[${i}]`);
    }
  });

  // 6: value voucher (gift card), taken from the incl-VAT amounts.
  let voucherApplied = 0;
  if (voucher !== undefined && voucher.kind === 'value') {
    const weights = work.map((w) => w.inclVat);
    const orderIncl = toSafe(
      weights.reduce((acc, x) => acc + BigInt(x), 0n),
      'totals.inclVat',
    );
    voucherApplied = Math.min(voucherValue, orderIncl);
    // voucherApplied <= Σweights, so no share exceeds its line's inclVat.
    const shares = allocateProportionally(voucherApplied, weights);
    work.forEach((w, i) => {
      w.inclVat -= shares[i] ?? 0;
      w.vat = vatFromInclusive(w.inclVat, w.input.vatRateBp);
      w.exclVat = w.inclVat - w.vat;
      w.remaining = inclMode ? w.inclVat : w.exclVat;
    });
  }

  // 7: assemble lines, totals and the VAT summary.
  const lines: PricedLine[] = work.map((w) => {
    const src = w.input;
    const priced: PricedLine = {
      key: src.key,
      productId: src.productId,
      description: src.description,
      quantity: src.quantity,
      unitPrice: src.unitPrice,
      vatRateBp: src.vatRateBp,
      beforeDiscounts: w.beforeDiscounts,
      discount: w.beforeDiscounts - w.remaining,
      exclVat: w.exclVat,
      vat: w.vat,
      inclVat: w.inclVat,
    };
    if (src.participantIndex !== undefined) priced.participantIndex = src.participantIndex;
    if (src.occurrenceId !== undefined) priced.occurrenceId = src.occurrenceId;
    return priced;
  });

  const sum = (pick: (l: PricedLine) => number, path: string): number =>
    toSafe(
      lines.reduce((acc, l) => acc + BigInt(pick(l)), 0n),
      path,
    );
  const totals = {
    beforeDiscounts: sum((l) => l.beforeDiscounts, 'totals.beforeDiscounts'),
    discounts: sum((l) => l.discount, 'totals.discounts'),
    exclVat: sum((l) => l.exclVat, 'totals.exclVat'),
    vat: sum((l) => l.vat, 'totals.vat'),
    inclVat: sum((l) => l.inclVat, 'totals.inclVat'),
  };

  const byRate = new Map<number, { base: bigint; amount: bigint }>();
  for (const l of lines) {
    const row = byRate.get(l.vatRateBp) ?? { base: 0n, amount: 0n };
    row.base += BigInt(l.exclVat);
    row.amount += BigInt(l.vat);
    byRate.set(l.vatRateBp, row);
  }
  const vatSummary: VatSummaryRow[] = [...byRate.entries()]
    .sort(([a], [b]) => b - a)
    .map(([rateBp, row]) => ({
      rateBp,
      base: toSafe(row.base, 'vatSummary.base'),
      amount: toSafe(row.amount, 'vatSummary.amount'),
    }));

  const discountBreakdown: DiscountBreakdown = {
    lines: toSafe(beforeSum - afterLines, 'discountBreakdown.lines'),
    campaigns: campaignParts,
    voucher: toSafe(afterCampaigns - remainingSum(), 'discountBreakdown.voucher'),
  };
  return { currency: input.currency, lines, totals, vatSummary, voucherApplied, discountBreakdown };
}

interface ValidCampaign {
  campaign: CampaignDiscount;
  /** Percent campaigns: the percent in basis points. */
  bp: number;
  /** Amount campaigns: the amount in minor units. */
  amount: number;
}

/** `campaign` or `campaigns`, checked up front, in the order they apply. */
function validateCampaigns(input: PricingInput): ValidCampaign[] {
  if (input.campaign !== undefined && input.campaigns !== undefined) {
    throw new PricingError('invalid_discount', 'give campaign or campaigns, not both', 'campaigns');
  }
  const list = input.campaigns ?? (input.campaign === undefined ? [] : [input.campaign]);
  return list.map((campaign, i) => {
    const path = input.campaigns === undefined ? 'campaign' : `campaigns[${i}]`;
    if (campaign.kind === 'percent')
      return { campaign, bp: percentToBp(campaign.percent, `${path}.percent`), amount: 0 };
    if (campaign.kind === 'amount')
      return { campaign, bp: 0, amount: nonNegativeInteger(campaign.amount, 'invalid_amount', `${path}.amount`) };
    throw new PricingError('invalid_discount', 'unknown campaign kind', `${path}.kind`);
  });
}
