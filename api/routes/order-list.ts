import { leftToPay } from '../../domain/order-money';
import { createRoute } from '@hono/zod-openapi';
import { listOrders, type OrderListFilter, type OrderListRow } from '../../db/queries/order-list';
import { presentOrderedBy, presentOrderRow } from '../../db/queries/order-rows';
import type { OrderOrigin, OrderStatus, PaymentMethod } from '../../db/schema';
import { requireAnyScope } from '../auth';
import { createResourceApp } from '../resource-app';
import { decodeCursor, encodeCursor } from '../cursor';
import { problems } from '../problem';
import { problemResponses } from '../schemas/common';
import { xmlContent, xmlWhenAsked } from '../xml-responses';
import {
  isDateOnly,
  type OrderListItem,
  type OrderListQuery,
  orderListQuerySchema,
  orderListSchema,
  orderListXmlExample,
  splitList,
} from '../schemas/order-list';

const DAY_MS = 86_400_000;

function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * From one year ago to tomorrow, both as dates (UTC days): the default window of facility-booking
 * order lists, so a client moving from one sees the same orders without filters
 * (docs/seed-mapping.md).
 */
export function defaultWindow(now = Date.now()): { from: string; to: string } {
  const yearAgo = new Date(now);
  yearAgo.setUTCFullYear(yearAgo.getUTCFullYear() - 1);
  return { from: utcDate(yearAgo.getTime()), to: utcDate(now + DAY_MS) };
}

/** created_from / created_to → bounds: a date starts at 00:00 UTC; a date as `to` covers its whole day. */
export function windowBounds(from: string, to: string): Pick<OrderListFilter, 'createdFrom' | 'createdTo'> {
  const createdFrom = new Date(isDateOnly(from) ? `${from}T00:00:00Z` : from);
  const createdTo = isDateOnly(to)
    ? { at: new Date(Date.parse(`${to}T00:00:00Z`) + DAY_MS), exclusive: true }
    : { at: new Date(to), exclusive: false };
  return { createdFrom, createdTo };
}

export function filterFromQuery(q: OrderListQuery): { filter: OrderListFilter; window: { from: string; to: string } } {
  const defaults = defaultWindow();
  const window = { from: q.created_from ?? defaults.from, to: q.created_to ?? defaults.to };
  const bounds = windowBounds(window.from, window.to);
  if (bounds.createdTo && bounds.createdFrom && bounds.createdTo.at.getTime() <= bounds.createdFrom.getTime()) {
    throw problems.badRequest('validation_failed', 'The request query string is not valid', [
      {
        code: 'invalid_value',
        message: `created_to (${window.to}) must be after created_from (${window.from})`,
        field: 'created_to',
      },
    ]);
  }
  const filter: OrderListFilter = { ...bounds };
  if (q.number !== undefined) filter.number = Number(q.number);
  if (q.status !== undefined) filter.statuses = splitList(q.status) as OrderStatus[];
  // An expired preliminary order is an abandoned checkout, not an order: clients coming from the
  // facility platform never see them unless they ask.
  else if (q.include_expired !== 'true') filter.excludedStatuses = ['expired'];
  if (q.payment_method !== undefined) filter.paymentMethods = splitList(q.payment_method) as PaymentMethod[];
  if (q.occurrence_id !== undefined) filter.occurrenceId = q.occurrence_id;
  if (q.customer_email !== undefined) filter.customerEmail = q.customer_email;
  if (q.customer_id !== undefined) filter.customerId = q.customer_id;
  if (q.external_id !== undefined) filter.externalId = q.external_id;
  if (q.external_contact_id !== undefined) filter.externalContactId = q.external_contact_id;
  if (q.external_company_id !== undefined) filter.externalCompanyId = q.external_company_id;
  if (q.origin !== undefined) filter.origins = splitList(q.origin) as OrderOrigin[];
  if (q.attention !== undefined) filter.attention = q.attention === 'true';
  return { filter, window };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The keyset cursor: the last row's exact created_at (microseconds) and id. */
export function decodeOrderCursor(cursor: string | undefined): { createdAt: string; id: string } | undefined {
  const value = decodeCursor<{ t: string; id: string }>(cursor, ['t', 'id']);
  if (!value) return undefined;
  if (
    typeof value.t !== 'string' ||
    Number.isNaN(Date.parse(value.t)) ||
    typeof value.id !== 'string' ||
    !UUID.test(value.id)
  ) {
    throw problems.badRequest('cursor_invalid', 'The cursor is not one this API handed out');
  }
  return { createdAt: value.t, id: value.id };
}

export function encodeOrderCursor(row: OrderListRow): string {
  return encodeCursor({ t: row.created_at_key, id: row.id });
}

export function presentOrderListItem(row: OrderListRow): OrderListItem {
  return {
    id: row.id,
    number: row.number,
    status: row.status,
    currency: row.currency,
    totals: {
      before_discounts: row.total_before_discounts,
      discounts: row.total_discounts,
      excl_vat: row.total_excl_vat,
      vat: row.total_vat,
      incl_vat: row.total_incl_vat,
    },
    payment_method: row.payment_method,
    booker_email: row.booker_email,
    external_id: row.external_id,
    external_contact_id: row.external_contact_id,
    external_company_id: row.external_company_id,
    origin: row.origin,
    preliminary_until: row.preliminary_until ? row.preliminary_until.toISOString() : null,
    created_at: row.created_at.toISOString(),
    number_of_participants: Number(row.number_of_participants),
    attention_reason: row.attention_reason,
    ordered_by: presentOrderedBy(row),
    lines: row.rows.map(presentOrderRow),
    left_to_pay:
      row.status === 'expired'
        ? 0
        : leftToPay({
            total: row.total_incl_vat,
            credited: Number(row.credited),
            captured: Number(row.amount_charged),
            refunded: Number(row.amount_refunded),
          }),
  };
}

export const orderListRoutes = createResourceApp();

orderListRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/',
    tags: ['orders'],
    // orders:read, or orders:write (a key that places orders may read them back); checked before the query is.
    middleware: [
      requireAnyScope('orders:read', 'orders:write'),
      xmlWhenAsked('orders', { repeated: { data: 'order' } }),
    ],
    summary: 'List orders, newest first, with filters, as JSON or XML',
    description: [
      'Needs `orders:read` or `orders:write`. Keyset pagination on (created_at, id) descending: ' +
        'pass `next_cursor` back as `cursor` with the same filters.',
      'Without `created_from` / `created_to` the window is one year ago to tomorrow. Unknown or ' +
        'malformed filters are `400 validation_failed`.',
      'Send `Accept: application/xml` for XML: root `<orders>`, one `<order>` per order (its rows in ' +
        '`<lines><line>`), then `<next_cursor>`; null values are empty elements (docs/xml.md).',
    ].join('\n\n'),
    request: { query: orderListQuerySchema },
    responses: {
      200: {
        description: 'One page of orders',
        content: {
          'application/json': { schema: orderListSchema },
          ...xmlContent(orderListXmlExample),
        },
      },
      ...problemResponses(400, 401, 403),
    },
  }),
  async (c) => {
    const q = c.req.valid('query');
    const after = decodeOrderCursor(q.cursor);
    const { filter, window } = filterFromQuery(q);
    const rows = await listOrders(c.get('deps').db, c.get('auth').tenantId, filter, { after, limit: q.limit + 1 });
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    const body = {
      data: page.map(presentOrderListItem),
      next_cursor: rows.length > q.limit && last ? encodeOrderCursor(last) : null,
      created_from: window.from,
      created_to: window.to,
    };
    return c.json(body, 200);
  },
);
