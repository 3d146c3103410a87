import { z } from '@hono/zod-openapi';
import { currencyCode, END, nonBlankText } from './common';
import { OCCURRENCE_RESOURCE_KINDS, productTypeSchema } from './catalog';
import { externalIdSchema } from './subscription-periods';

// Shape checks of the catalogue admin API (a failure is a 400 listing every field). Rules that
// span fields (a percent campaign needs `percent`, an amount one `amount` + `currency`, …) are
// checked in the route and answered 422 with the field named.

const INT4_MAX = 2_147_483_647;

const text = (max = 200) => z.string().max(max);
const name = z.string().trim().min(1).max(200).openapi({ pattern: nonBlankText() });
const amount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const positiveAmount = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const count = z.number().int().min(0).max(INT4_MAX);
/** Absent: unset (create) or unchanged (patch); null: none (clears it on a patch). */
const externalId = externalIdSchema.nullable().optional();
const timestamp = z.string().datetime({ offset: true }).openapi({ example: '2030-05-01T09:00:00+02:00' });

/** numeric(5, 2) percent: 0 < p ≤ 100 with at most two decimals. */
const percent = z
  .number()
  .gt(0)
  .max(100)
  .refine((p) => Math.abs(p * 100 - Math.round(p * 100)) < 1e-6, 'at most two decimals')
  .openapi({ example: 15, multipleOf: 0.01 });

const vatRate = z
  .number()
  .min(0)
  .max(100)
  .openapi({ description: 'VAT percent, e.g. 25 or 12.5 (stored in basis points)', example: 25 });

/** Campaign and voucher codes: letters, digits, `-` and `_`; matched case-insensitively. */
export const discountCode = z
  .string()
  .regex(/^[A-Za-z0-9_-]{2,64}$/, '2–64 characters: A–Z, 0–9, "-" or "_"')
  .openapi({ example: 'SPRING-25' });

// ── Products ────────────────────────────────────────────────────────────────────────────

export const productCreateSchema = z
  .strictObject({
    type: productTypeSchema,
    name,
    description: text(5000).optional(),
    price: amount.openapi({ description: 'List price in minor units of the tenant currency' }),
    vat_rate: vatRate,
    daily_capacity: count
      .nullable()
      .optional()
      .openapi({ description: 'Seats per date for undated products; null or absent = no per-date inventory' }),
    active: z.boolean().optional(),
    requires_approval: z.boolean().optional().openapi({
      description: "Orders with this product wait for an operator's approval (docs/managing-orders.md); default false",
    }),
    external_id: externalId,
  })
  .openapi('ProductCreate');

export const productPatchSchema = z
  .strictObject({
    type: productTypeSchema.optional(),
    name: name.optional(),
    description: text(5000).optional(),
    price: amount.optional(),
    vat_rate: vatRate.optional(),
    daily_capacity: count.nullable().optional(),
    active: z.boolean().optional(),
    requires_approval: z.boolean().optional(),
    external_id: externalId,
  })
  .openapi('ProductPatch');

export type ProductCreate = z.infer<typeof productCreateSchema>;
export type ProductPatch = z.infer<typeof productPatchSchema>;

// ── Occurrences ─────────────────────────────────────────────────────────────────────────

const occurrenceResource = z
  .strictObject({ name, kind: z.enum(OCCURRENCE_RESOURCE_KINDS) })
  .nullable()
  .openapi({ description: 'The room, court or employee the occurrence uses; null or absent = none' });

export const occurrenceCreateSchema = z
  .strictObject({
    product_id: z.string().uuid(),
    name,
    starts_at: timestamp,
    ends_at: timestamp.nullable().optional(),
    capacity: count,
    price: amount.nullable().optional().openapi({ description: 'Minor units; null or absent = the product price' }),
    resource: occurrenceResource.optional(),
    external_id: externalId,
  })
  .openapi('OccurrenceCreate');

export const occurrencePatchSchema = z
  .strictObject({
    name: name.optional(),
    starts_at: timestamp.optional(),
    ends_at: timestamp.nullable().optional(),
    capacity: count.optional().openapi({ description: 'Never below the seats taken (409 capacity_below_seats_taken)' }),
    price: amount.nullable().optional(),
    status: z.enum(['scheduled', 'cancelled']).optional(),
    resource: occurrenceResource.optional().openapi({ description: 'A new resource, or null to remove it' }),
    external_id: externalId,
  })
  .openapi('OccurrencePatch');

export type OccurrenceCreate = z.infer<typeof occurrenceCreateSchema>;
export type OccurrencePatch = z.infer<typeof occurrencePatchSchema>;

// ── Exchange rates ──────────────────────────────────────────────────────────────────────

