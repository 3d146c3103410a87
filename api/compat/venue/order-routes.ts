import type { Context, Hono, MiddlewareHandler } from 'hono';
import { getOccurrence } from '../../../db/queries/catalog';
import { findOccurrenceByExternalId, findProductByExternalId } from '../../../db/queries/external-ids';
import type { AppEnv } from '../../app-env';
import { requireAnyScope, requireScope } from '../../auth';
import { isUuid } from '../../cursor';
import { type CallApi, callOurApi } from '../call-api';
import { orderStatus, refuse, relayProblem, toVenueError, venueFailure } from './error-mapping';
import { type OurOrder, toVenueOrder, toVenueOrderCreated, toVenueTransactions } from './order-answer-mapping';
import {
  parseVenueOrder,
  type ResolvedTarget,
  theirOrderField,
  toOrderRequest,
  type VenueOrderLine,
} from './order-request-mapping';
import { parsePayment, parseSavedCardPayment, theirPaymentField, toStartPayment } from './payment-mapping';
import { readJson } from './read-json';

// Create, read and pay an order. Nothing is decided here: the body is mapped to our order request
// and placed through POST /v1/orders in-process; payments go through POST /v1/orders/{id}/payments.
// Their pay calls name no order (their order belongs to the customer's session); ours take it as
// `orderId` in the body or in the path (docs/compatibility/venue.md).

/** The calendar days an occurrence starts on (UTC and the tenants' Europe/Oslo), as YYYY-MM-DD. */
function startDays(startsAt: Date): string[] {
  const oslo = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Oslo' }).format(startsAt);
  return [startsAt.toISOString().slice(0, 10), oslo];
}

type Resolution = { ok: true; target: ResolvedTarget } | { ok: false; code: string; message: string; field: string };

/**
 * Their `sellableId` is what is sold: a dated event (our occurrence) or, failing that, a product
 * sold per date. `productId` on a sellable line must be the event's own product (it adds nothing);
 * on its own it is a product. A `date` equal to the event's day is redundant and left out.
 */
async function resolveLine(c: Context<AppEnv>, line: VenueOrderLine, index: number): Promise<Resolution> {
  const { db } = c.get('deps');
  const { tenantId } = c.get('auth');
  const field = `orderLines.${index}`;
  const productOf = async (id: string) =>
    (await findProductByExternalId(db, tenantId, id)) ?? (isUuid(id) ? id : undefined);
  const wantedProduct = line.productId === undefined ? undefined : String(line.productId);
  const product = wantedProduct === undefined ? undefined : await productOf(wantedProduct);
  if (wantedProduct !== undefined && !product)
    return {
      ok: false,
      code: 'product_not_found',
      message: `Unknown product ${wantedProduct}`,
      field: `${field}.productId`,
    };

  if (line.sellableId === undefined) {
    if (!product)
      return {
        ok: false,
        code: 'line_target_missing',
        message: `Line ${index + 1} names no sellableId or productId`,
        field,
      };
    return { ok: true, target: { kind: 'product', productId: product } };
  }
  const sellable = String(line.sellableId);
  const byExternal = await findOccurrenceByExternalId(db, tenantId, sellable);
  const occurrenceId = byExternal?.id ?? (isUuid(sellable) ? sellable : undefined);
  const occurrence = occurrenceId ? await getOccurrence(db, tenantId, occurrenceId) : undefined;
  if (!occurrence) {
    const sellableProduct = await productOf(sellable);
    if (!sellableProduct)
      return {
        ok: false,
        code: 'sellable_not_found',
        message: `Unknown sellable ${sellable}`,
        field: `${field}.sellableId`,
      };
    if (product && product !== sellableProduct)
      return {
        ok: false,
        code: 'product_not_on_sellable',
        message: `Product ${wantedProduct} is not sellable ${sellable}`,
        field: `${field}.productId`,
      };
    return { ok: true, target: { kind: 'product', productId: sellableProduct } };
  }
  if (product && product !== occurrence.product_id)
    return {
      ok: false,
      code: 'product_not_on_sellable',
      message: `Product ${wantedProduct} is not sold on sellable ${sellable}`,
      field: `${field}.productId`,
    };
  const dropDate = typeof line.date === 'string' && startDays(new Date(occurrence.starts_at)).includes(line.date);
  return { ok: true, target: { kind: 'occurrence', occurrenceId: occurrence.id, dropDate } };
}

async function readOrder(c: Context<AppEnv>, callApi: CallApi, id: string) {
  return callOurApi(c, callApi, 'GET', `/v1/orders/${encodeURIComponent(id)}`);
}

