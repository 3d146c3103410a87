import { z } from '@hono/zod-openapi';

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
  })
  .openapi('Product');

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
  })
  .openapi('Occurrence');

export const productListSchema = z
  .object({ data: z.array(productSchema), next_cursor: z.string().nullable() })
  .openapi('ProductList');
export const occurrenceListSchema = z
  .object({ data: z.array(occurrenceSchema), next_cursor: z.string().nullable() })
  .openapi('OccurrenceList');
