import { z } from '@hono/zod-openapi';
import { nonBlankText, PRINTABLE_TEXT } from './common';

// Shape checks of the subscription periods (a failure is a 400 listing every field). The rules
// that span fields — a price of 0 is paid with 'free' alone, a price never with 'free', a period
// needs a way to be paid — are checked in the route and answered 422 with the field named.

export const PERIOD_UNITS = ['day', 'month', 'quarter', 'year'] as const;
export const PERIOD_PAYMENT_METHODS = ['card', 'invoice', 'free'] as const;

const periodUnit = z.enum(PERIOD_UNITS).openapi({ description: 'The unit of the period length', example: 'month' });
const lengthCount = z
  .number()
  .int()
  .min(1)
  .max(1000)
  .openapi({ description: 'How many units one period lasts (3 months, 14 days, …)', example: 1 });
const price = z
  .number()
  .int()
  .min(0)
  .max(Number.MAX_SAFE_INTEGER)
  .openapi({
    description:
      'Price per period in minor units of the tenant currency, in the tenant price basis (excl. VAT unless ' +
      'prices_include_vat), at the product VAT rate',
    example: 14_900,
  });
const paymentMethods = z
  .array(z.enum(PERIOD_PAYMENT_METHODS))
  .max(3)
  .openapi({
    description:
      'How the period may be paid: card, invoice, or free (alone, and only with price 0). Empty is 422 ' +
      '`period_invalid`; duplicates count once.',
    example: ['card', 'invoice'],
  });
const trialDays = z.number().int().min(0).max(3660).openapi({ description: 'Free days before the first period' });
const renewalNoticeDays = z
  .number()
  .int()
  .min(0)
  .max(366)
  .openapi({ description: 'Days before a renewal the subscriber is told of it; default 7' });
const physical = z.boolean().openapi({ description: 'A physical (print) product: orders need a delivery address' });
const name = z.string().trim().min(1).max(200).openapi({ pattern: nonBlankText(), example: 'Monthly' });

/**
 * Another platform's id for a product, occurrence or period (0025_catalog_external_ids), kept by a
 * tenant migrating from it. Here rather than in catalog-admin.ts because this file is the one the
 * other catalogue schemas import, not the other way round. Code points are counted, as the table does.
 */
export const externalIdSchema = z
  .string()
  .regex(/^[^\p{Cc}]{1,128}$/u, '1–128 characters, no control characters')
  .openapi({
    description: "Another platform's id for it (a migrated tenant's old id); unique per tenant when set",
    example: '12792066',
    minLength: 1,
    maxLength: 128,
    pattern: PRINTABLE_TEXT,
  });

export const periodCode = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, '1–64 characters: A–Z, 0–9, "-" or "_", not starting with "-" or "_"')
  .openapi({
    description: 'The period id orders will name (seed 002 `period_id`); unique per product, case-insensitively',
    example: 'monthly',
  });

export const subscriptionPeriodCreateSchema = z
  .strictObject({
    code: periodCode,
    name,
    length_unit: periodUnit,
    length_count: lengthCount,
    price,
    payment_methods: paymentMethods,
    trial_days: trialDays.optional().openapi({ description: 'Free days before the first period; default 0' }),
    physical: physical.optional().openapi({ description: 'Orders need a delivery address; default false' }),
    renewal_notice_days: renewalNoticeDays.optional(),
    active: z.boolean().optional().openapi({ description: 'Default true' }),
    external_id: externalIdSchema.nullable().optional(),
  })
  .openapi('SubscriptionPeriodCreate');

/** The code and the length are fixed: a different length is a new period (and the old one deactivated). */
export const subscriptionPeriodPatchSchema = z
  .strictObject({
    name: name.optional(),
    price: price.optional(),
    payment_methods: paymentMethods.optional(),
    trial_days: trialDays.optional(),
    physical: physical.optional(),
    renewal_notice_days: renewalNoticeDays.optional(),
    active: z.boolean().optional(),
    external_id: externalIdSchema
      .nullable()
      .optional()
      .openapi({ description: 'A new external id, or null to clear it' }),
  })
  .openapi('SubscriptionPeriodPatch');

export type SubscriptionPeriodCreate = z.infer<typeof subscriptionPeriodCreateSchema>;
export type SubscriptionPeriodPatch = z.infer<typeof subscriptionPeriodPatchSchema>;

export const subscriptionPeriodSchema = z
  .object({
    id: z.string().uuid(),
    product_id: z.string().uuid(),
    code: z.string(),
    name: z.string(),
    length_unit: z.enum(PERIOD_UNITS),
    length_count: z.number().int(),
    price: z.number().int().openapi({ description: 'Minor units per period, in the tenant price basis' }),
    currency: z.string(),
    payment_methods: z.array(z.enum(PERIOD_PAYMENT_METHODS)),
    trial_days: z.number().int(),
    physical: z.boolean(),
    renewal_notice_days: z.number().int(),
    active: z.boolean(),
    external_id: z.string().nullable().openapi({ description: "Another platform's id for it; null when unset" }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('SubscriptionPeriod');

export const subscriptionPeriodListSchema = z
  .object({ data: z.array(subscriptionPeriodSchema), next_cursor: z.string().nullable() })
  .openapi('SubscriptionPeriodList');
