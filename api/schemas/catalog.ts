import { z } from '@hono/zod-openapi';
import { subscriptionPeriodSchema } from './subscription-periods';

const externalId = z.string().nullable().openapi({ description: "Another platform's id for it; null when unset" });

export const productTypeSchema = z.enum(['course', 'ticket', 'facility_slot', 'subscription', 'item', 'voucher']);

export const productSchema = z
  .object({
    id: z.string().uuid(),
    type: productTypeSchema,
    name: z.string(),
    description: z.string(),
    price: z
      .number()
      .int()
      .openapi({
        description:
          'List price in minor units of the tenant currency, in the tenant price basis (excl. VAT ' +
          'unless prices_include_vat)',
      }),
    currency: z.string(),
    vat_rate: z.number().openapi({ description: 'VAT percent, e.g. 25' }),
    daily_capacity: z.number().int().nullable(),
    active: z.boolean(),
    requires_approval: z.boolean().openapi({ description: "Orders with it wait for an operator's approval" }),
    external_id: externalId,
    periods: z
      .array(subscriptionPeriodSchema)
      .optional()
      .openapi({
        description:
          "A subscription product's active periods, by code (in the catalogue reads: the list and by id; " +
          'docs/subscriptions.md)',
      }),
  })
  .openapi('Product');

export const OCCURRENCE_RESOURCE_KINDS = ['room', 'court', 'employee', 'equipment', 'other'] as const;

export const occurrenceResourceSchema = z
  .object({
    name: z.string().openapi({ example: 'Court 1' }),
    kind: z.enum(OCCURRENCE_RESOURCE_KINDS).openapi({ example: 'court' }),
  })
  .openapi('OccurrenceResource', { description: 'What the occurrence uses: a room, court, employee, …' });

export const occurrenceSchema = z
  .object({
    id: z.string().uuid(),
    product_id: z.string().uuid(),
    name: z.string(),
    starts_at: z.string(),
    ends_at: z.string().nullable(),
    capacity: z.number().int(),
    seats_taken: z.number().int(),
    seats_left: z.number().int(),
    price: z.number().int().openapi({ description: 'Effective price: the occurrence price, else the product price' }),
    currency: z.string(),
    status: z.enum(['scheduled', 'cancelled']),
    // A union rather than .nullable(): the generator drops the null of a nullable $ref.
    resource: z
      .union([occurrenceResourceSchema, z.null()])
      .openapi({ description: 'The room, court or employee it uses; null when the catalogue names none' }),
    external_id: externalId,
  })
  .openapi('Occurrence');

export const productListSchema = z
  .object({ data: z.array(productSchema), next_cursor: z.string().nullable() })
  .openapi('ProductList');
export const occurrenceListSchema = z
  .object({ data: z.array(occurrenceSchema), next_cursor: z.string().nullable() })
  .openapi('OccurrenceList');
