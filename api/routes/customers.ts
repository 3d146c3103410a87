import { createRoute, z } from '@hono/zod-openapi';
import {
  type CustomerPatch,
  type CustomerRow,
  type EmailTaken,
  getCustomer,
  insertCustomer,
  listCustomers,
  updateCustomer,
} from '../../db/queries/customers';
import { listOrders } from '../../db/queries/order-list';
import type { BusinessError } from '../../domain/business-error';
import {
  addressErrors,
  addressOf,
  type CustomerAddressPatch,
  presentAddress,
  trimAddressPatch,
} from '../../domain/customer-address';
import { isValidEmail } from '../../domain/email-address';
import { createResourceApp } from '../resource-app';
import { requireScope } from '../auth';
import { decodeCursor, keysetPage } from '../cursor';
import { ApiProblem, problems } from '../problem';
import { limitQuery, problemResponses, uuidParam } from '../schemas/common';
import {
  customerConflictSchema,
  customerCreateSchema,
  customerPatchSchema,
  customerSchema,
} from '../schemas/customers';
import { orderListItemSchema } from '../schemas/order-list';
import { presentOrderListItem } from './order-list';

/** Orders shown inline with one customer; the rest through GET /v1/orders?customer_id=. */
const CUSTOMER_ORDERS_SHOWN = 50;

const json = <T>(schema: T) => ({ 'application/json': { schema } });
const locationHeader = { Location: { schema: { type: 'string' as const } } };

/** 409 when the email is another customer's: that customer's id in the body and in Location. */
const emailTakenResponse = {
  409: {
    description: 'Another customer of the tenant has this email (`customer_email_taken`); Location is theirs',
    headers: locationHeader,
    content: { 'application/problem+json': { schema: customerConflictSchema } },
  },
};

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
    billing_address: presentAddress(c.billing_address),
    delivery_address: presentAddress(c.delivery_address),
    created_at: c.created_at.toISOString(),
    updated_at: c.updated_at.toISOString(),
  };
}

const customerPath = (id: string) => `/v1/customers/${id}`;

function isEmailTaken(result: CustomerRow | EmailTaken): result is EmailTaken {
  return 'emailTakenBy' in result;
}

function emailTaken(id: string): ApiProblem {
  return new ApiProblem(
    409,
    'customer_email_taken',
    'Conflict',
    'Another customer of this tenant has this email (emails are unique regardless of case)',
    undefined,
    id ? { Location: customerPath(id) } : {},
    id ? { customer_id: id } : {},
  );
}

/** Trimmed text, or null when blank: a blank phone or contact id is none. */
function textOrNull(value: string | null | undefined): string | null | undefined {
  if (value === undefined || value === null) return value;
  const text = value.trim();
  return text === '' ? null : text;
}

/** The business checks of a create or a patch: 422 with every error, its code on top when it is one. */
function checkCustomer(input: {
  email?: string;
  billing_address?: CustomerAddressPatch | null;
  delivery_address?: CustomerAddressPatch | null;
}): void {
  const errors: BusinessError[] = [];
  if (input.email !== undefined && !isValidEmail(input.email.trim()))
    errors.push({ code: 'customer_email_invalid', message: 'The email address is malformed', field: 'email' });
  errors.push(...addressErrors('billing_address', input.billing_address));
  errors.push(...addressErrors('delivery_address', input.delivery_address));
  if (errors.length === 0) return;
  const code = errors.length === 1 ? errors[0]!.code : 'customer_invalid';
  throw problems.unprocessable(
    code,
    `The customer was not accepted: ${errors.map((e) => e.message).join('; ')}`,
    errors,
  );
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
    const rows = await listCustomers(c.get('deps').db, c.get('auth').tenantId, {
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
    const { db } = c.get('deps');
    const customer = await getCustomer(db, c.get('auth').tenantId, id);
    if (!customer) throw problems.notFound('customer');
    const rows = await listOrders(
      db,
      c.get('auth').tenantId,
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

customerRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/',
    tags: ['customers'],
    summary: 'Create a customer (contact details and addresses kept for the next order)',
    middleware: [requireScope('orders:write')],
    description:
      'Needs `orders:write`. The email is unique per tenant regardless of case: when a customer has it already ' +
      '(made here or by an order that named them), the answer is `409 customer_email_taken` with that ' +
      "customer's id (`customer_id`, `Location`) and nothing changes — so a retried create is safe without " +
      'an `Idempotency-Key`; PATCH the customer to change it. Orders placed later with this email (booker or ' +
      'participant) are connected to the customer and never overwrite what was set here.',
    request: { body: { required: true, content: json(customerCreateSchema) } },
    responses: {
      201: { description: 'Created', headers: locationHeader, content: json(customerSchema) },
      ...problemResponses(400, 401, 403, 413, 415, 422),
      ...emailTakenResponse,
    },
  }),
  async (c) => {
    const body = c.req.valid('json');
    checkCustomer(body);
    const result = await insertCustomer(c.get('deps').db, c.get('auth').tenantId, {
      email: body.email.trim().toLowerCase(),
      name: body.name?.trim() ?? '',
      phone: textOrNull(body.phone) ?? null,
      externalContactId: textOrNull(body.external_contact_id) ?? null,
      billingAddress: addressOf(body.billing_address),
      deliveryAddress: addressOf(body.delivery_address),
    });
    if (isEmailTaken(result)) throw emailTaken(result.emailTakenBy);
    c.header('Location', customerPath(result.id));
    return c.json(presentCustomer(result), 201);
  },
);

customerRoutes.openapi(
  createRoute({
    method: 'patch',
    path: '/{id}',
    tags: ['customers'],
    summary: "Change a customer's email, name, phone, external contact id or addresses",
    middleware: [requireScope('orders:write')],
    description:
      'Needs `orders:write`. A JSON merge patch (RFC 7396; `application/json` or ' +
      '`application/merge-patch+json`): a field left out stays as it is, `null` clears a nullable one, and an ' +
      'address object changes only the parts it names (`null` for a part clears it, `null` for the address ' +
      "removes it). A new email that is another customer's is `409 customer_email_taken`. Another tenant's " +
      'customer is `404 not_found`. Orders already placed keep the details they were placed with.',
    // No body is `{}` (request-rules.ts), a change of nothing: the body is optional.
    request: {
      params: z.object({ id: z.string() }),
      body: { required: false, content: json(customerPatchSchema) },
    },
    responses: {
      200: { description: 'The changed customer', content: json(customerSchema) },
      ...problemResponses(400, 401, 403, 404, 413, 415, 422),
      ...emailTakenResponse,
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    if (!uuidParam.safeParse(id).success) throw problems.notFound('customer');
    checkCustomer(body);
    const patch: CustomerPatch = {
      email: body.email?.trim().toLowerCase(),
      name: body.name?.trim(),
      phone: textOrNull(body.phone),
      externalContactId: textOrNull(body.external_contact_id),
      billingAddress: body.billing_address ? trimAddressPatch(body.billing_address) : body.billing_address,
      deliveryAddress: body.delivery_address ? trimAddressPatch(body.delivery_address) : body.delivery_address,
    };
    const result = await updateCustomer(c.get('deps').db, c.get('auth').tenantId, id, patch);
    if (!result) throw problems.notFound('customer');
    if (isEmailTaken(result)) throw emailTaken(result.emailTakenBy);
    return c.json(presentCustomer(result), 200);
  },
);