/** Start a payment (by the provider's page or a saved card) and answer it in their shapes. */
async function pay(c: Context<AppEnv>, callApi: CallApi, orderId: string, body: unknown, savedCard: boolean) {
  if (!orderId) return refuse(c, 400, 'order_id_missing', 'Name the order: orderId in the body, or /order/{orderId}/…');
  const path = `/v1/orders/${encodeURIComponent(orderId)}/payments`;
  const started = await callOurApi(c, callApi, 'POST', path, body);
  if (started.status === 201) {
    const payment = (await started.json()) as { session_id: string; redirect_url: string };
    // A saved card is charged at once: their answer is 200 with the transaction's id.
    if (savedCard) return c.json({ id: payment.session_id }, 200);
    return c.json({ id: payment.session_id }, 201, { Location: payment.redirect_url });
  }
  if (started.status === 200) {
    // Nothing left to pay: they answer every transaction of the order.
    const read = await readOrder(c, callApi, orderId);
    if (!read.ok) return relayProblem(c, read);
    return c.json(toVenueTransactions((await read.json()) as OurOrder), 200);
  }
  return relayProblem(c, started, orderStatus, theirPaymentField);
}

export function addOrderRoutes(routes: Hono<AppEnv>, callApi: CallApi, auth: MiddlewareHandler<AppEnv>) {
  routes.post('/order', auth, requireScope('orders:write'), async (c) => {
    const value = await readJson(c);
    if (!value.ok) return refuse(c, 400, 'malformed_json', 'The body is not valid JSON');
    const parsed = parseVenueOrder(value.json);
    if (!parsed.ok) return venueFailure(c, 400, toVenueError({ code: 'validation_failed', errors: parsed.errors }));
    const targets: ResolvedTarget[] = [];
    const unresolved = [];
    for (const [i, line] of parsed.body.orderLines.entries()) {
      const resolved = await resolveLine(c, line, i);
      if (resolved.ok) targets.push(resolved.target);
      else unresolved.push({ code: resolved.code, message: resolved.message, field: resolved.field });
    }
    if (unresolved.length) return venueFailure(c, 400, toVenueError({ code: unresolved[0]?.code, errors: unresolved }));
    const response = await callOurApi(c, callApi, 'POST', '/v1/orders', toOrderRequest(parsed.body, targets));
    if (!response.ok) return relayProblem(c, response, orderStatus, theirOrderField);
    const order = (await response.json()) as OurOrder;
    return c.json(toVenueOrderCreated(order), 201, { Location: `/compat/venue/order/${order.id}` });
  });

  routes.get('/order/:orderId', auth, requireAnyScope('orders:read', 'orders:write'), async (c) => {
    const response = await readOrder(c, callApi, c.req.param('orderId'));
    if (!response.ok) return relayProblem(c, response);
    return c.json(toVenueOrder((await response.json()) as OurOrder), 200);
  });

  const payByPage = async (c: Context<AppEnv>, pathOrderId?: string) => {
    const value = await readJson(c);
    if (!value.ok) return refuse(c, 400, 'malformed_json', 'The body is not valid JSON');
    const parsed = parsePayment(value.json, pathOrderId === undefined);
    if (!parsed.ok) return venueFailure(c, 400, toVenueError({ code: 'validation_failed', errors: parsed.errors }));
    return pay(c, callApi, pathOrderId ?? parsed.body.orderId ?? '', toStartPayment(parsed.body), false);
  };
  routes.post('/order/ordertransaction', auth, requireScope('orders:write'), (c) => payByPage(c));
  routes.post('/order/:orderId/ordertransaction', auth, requireScope('orders:write'), (c) =>
    payByPage(c, c.req.param('orderId')),
  );

  const payBySavedCard = async (c: Context<AppEnv>, pathOrderId?: string) => {
    const value = await readJson(c, true);
    if (!value.ok) return refuse(c, 400, 'malformed_json', 'The body is not valid JSON');
    const parsed = parseSavedCardPayment(value.json, pathOrderId === undefined);
    if (!parsed.ok) return venueFailure(c, 400, toVenueError({ code: 'validation_failed', errors: parsed.errors }));
    const orderId = pathOrderId ?? parsed.body.orderId ?? '';
    return pay(c, callApi, orderId, { saved_card_id: c.req.param('cardId') }, true);
  };
  routes.post('/order/ordertransaction/savedcard/:cardId', auth, requireScope('orders:write'), (c) =>
    payBySavedCard(c),
  );
  routes.post('/order/:orderId/ordertransaction/savedcard/:cardId', auth, requireScope('orders:write'), (c) =>
    payBySavedCard(c, c.req.param('orderId')),
  );
}
