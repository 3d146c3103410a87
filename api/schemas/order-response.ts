import { z } from '@hono/zod-openapi';
import { ORDER_ORIGINS, PAYMENT_METHODS } from '../../domain/order-request';
import { documentAddressSchema } from './invoice';
import { orderedBySchema, orderRowSchema } from './order-rows';

const discountPart = z
  .object({
    source: z.enum(['lines', 'campaign', 'voucher']),
    code: z.string().nullable().openapi({ description: 'The campaign or voucher code; null for the lines' }),
    campaign_id: z.string().nullable(),
    amount: z.number().int().openapi({ description: 'Minor units, in the price basis, like `discounts`' }),
  })
  .openapi('DiscountPart');

const totals = z.object({
  before_discounts: z.number().int(),
  discounts: z.number().int(),
  discount_breakdown: z.array(discountPart).openapi({
    description:
      "Where `discounts` came from, adding up to it: the lines' own discounts, each campaign code in the " +
      'order applied, the voucher (empty for orders priced before the breakdown existed)',
  }),
  excl_vat: z.number().int(),
  vat: z.number().int(),
  incl_vat: z.number().int(),
});

export const orderSummarySchema = z
  .object({
    id: z.string().uuid(),
    number: z.number().int(),
    status: z.string().openapi({ example: 'awaiting_payment' }),
    currency: z.string(),
    totals,
    vat_summary: z.array(z.object({ rate: z.number(), base: z.number().int(), amount: z.number().int() })),
    lines: z.array(
      z.object({
        id: z.string().uuid(),
        product_id: z.string().uuid(),
        occurrence_id: z.string().uuid().nullable(),
        date: z.string().nullable(),
        participant_index: z.number().int().nullable(),
        description: z.string(),
        quantity: z.number().int(),
        unit_price: z.number().int(),
        discount: z.number().int(),
        vat_rate: z.number(),
        excl_vat: z.number().int(),
        vat: z.number().int(),
        incl_vat: z.number().int(),
      }),
    ),
    number_of_participants: z.number().int(),
    participants: z
      .array(z.object({ index: z.number().int(), booking_id: z.string().nullable() }))
      .openapi({ description: "Each participant's booking reference, there from the moment the order exists" }),
    preliminary_until: z.string().nullable(),
    approval_until: z.string().nullable().openapi({
      description: "While the order is held for an operator's approval (`awaiting_approval`): until when it waits",
    }),
    payment: z.object({
      method: z.enum(PAYMENT_METHODS),
      requires_redirect: z.boolean(),
      session_id: z.string().nullable(),
      redirect_url: z.string().nullable(),
    }),
  })
  .openapi('OrderSummary');

/** The integrator's references and the order's origin, as the order list and a single order show them. */
export const orderReferencesShape = {
  external_contact_id: z.string().nullable().openapi({ description: "The booker's id in your system, or null" }),
  external_company_id: z.string().nullable().openapi({ description: "The company's id in your system, or null" }),
  origin: z.enum(ORDER_ORIGINS).openapi({ description: 'Where the order came from; `api` unless it said' }),
};

// A union rather than .nullable(): the generator drops the null of a nullable $ref.
const participantAddress = (whose: string) =>
  z
    .union([documentAddressSchema, z.null()])
    .openapi({ description: `The participant's ${whose} address as given in the order (missing parts null), or null` });

const orderParticipantSchema = z
  .object({
    index: z.number().int(),
    firstname: z.string(),
    lastname: z.string(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    date_of_birth: z.string().nullable(),
    booking_id: z.string().nullable(),
    status: z.string(),
    attendance: z.enum(['attended', 'no_show']).nullable().openapi({
      description: 'Whether the booked participant came (PUT …/participants/{index}/attendance); null: not recorded',
    }),
    customer_id: z.string().uuid().nullable().openapi({
      description: "The participant's customer record (GET /v1/customers/{id}); null when not connected by email",
    }),
    home_address: participantAddress('home'),
    work_address: participantAddress('work'),
  })
  .openapi('OrderParticipant');

export const orderDetailsSchema = orderSummarySchema
  .extend({
    external_id: z.string().nullable(),
    campaign_codes: z.array(z.string()).openapi({ description: 'The campaign codes applied, in order' }),
    ...orderReferencesShape,
    amount_paid: z.number().int(),
    left_to_pay: z.number().int(),
    lines: z.array(orderRowSchema).openapi({ description: 'The order rows: the lines with product, time, resource' }),
    ordered_by: orderedBySchema,
    participants: z.array(orderParticipantSchema),
    payments: z.array(
      z
        .object({
          id: z.string(),
          kind: z.string(),
          status: z.string(),
          amount: z.number().int(),
          // A prepaid order's payment, as the other system reported it.
          method: z.string().nullable().optional(),
          transaction_code: z.string().nullable().optional(),
          external_provider: z.string().nullable().optional(),
          paid_at: z.string().nullable().optional(),
        })
        .passthrough(),
    ),
    documents: z.array(
      z.object({ id: z.string(), kind: z.string(), number: z.string(), status: z.string() }).passthrough(),
    ),
    timeline: z.array(z.object({ type: z.string(), message: z.string(), at: z.string() }).passthrough()),
  })
  .passthrough()
  .openapi('OrderDetails');
