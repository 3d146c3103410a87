import { z } from '@hono/zod-openapi';
import { ORDER_STATUSES } from '../../domain/order-status';
import { limitQuery } from './common';
import { PERIOD_UNITS } from './subscription-periods';

// Shapes of GET /v1/subscriptions (docs/subscriptions.md, "Reading subscriptions").

export const SUBSCRIPTION_STATUSES = ['active', 'paused', 'suspended', 'cancelled'] as const;

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
  current_period_end: date('The last day the subscription is paid for'),
  next_renewal_date: date(
    'When the next period is due: `current_period_end` for now, since renewals are not built yet',
  ),
  created_at: z.string(),
};

export const subscriptionListItemSchema = z
  .object({ ...subscriptionShape, order_id: z.string().uuid().openapi({ description: 'The order that bought it' }) })
  .openapi('SubscriptionListItem');

export const subscriptionSchema = z
  .object({
    ...subscriptionShape,
    order: z
      .object({ id: z.string().uuid(), number: z.number().int(), status: z.enum(ORDER_STATUSES) })
      .openapi('SubscriptionOrder', { description: 'The order that bought it' }),
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
