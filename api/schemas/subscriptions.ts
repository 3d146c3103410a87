import { z } from '@hono/zod-openapi';
import { ORDER_STATUSES } from '../../domain/order-status';
import { SUBSCRIPTION_STATUSES } from '../../domain/subscription-state';
import { limitQuery, nonBlankText } from './common';
import { PERIOD_UNITS } from './subscription-periods';

// Shapes of /v1/subscriptions (docs/subscriptions.md, "Reading subscriptions" and "Changing a subscription").

const date = (description: string) => z.string().openapi({ description, format: 'date', example: '2026-01-31' });

const subscriptionShape = {
  id: z.string().uuid(),
  number: z.number().int().openapi({ description: 'Per tenant, counted from 1', example: 1 }),
  status: z.enum(SUBSCRIPTION_STATUSES),
  product: z.object({ id: z.string().uuid(), name: z.string() }).openapi('SubscriptionProduct'),
  period: z
    .object({
      id: z.string().uuid(),
      code: z.string().openapi({ example: 'monthly' }),
      name: z.string().openapi({ example: 'Monthly' }),
      length_unit: z.enum(PERIOD_UNITS),
      length_count: z.number().int(),
    })
    .openapi('SubscriptionPeriodRef', { description: 'The period the subscription runs in' }),
  payment_method: z
    .string()
    .openapi({ description: 'How each period is paid: `card`, `invoice` or `free`', example: 'invoice' }),
  customer: z
    .object({
      id: z.string().uuid().nullable().openapi({ description: 'The customer record, if the order has one' }),
      email: z.string().nullable(),
    })
    .openapi('SubscriptionCustomer'),
  start_date: date('The first day of the first period'),
  current_period_end: date('The day the paid period ends and the next would begin (the first day not paid for)'),
  next_renewal_date: date(
    'When the subscription renews next (its workflow places and charges that period then); null when it renews ' +
      'no more: cancelled, cancelled at the period end, or paused',
  ).nullable(),
  cancel_at_period_end: z
    .boolean()
    .openapi({ description: 'Cancelled at the end of the paid period: it runs until then and renews no more' }),
  created_at: z.string(),
};

const subscriptionCycleSchema = z
  .object({
    sequence: z.number().int().openapi({ description: '1 is the period the first order bought; 2, 3, … renewals' }),
    start_date: date('The first day of the period'),
    end_date: date('The day the period ends'),
    status: z.enum(['pending', 'paid', 'unpaid', 'cancelled']).openapi({
      description: '`pending` until its order is paid or invoiced, `unpaid` when dunning gave up, `cancelled`',
    }),
    order: z
      .object({
        id: z.string().uuid(),
        number: z.number().int(),
        status: z.enum(ORDER_STATUSES).nullable().openapi({ description: 'Null while the order is not placed yet' }),
      })
      .openapi('SubscriptionCycleOrder', { description: 'The order that pays for the period' }),
    documents: z
      .array(
        z
          .object({
            id: z.string().uuid(),
            kind: z.enum(['invoice', 'receipt', 'credit_note']),
            number: z.string().openapi({ example: 'F-2026-000123' }),
          })
          .openapi('SubscriptionCycleDocument'),
      )
      .openapi({ description: "The order's invoice or receipt and credit notes, oldest first" }),
  })
  .openapi('SubscriptionCycle');

export const subscriptionListItemSchema = z
  .object({ ...subscriptionShape, order_id: z.string().uuid().openapi({ description: 'The order that bought it' }) })
  .openapi('SubscriptionListItem');

export const subscriptionSchema = z
  .object({
    ...subscriptionShape,
    order: z
      .object({ id: z.string().uuid(), number: z.number().int(), status: z.enum(ORDER_STATUSES) })
      .openapi('SubscriptionOrder', { description: 'The order that bought it' }),
    periods: z.array(subscriptionCycleSchema).openapi({ description: 'Every period so far, by sequence' }),
    cancelled_at: z.string().nullable().openapi({ description: 'When it ended (cancelled at once or at period end)' }),
    cancel_reason: z.string().nullable().openapi({ description: 'The reason given with the cancellation' }),
    paused_at: z.string().nullable().openapi({ description: 'When it was paused; null unless `paused`' }),
    next_period: z
      .object({ id: z.string().uuid(), code: z.string(), name: z.string() })
      .nullable()
      .openapi('SubscriptionNextPeriod', {
        description: 'The period it changes to at the next renewal, if one was asked',
      }),
    saved_card: z
      .object({ id: z.string().uuid(), brand: z.string(), last4: z.string() })
      .nullable()
      .openapi('SubscriptionSavedCard', { description: 'The card renewals are charged to (card subscriptions)' }),
  })
  .openapi('Subscription');

export const subscriptionListSchema = z
  .object({ data: z.array(subscriptionListItemSchema), next_cursor: z.string().nullable() })
  .openapi('SubscriptionList');

export const subscriptionListQuerySchema = z.strictObject({
  status: z.enum(SUBSCRIPTION_STATUSES).optional(),
  customer_email: z
    .string()
    .min(1)
    .max(254)
    .optional()
    .openapi({ description: "The subscriber's email, exactly but regardless of case", example: 'jane@example.com' }),
  product_id: z.string().uuid().optional(),
  limit: limitQuery,
  cursor: z.string().max(500).optional(),
});

// Changing a subscription: each body is strict (an unknown field is 400, as everywhere).

export const cancelSubscriptionBody = z
  .strictObject({
    at: z
      .enum(['period_end', 'now'])
      .default('period_end')
      .openapi({
        description:
          '`period_end` (default): it runs to the end of the paid period and renews no more; `now`: it ends at ' +
          'once and the unused part of the period is credited',
      }),
    reason: z
      .string()
      .trim()
      .min(1)
      .max(500)
      .optional()
      .openapi({
        description: 'Why; kept as the cancellation reason',
        example: 'Moving abroad',
        pattern: nonBlankText(true),
      }),
  })
  .openapi('CancelSubscriptionRequest');

export const emptySubscriptionBody = z.strictObject({}).openapi('EmptySubscriptionRequest');

export const changeSubscriptionPeriodBody = z
  .strictObject({
    period_id: z.string().uuid().openapi({ description: 'An active period of the same product' }),
  })
  .openapi('ChangeSubscriptionPeriodRequest');

export const subscriptionIdempotencyKeyHeader = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
  .optional()
  .openapi({ description: 'The same key asks the same change once: a retry answers what the first one did' });

export const subscriptionChangedSchema = z
  .object({
    ...subscriptionSchema.shape,
    credit: z
      .object({
        amount: z.number().int().openapi({ description: 'Minor units credited for the unused part of the period' }),
        refund_amount: z.number().int().openapi({ description: 'Minor units refunded to the card (0 for invoices)' }),
        credit_note_number: z.string().nullable(),
      })
      .nullable()
      .optional()
      .openapi('SubscriptionCredit', { description: 'With a cancellation at once: what the unused part credited' }),
  })
  .openapi('SubscriptionChanged');
