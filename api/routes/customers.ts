import { createRoute, z } from '@hono/zod-openapi';
import { type CustomerRow, getCustomer, listCustomers } from '../../db/queries/customers';
import { listOrders } from '../../db/queries/order-list';
import { createResourceApp } from '../resource-app';
import { requireScope } from '../auth';
import { decodeCursor, keysetPage } from '../cursor';
import { problems } from '../problem';
import { limitQuery, problemResponses, uuidParam } from '../schemas/common';
import { orderListItemSchema } from '../schemas/order-list';
import { presentOrderListItem } from './order-list';

/** Orders shown inline with one customer; the rest through GET /v1/orders?customer_id=. */
const CUSTOMER_ORDERS_SHOWN = 50;

const json = <T>(schema: T) => ({ 'application/json': { schema } });

const customerSchema = z
  .object({
    id: z.string().uuid(),
    email: z.string(),
    name: z.string(),
    phone: z.string().nullable(),
    external_contact_id: z.string().nullable().openapi({
      description:
        "The customer's id in your system: the `external_contact_id` of the first order that named them as booker",
    }),
    created_at: z.string(),
  })
  .openapi('Customer');

const customerListSchema = z
  .object({ data: z.array(customerSchema), next_cursor: z.string().nullable() })
  .openapi('CustomerList');

const customerOrderSchema = orderListItemSchema
  .extend({
    roles: z.array(z.enum(['booker', 'participant'])).openapi({ description: 'How the customer is in the order' }),
  })
  .openapi('CustomerOrder');

const customerDetailsSchema = customerSchema
  .extend({
    orders: z.array(customerOrderSchema).openapi({
      description: `The ${CUSTOMER_ORDERS_SHOWN} newest orders with the customer as booker or participant`,
    }),
    more_orders: z.boolean().openapi({ description: 'More orders than shown: page them with orders_url' }),
    orders_url: z.string().openapi({ example: '/v1/orders?customer_id=…&created_from=2000-01-01' }),
  })
  .openapi('CustomerDetails');

function presentCustomer(c: CustomerRow) {
  return {
    id: c.id,
    email: c.email,
    name: c.name,
    phone: c.phone,
    external_contact_id: c.external_contact_id,
    created_at: c.created_at.toISOString(),
  };
}

export const customerRoutes = createResourceApp();

customerRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/',
    tags: ['customers'],
    summary: 'List customers (bookers and participants, connected by email), by email',
    middleware: [requireScope('orders:read')],
    description:
      'Needs `orders:read`. `email` finds one customer regardless of case; `external_contact_id` the ' +
      'customers your system knows by that id.',
    request: {
      query: z.strictObject({
        email: z.string().min(1).max(254).optional(),
        external_contact_id: z.string().min(1).max(100).optional().openapi({ example: '47403' }),
        limit: limitQuery,
        cursor: z.string().max(500).optional(),
      }),
    },
    responses: {
      200: { description: 'Customers, ordered by email', content: json(customerListSchema) },
      ...problemResponses(400, 401, 403),
    },
  }),
  async (c) => {
    const q = c.req.valid('query');
    const after = decodeCursor<{ e: string }>(q.cursor, ['e']);
    if (after && typeof after.e !== 'string')
      throw problems.badRequest('cursor_invalid', 'The cursor is not one this API handed out');
    const rows = await listCustomers(c.var.deps.db, c.var.auth.tenantId, {
      email: q.email,
      externalContactId: q.external_contact_id,
      afterEmail: after?.e,
      limit: q.limit + 1,
    });
    return c.json(
      keysetPage(rows, q.limit, presentCustomer, (last) => ({ e: last.email.toLowerCase() })),
      200,
    );
  },
);

customerRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/{id}',
    tags: ['customers'],
    summary: 'One customer with their newest orders, as booker or participant',
    middleware: [requireScope('orders:read')],
    description: "Needs `orders:read`. Another tenant's customer is `404 not_found`, like an unknown id.",
    request: { params: z.object({ id: z.string() }) },
    responses: {
      200: { description: 'The customer', content: json(customerDetailsSchema) },
      ...problemResponses(401, 403, 404),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    if (!uuidParam.safeParse(id).success) throw problems.notFound('customer');
    const { db } = c.var.deps;
    const customer = await getCustomer(db, c.var.auth.tenantId, id);
    if (!customer) throw problems.notFound('customer');
    const rows = await listOrders(
      db,
      c.var.auth.tenantId,
      { customerId: id },
      { limit: CUSTOMER_ORDERS_SHOWN + 1, rolesOf: id },
    );
    const orders = rows.slice(0, CUSTOMER_ORDERS_SHOWN).map((row) => ({
      ...presentOrderListItem(row),
      roles: [...(row.is_booker ? ['booker' as const] : []), ...(row.is_participant ? ['participant' as const] : [])],
    }));
    return c.json(
      {
        ...presentCustomer(customer),
        orders,
        more_orders: rows.length > CUSTOMER_ORDERS_SHOWN,
        orders_url: `/v1/orders?customer_id=${id}&created_from=2000-01-01`,
      },
      200,
    );
  },
);
