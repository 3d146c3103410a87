import { z } from '@hono/zod-openapi';
import { ORDER_ORIGINS, PAYMENT_METHODS } from '../../domain/order-request';
import { ORDER_STATUSES } from '../../domain/order-status';
import { END, limitQuery } from './common';
import { orderReferencesShape } from './order-response';
import { orderedBySchema, orderRowSchema } from './order-rows';
import { orderedByXmlExample, orderLinesXmlExample } from './order-xml-examples';

/** "a,b,c" → ["a", "b", "c"] without blanks or repeats. */
export function splitList(value: string): string[] {
  return [
    ...new Set(
      value
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== ''),
    ),
  ];
}

/** The refine below as a pattern: names from `allowed`, separated by commas, spaces around them ignored. */
function listPattern(allowed: readonly string[]): string {
  const name = `(?:${allowed.join('|')})`;
  return `^[ ,]*${name}(?: *,[ ,]*${name})*[ ,]*${END}`;
}

const listOf = (allowed: readonly string[], what: string) =>
  z
    .string()
    .max(500)
    .refine((value) => splitList(value).length > 0 && splitList(value).every((v) => allowed.includes(v)), {
      message: `a comma-separated list of ${what}: ${allowed.join(', ')}`,
    })
    .openapi({ pattern: listPattern(allowed) });

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** A date-only value is a whole UTC day; a date-time needs its offset (no local-time guessing). */
export function isDateOrDateTime(value: string): boolean {
  if (DATE_ONLY.test(value)) {
    const parsed = new Date(`${value}T00:00:00Z`);
    return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(value);
  }
  return DATE_TIME.test(value) && !Number.isNaN(Date.parse(value));
}

export function isDateOnly(value: string): boolean {
  return DATE_ONLY.test(value);
}

const dateOrDateTime = z
  .string()
  .refine(isDateOrDateTime, { message: 'an ISO date (2026-01-31) or a date-time with offset (2026-01-31T12:00:00Z)' });

export const orderListQuerySchema = z.strictObject({
  number: z
    .string()
    .regex(/^\d{1,15}$/, 'an order number')
    .optional()
    .openapi({ description: 'Order number (exact)', example: '42' }),
  status: listOf(ORDER_STATUSES, 'statuses')
    .optional()
    .openapi({ description: 'Comma-separated statuses', example: 'awaiting_payment,reserved' }),
  created_from: dateOrDateTime.optional().openapi({
    description:
      'Created at or after (inclusive). A date is that day 00:00 UTC. Default: one year ago (a ' +
      'date; the default facility-booking order lists use, so clients coming from one see the ' +
      'same orders)',
    example: '2026-01-01',
  }),
  created_to: dateOrDateTime.optional().openapi({
    description:
      'Created at or before (inclusive). A date covers that whole UTC day. Default: tomorrow (a ' +
      'date; the same facility-booking default)',
    example: '2026-12-31',
  }),
  occurrence_id: z.string().uuid().optional().openapi({ description: 'Orders with a line on this occurrence' }),
  customer_email: z
    .string()
    .min(1)
    .max(254)
    .optional()
    .openapi({ description: "Booker email or a participant's email, case-insensitive" }),
  customer_id: z
    .string()
    .uuid()
    .optional()
    .openapi({ description: 'Orders of this customer, as booker or as participant' }),
  external_id: z.string().min(1).max(100).optional(),
  external_contact_id: z.string().min(1).max(100).optional().openapi({
    description: 'Orders for this booker id of your system (exact, as sent when placed)',
    example: '47403',
  }),
  external_company_id: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .openapi({ description: 'Orders for this company id of your system (exact, as sent when placed)', example: '1' }),
  origin: listOf(ORDER_ORIGINS, 'origins')
    .optional()
    .openapi({ description: 'Comma-separated: api, staff, import', example: 'staff,import' }),
  include_expired: z
    .enum(['true', 'false'])
    .optional()
    .openapi({
      description:
        'Expired preliminary orders (never paid, seats given back) are left out of a list that names no ' +
        '`status`; `true` lists them too. A `status` filter lists exactly the statuses it names.',
      example: 'true',
    }),
  attention: z
    .enum(['true', 'false'])
    .optional()
    .openapi({
      description:
        '`true`: only orders flagged for operators (`attention_reason` set): those in `needs_attention` and ' +
        'those flagged in another status (an invoice unpaid after its reminders, a booking that failed after ' +
        'payment); `false`: only orders without a flag',
      example: 'true',
    }),
  payment_method: listOf(PAYMENT_METHODS, 'payment methods')
    .optional()
    .openapi({ description: 'Comma-separated: card, invoice, free' }),
  limit: limitQuery,
  cursor: z.string().max(500).optional().openapi({ description: 'next_cursor of the previous page' }),
});

export type OrderListQuery = z.infer<typeof orderListQuerySchema>;

export const orderListItemSchema = z
  .object({
    id: z.string().uuid(),
    number: z.number().int(),
    status: z.enum(ORDER_STATUSES),
    currency: z.string(),
    totals: z.object({
      before_discounts: z.number().int(),
      discounts: z.number().int(),
      excl_vat: z.number().int(),
      vat: z.number().int(),
      incl_vat: z.number().int(),
    }),
    payment_method: z.enum(PAYMENT_METHODS),
    booker_email: z.string().nullable(),
    external_id: z.string().nullable(),
    ...orderReferencesShape,
    preliminary_until: z.string().nullable(),
    created_at: z.string(),
    number_of_participants: z.number().int(),
    attention_reason: z.string().nullable().openapi({
      description: 'Why the order waits for an operator (docs/operations.md); null when it does not',
    }),
    ordered_by: orderedBySchema,
    lines: z.array(orderRowSchema).openapi({ description: 'The order rows, as in GET /v1/orders/{id}' }),
    left_to_pay: z
      .number()
      .int()
      .openapi({
        description:
          'What is still to pay (`lefttopay` in facility-booking APIs): 0 once paid in full, and for ' +
          'expired or cancelled orders',
      }),
  })
  .openapi('OrderListItem');

export const orderListSchema = z
  .object({
    data: z.array(orderListItemSchema),
    next_cursor: z.string().nullable(),
    created_from: z
      .string()
      .openapi({ description: 'The created_from applied (the default when none was given)', example: '2025-11-25' }),
    created_to: z
      .string()
      .openapi({ description: 'The created_to applied (the default when none was given)', example: '2026-11-26' }),
  })
  .openapi('OrderList');

export type OrderListItem = z.infer<typeof orderListItemSchema>;

export const orderListXmlExample =
  `<?xml version="1.0" encoding="UTF-8"?>
<orders>
  <order>
    <id>0b7c…</id><number>42</number><status>completed</status><currency>nok</currency>
    <totals><before_discounts>125000</before_discounts><discounts>0</discounts>` +
  `<excl_vat>125000</excl_vat><vat>31250</vat><incl_vat>156250</incl_vat></totals>
    <payment_method>invoice</payment_method><booker_email>jane@example.com</booker_email><external_id></external_id>
    <external_contact_id>47403</external_contact_id><external_company_id>1</external_company_id><origin>api</origin>
    <preliminary_until></preliminary_until><created_at>2026-11-25T13:47:00.123Z</created_at>
    <number_of_participants>1</number_of_participants><attention_reason></attention_reason>` +
  orderedByXmlExample +
  orderLinesXmlExample +
  `
    <left_to_pay>0</left_to_pay>
  </order>
  <next_cursor></next_cursor>
  <created_from>2025-11-25</created_from>
  <created_to>2026-11-26</created_to>
</orders>`;