export const exchangeRatePutSchema = z
  .strictObject({
    rate: z
      .string()
      .regex(/^(0|[1-9]\d{0,13})(\.\d{1,10})?$/, 'a decimal string such as "0.0853" (up to 10 decimals)')
      .refine((r) => /[1-9]/.test(r), 'must be greater than 0')
      .openapi({
        description: 'Units of the quote currency per one unit of the base currency',
        example: '0.0853',
        // The regex above, and "greater than 0" (a digit other than 0) as a lookahead.
        pattern: `^(?=[0-9.]*[1-9])(0|[1-9][0-9]{0,13})(\\.[0-9]{1,10})?${END}`,
      }),
  })
  .openapi('ExchangeRatePut');

export const exchangeRateSchema = z
  .object({
    base_currency: z.string(),
    currency: z.string(),
    rate: z.string(),
    updated_at: z.string(),
  })
  .openapi('ExchangeRate');

export const exchangeRateListSchema = z.object({ data: z.array(exchangeRateSchema) }).openapi('ExchangeRateList');

// ── Campaigns ───────────────────────────────────────────────────────────────────────────

export const campaignCreateSchema = z
  .strictObject({
    code: discountCode.openapi({ description: 'Stored as given, unique per tenant case-insensitively' }),
    kind: z.enum(['percent', 'amount']),
    percent: percent.optional().openapi({ description: 'Required for kind "percent"' }),
    amount: positiveAmount.optional().openapi({ description: 'Minor units; required for kind "amount"' }),
    currency: currencyCode.optional().openapi({ description: 'Required for kind "amount"' }),
    valid_from: timestamp.optional(),
    valid_until: timestamp.optional(),
    max_uses: z.number().int().min(1).max(INT4_MAX).optional(),
    min_order_amount: amount.optional().openapi({ description: 'Minimum order total incl. VAT, in minor units' }),
    product_ids: z
      .array(z.string().uuid())
      .min(1)
      .max(500)
      .optional()
      .openapi({ description: 'Limits the campaign to these products; absent = all' }),
  })
  // What campaignErrors() checks of the kind (422 campaign_invalid), stated.
  .openapi('CampaignCreate', {
    anyOf: [
      {
        properties: { kind: { enum: ['percent'] } },
        required: ['percent'],
        not: { anyOf: [{ required: ['amount'] }, { required: ['currency'] }] },
      },
      { properties: { kind: { enum: ['amount'] } }, required: ['amount', 'currency'], not: { required: ['percent'] } },
    ],
  });

export type CampaignCreate = z.infer<typeof campaignCreateSchema>;

export const campaignSchema = z
  .object({
    id: z.string().uuid(),
    code: z.string(),
    kind: z.enum(['percent', 'amount']),
    percent: z.number().nullable(),
    amount: z.number().int().nullable(),
    currency: z.string().nullable(),
    valid_from: z.string().nullable(),
    valid_until: z.string().nullable(),
    max_uses: z.number().int().nullable(),
    uses: z.number().int(),
    min_order_amount: z.number().int().nullable(),
    product_ids: z.array(z.string()).nullable(),
    created_at: z.string(),
  })
  .openapi('Campaign');

export const campaignListSchema = z
  .object({ data: z.array(campaignSchema), next_cursor: z.string().nullable() })
  .openapi('CampaignList');

// ── Vouchers ────────────────────────────────────────────────────────────────────────────

export const voucherCreateSchema = z
  .strictObject({
    code: discountCode.optional().openapi({ description: 'Generated (GIFT-XXXXXXXX) when absent' }),
    kind: z.enum(['value', 'percent']),
    value: positiveAmount.optional().openapi({ description: 'Minor units; required for kind "value"' }),
    currency: currencyCode.optional().openapi({ description: 'Required for kind "value"' }),
    percent: percent.optional().openapi({ description: 'Required for kind "percent"' }),
    valid_until: timestamp.optional(),
  })
  // What voucherErrors() checks (422 voucher_invalid), stated.
  .openapi('VoucherCreate', {
    anyOf: [
      { properties: { kind: { enum: ['value'] } }, required: ['value', 'currency'], not: { required: ['percent'] } },
      {
        properties: { kind: { enum: ['percent'] } },
        required: ['percent'],
        not: { anyOf: [{ required: ['value'] }, { required: ['currency'] }] },
      },
    ],
  });

export type VoucherCreate = z.infer<typeof voucherCreateSchema>;

export const voucherSchema = z
  .object({
    id: z.string().uuid(),
    code: z.string(),
    kind: z.enum(['value', 'percent']),
    currency: z.string().nullable(),
    initial_value: z.number().int().nullable(),
    remaining_value: z.number().int().nullable(),
    percent: z.number().nullable(),
    valid_until: z.string().nullable(),
    redeemed_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('Voucher');
