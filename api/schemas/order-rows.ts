import { z } from '@hono/zod-openapi';
import { occurrenceResourceSchema, productTypeSchema } from './catalog';
import { documentAddressSchema } from './invoice';

// An order's rows and who ordered them, as the order list and a single order show them (the
// facility platform's `items` and `orderedby`; docs/seed-mapping.md).

export const orderRowSchema = z
  .object({
    id: z.string().uuid(),
    product_id: z.string().uuid(),
    product_type: productTypeSchema,
    product_name: z.string().openapi({ example: 'Tennis 1 hour' }),
    occurrence_id: z.string().uuid().nullable(),
    date: z.string().nullable().openapi({ description: 'The day booked, for products sold per date' }),
    starts_at: z.string().nullable().openapi({ description: "The occurrence's start; null for undated lines" }),
    ends_at: z.string().nullable().openapi({ description: "The occurrence's end, when it has one" }),
    // A union rather than .nullable(): the generator drops the null of a nullable $ref.
    resource: z
      .union([occurrenceResourceSchema, z.null()])
      .openapi({ description: 'The room, court or employee booked, where the catalogue names one' }),
    participant_index: z.number().int().nullable(),
    participant_name: z.string().nullable().openapi({ example: 'Jane Doe' }),
    description: z.string(),
    quantity: z.number().int(),
    unit_price: z.number().int(),
    discount: z.number().int(),
    vat_rate: z.number(),
    excl_vat: z.number().int().openapi({ description: 'Minor units, excluding VAT (`priceexvat`)' }),
    vat: z.number().int(),
    incl_vat: z.number().int().openapi({ description: 'Minor units, including VAT (`priceincvat`)' }),
  })
  .openapi('OrderRow');

export const orderedBySchema = z
  .object({
    customer_id: z
      .string()
      .uuid()
      .nullable()
      .openapi({ description: 'Our customer record of the booker (GET /v1/customers/{id}), or null' }),
    external_contact_id: z
      .string()
      .nullable()
      .openapi({ description: "The booker's id (customer number) in your system, as sent with the order" }),
    name: z.string().nullable(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    company: z.string().nullable(),
    address: z.union([documentAddressSchema, z.null()]).openapi({
      description:
        "The customer's billing address when complete (street, zip code, city), else the order's " +
        'invoice address, else its delivery address; null when none is known',
    }),
  })
  .openapi('OrderedBy', { description: 'Who ordered' });
