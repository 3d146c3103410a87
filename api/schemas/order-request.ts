import { MAX_PARTICIPANTS_PER_ORDER } from '../../domain/order-validation';
import { MAX_CAMPAIGN_CODES } from '../../domain/campaign-codes';
import { z } from '@hono/zod-openapi';
import { ORDER_ORIGINS, type OrderLineRequest, type OrderRequest, PAYMENT_METHODS } from '../../domain/order-request';
import type { SameType } from '../../domain/same-type';
import { currencyCode, pageUrl } from './common';

// Shape checks only (types, lengths, formats): a failure here is a 400. Whether an occurrence
// exists, a code is valid or an email is present is business validation in the workflow's
// activities (422 with every error at once), so every entry point shares one rule set.

const text = (max = 200) => z.string().max(max);

/** An id in the integrator's system: opaque text we store and filter by, never resolve. */
const externalReference = (description: string, example: string) =>
  text(100)
    .min(1)
    .optional()
    .openapi({ description: `${description}; returned with the order, and a filter of the order list`, example });

const address = z
  .strictObject({
    line_1: text().optional(),
    line_2: text().optional(),
    line_3: text().optional(),
    zipcode: text(20).optional(),
    city: text(100).optional(),
    country_code: z
      .string()
      .regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2, e.g. "NO"')
      .optional(),
  })
  .openapi('Address');

const participantProduct = z.strictObject({
  id: z.string().uuid(),
  quantity: z.number().int().min(1).max(100).optional(),
  discount_percent: z.number().min(0).max(100).optional(),
  price: z
    .number()
    .int()
    .min(0)
    .optional()
    .openapi({ description: 'Price override in minor units; needs the orders:price_override scope' }),
});

const participant = z
  .strictObject({
    firstname: text(100).optional(),
    lastname: text(100).optional(),
    email: text(254).optional(),
    phone: text(40).optional(),
    date_of_birth: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD')
      .optional(),
    price: z
      .number()
      .int()
      .min(0)
      .optional()
      .openapi({
        description:
          'Overrides the main product price (a course-booking client sets a negotiated price per ' +
          'participant this way); needs orders:price_override',
      }),
    discount_percent: z.number().min(0).max(100).optional().openapi({ description: 'Discount on the main product' }),
    products: z.array(participantProduct).max(20).optional(),
    home_address: address.optional(),
    work_address: address.optional(),
  })
  .openapi('Participant');

export const orderLineRequestSchema = z
  .strictObject({
    occurrence_id: z.string().uuid().optional(),
    product_id: z.string().uuid().optional(),
    date: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD')
      .optional()
      .openapi({
        description:
          'For products with inventory per date (a ticket or day pass sold for a day rather than for ' +
          'a scheduled occurrence)',
      }),
    quantity: z.number().int().optional(),
    discount_percent: z.number().min(0).max(100).optional(),
    price: z.number().int().min(0).optional(),
    participants: z.array(participant).max(MAX_PARTICIPANTS_PER_ORDER).optional(),
    period: text(64)
      .min(1)
      .optional()
      .openapi({ description: "A subscription product's period code (docs/subscriptions.md)", example: 'monthly' }),
    start_date: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD')
      .optional()
      .openapi({ description: "A subscription's first day; absent: today" }),
  })
  .openapi('OrderLineRequest');

const prepayment = z
  .strictObject({
    amount: z
      .number()
      .int()
      .min(0)
      .openapi({ description: 'Minor units; must equal the order total', example: 120000 }),
    currency: currencyCode,
    method: text(40).min(1).openapi({ description: 'How it was paid, in your words', example: 'card' }),
    transaction_code: text(100)
      .min(1)
      .openapi({ description: "The other provider's transaction code; once per tenant", example: 'psp-8812-3' }),
    provider: text(64).min(1).optional().openapi({ example: 'adyen' }),
    paid_at: z.string().datetime({ offset: true }).optional().openapi({ example: '2026-11-30T12:00:00Z' }),
  })
  .openapi('Prepayment', {
    description:
      'An order already paid through another provider: recorded in the ledger, checked against the total ' +
      '(422 prepayment_amount_mismatch), and the order is booked and its receipt issued at once',
  });

export const orderRequestSchema = z
  .strictObject({
    payment_method: z.enum(PAYMENT_METHODS),
    prepayment: prepayment.optional(),
    currency: currencyCode.optional(),
    campaign_code: text(64).optional().openapi({ description: 'One campaign code (or give `campaign_codes`)' }),
    campaign_codes: z
      .array(text(64))
      .max(MAX_CAMPAIGN_CODES)
      .optional()
      .openapi({
        description:
          'Campaign codes applied in this order, each on what the ones before it left (percents compound, ' +
          "amounts subtract, never below 0). More than one needs the tenant's `campaign_stacking` (422 " +
          '`campaign_stacking_not_allowed`); a code twice is 422 `campaign_code_duplicate`; with `campaign_code` ' +
          'too, 422 `campaign_codes_conflict`',
        example: ['SPRING', 'MEMBER100'],
      }),
    voucher_code: text(64).optional(),
    payment_complete_url: pageUrl().optional(),
    payment_cancel_url: pageUrl().optional(),
    booker: z
      .strictObject({ name: text().optional(), email: text(254).optional(), phone: text(40).optional() })
      .optional(),
    company: z
      .strictObject({
        name: text().optional(),
        number: text(40).optional(),
        gln: text(20).optional(),
        vat_number: text(40).optional(),
      })
      .optional(),
    invoice: z
      .strictObject({
        reference: text().optional(),
        email: text(254).optional(),
        firstname: text(100).optional(),
        lastname: text(100).optional(),
        phone: text(40).optional(),
        address: address.optional(),
      })
      .optional(),
    delivery: z.strictObject({ name: text().optional(), address: address.optional() }).optional(),
    lines: z.array(orderLineRequestSchema).max(50),
    external_id: text(100).optional(),
    external_contact_id: externalReference("The booker's id in your system (a contact id)", '47403'),
    external_company_id: externalReference("The ordering company's id in your system (a company id)", '1'),
    origin: z
      .enum(ORDER_ORIGINS)
      .optional()
      .openapi({ description: 'Where the order came from (a source type); default `api`', example: 'staff' }),
    notes: z
      .strictObject({ mark: text(200).optional(), external: text(2000).optional(), internal: text(2000).optional() })
      .optional(),
    client: z
      .strictObject({
        name: text(100).optional(),
        os: text(100).optional(),
        language: text(35).optional(),
        ip_address: text(64).optional(),
        user_agent: text(500).optional(),
      })
      .optional(),
    config: z
      .strictObject({
        send_receipt_email_to_participant: z.boolean().optional(),
        auto_append_course_product: z.boolean().optional(),
        allow_customer_autoconnect: z.boolean().optional(),
      })
      .optional(),
  })
  .openapi('OrderRequest');

// The domain owns the contract (domain/order-request.ts); these fail to compile as soon as the
// JSON this schema accepts and the type the order domain reads differ in any field.
const requestMatchesDomain: SameType<z.infer<typeof orderRequestSchema>, OrderRequest> = true;
const lineMatchesDomain: SameType<z.infer<typeof orderLineRequestSchema>, OrderLineRequest> = true;
void requestMatchesDomain;
void lineMatchesDomain;

export type { OrderRequest };
