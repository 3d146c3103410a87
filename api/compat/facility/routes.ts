import type { Context } from 'hono';
import { productExternalIds } from '../../../db/queries/compat-facility';
import { findOccurrenceByExternalId, findProductByExternalId } from '../../../db/queries/external-ids';
import type { OrderLineRequest, OrderRequest } from '../../../domain/order-request';
import type { AppEnv } from '../../app-env';
import { requireAnyScope, requireScope } from '../../auth';
import { ApiProblem } from '../../problem';
import { createResourceApp } from '../../resource-app';
import { type CallApi, callOurApi } from '../call-api';
import { authenticateCompat } from '../compat-auth';
import { type OurOrderDetails, toFacilityOrder } from './answer-mapping';
import { type SplitCoupons, splitCoupons } from './coupons';
import { toFacilityError } from './error-mapping';
import { facilityXml, type XmlElement } from './facility-xml';
import {
  booleanParameter,
  CHANGE_PARAMETERS,
  CREATE_PARAMETERS,
  couponList,
  DELETE_PARAMETERS,
  type FacilityRequest,
  type FacilityRow,
  isOurId,
  LIST_PARAMETERS,
  type Mapped,
  notesOf,
  participantName,
  readFacilityRequest,
  rowQuantity,
  toListQuery,
  unsupportedParameter,
} from './request-mapping';

// The facility platform's order calls (seed 003), answered in its XML (docs/compatibility/facility.md).
// Nothing is decided here: each call is mapped to our /v1 order routes, called in-process with the
// caller's key, so pricing, seats, the preliminary deadline, cancellation rules and idempotency are
// theirs, and every order is an ordinary /v1 order.

const XML_TYPE = 'application/xml; charset=utf-8';
const BASE = '/compat/facility';

/** Their error answer: `<error><code>…</code><message>…</message></error>` with the status. */
function errorAnswer(c: Context<AppEnv>, status: number, code: string, message: string, headers = {}) {
  return c.body(facilityXml('error', { code, message }), status as 400, { 'Content-Type': XML_TYPE, ...headers });
}

function xmlAnswer(c: Context<AppEnv>, status: 200 | 201, root: string, content: XmlElement, headers = {}) {
  return c.body(facilityXml(root, content), status, { 'Content-Type': XML_TYPE, ...headers });
}

/** Our answer, when it is a problem, as their error (a 503 keeps its Retry-After). */
async function relayProblem(c: Context<AppEnv>, response: Response) {
  let problem: Parameters<typeof toFacilityError>[1];
  try {
    problem = (await response.json()) as typeof problem;
  } catch {
    problem = { code: 'internal_error', detail: `Our API answered ${response.status}` };
  }
  const error = toFacilityError(response.status, problem);
  const retryAfter = response.headers.get('retry-after');
  return errorAnswer(c, error.status, error.code, error.message, retryAfter ? { 'Retry-After': retryAfter } : {});
}

const refuse = (c: Context<AppEnv>, failure: Extract<Mapped<unknown>, { ok: false }>) =>
  errorAnswer(c, failure.status, failure.code, failure.message);

/**
 * The id in `{id}.xml` (their clients ask for `.xml`; without it is the same order). Only an id's
 * characters: an empty id or dots would make another /v1 path of it (the list, a parent).
 */
function orderIdOf(c: Context<AppEnv>): string | undefined {
  const id = c.req.param('file')?.replace(/\.xml$/i, '') ?? '';
  return /^[A-Za-z0-9_-]{1,100}$/.test(id) ? id : undefined;
}

const noSuchOrder = (c: Context<AppEnv>) => errorAnswer(c, 404, 'not_found', 'No such order');

async function readRequest(c: Context<AppEnv>, allowed: ReadonlySet<string>): Promise<Mapped<FacilityRequest>> {
  return readFacilityRequest(c.req.queries(), c.req.header('content-type') ?? '', await c.req.text(), allowed);
}

function couponFailure(c: Context<AppEnv>, failure: Extract<SplitCoupons, { ok: false }>) {
  if (failure.response) return relayProblem(c, failure.response);
  return errorAnswer(c, 501, 'not_supported', failure.message);
}

/** Their rows → our lines: ids they know (external ids) or ours; an unknown id is answered as /v1 would. */
async function toLines(c: Context<AppEnv>, rows: FacilityRow[]): Promise<Mapped<OrderLineRequest[]>> {
  const { db } = c.get('deps');
  const { tenantId } = c.get('auth');
  const lines: OrderLineRequest[] = [];
  for (const [index, row] of rows.entries()) {
    const quantity = rowQuantity(row);
    if (!quantity.ok) return quantity;
    const line: OrderLineRequest = {};
    if (row.occurrenceid !== undefined) {
      const found = await findOccurrenceByExternalId(db, tenantId, row.occurrenceid);
      const id = found?.id ?? (isOurId(row.occurrenceid) ? row.occurrenceid : undefined);
      if (!id) return unknownId('course_date_identifier_invalid', `Row ${index + 1}: occurrence ${row.occurrenceid}`);
      line.occurrence_id = id;
    }
    if (row.productid !== undefined) {
      const id = (await findProductByExternalId(db, tenantId, row.productid)) ?? row.productid;
      if (!isOurId(id)) return unknownId('product_identifier_invalid', `Row ${index + 1}: product ${row.productid}`);
      line.product_id = id;
    }
    if (row.date !== undefined) line.date = row.date;
    if (quantity.value !== undefined) line.quantity = quantity.value;
    if (row.participant !== undefined) {
      line.participants = [
        { ...participantName(row.participant), ...(row.participantemail ? { email: row.participantemail } : {}) },
      ];
    }
    lines.push(line);
  }
  return { ok: true, value: lines };
}

function unknownId(code: string, what: string): Mapped<never> {
  return { ok: false, status: 422, code, message: `${what} does not exist` };
}

/** Who orders: our customer (`orderedbyid`), then `name`, `email`, `phone` as given. */
async function bookerOf(c: Context<AppEnv>, callApi: CallApi, params: Map<string, string>) {
  let booker: NonNullable<OrderRequest['booker']> = {};
  let contact: string | undefined = params.get('customernumber');
  const customerId = params.get('orderedbyid');
  if (customerId !== undefined) {
    const response = await callOurApi(c, callApi, 'GET', `/v1/customers/${encodeURIComponent(customerId)}`);
    if (!response.ok) return { ok: false as const, response };
    const customer = (await response.json()) as {
      name: string | null;
      email: string;
      phone: string | null;
      external_contact_id: string | null;
    };
    booker = { email: customer.email, ...(customer.name ? { name: customer.name } : {}) };
    if (customer.phone) booker.phone = customer.phone;
    contact ??= customer.external_contact_id ?? undefined;
  }
  for (const field of ['name', 'email', 'phone'] as const) {
    const value = params.get(field);
    if (value !== undefined) booker[field] = value;
  }
  return { ok: true as const, booker, contact };
}

/** Orders as their `<order>` elements: each read whole (notes, coupons) and its products by their ids. */
async function facilityOrders(c: Context<AppEnv>, orders: OurOrderDetails[]): Promise<XmlElement[]> {
  const productIds = orders.flatMap((order) => order.lines.map((line) => line.product_id));
  const known = await productExternalIds(c.get('deps').db, c.get('auth').tenantId, productIds);
  return orders.map((order) => toFacilityOrder(order, known));
}

async function readOrder(c: Context<AppEnv>, callApi: CallApi, id: string) {
  const response = await callOurApi(c, callApi, 'GET', `/v1/orders/${id}`);
  return { response, order: response.ok ? ((await response.json()) as OurOrderDetails) : undefined };
}

/** Any problem of ours on these routes, as their XML error (and our Retry-After). */
export function answerFacilityProblem(c: Context<AppEnv>, error: ApiProblem) {
  const { status, code, message } = toFacilityError(error.status, { ...error, errors: error.errors });
  return errorAnswer(c, status, code, message, error.headers);
}

export function facilityRoutes(callApi: CallApi) {
  const routes = createResourceApp();

  // Their clients read XML for every failure, a missing or unknown key included.
  routes.onError((error, c) => {
    if (!(error instanceof ApiProblem)) throw error;
    return answerFacilityProblem(c, error);
  });
  routes.use('*', authenticateCompat('query', 'basic'));

  const read = requireAnyScope('orders:read', 'orders:write');
  const write = requireScope('orders:write');

  const list = async (c: Context<AppEnv>) => {
    const request = await readRequest(c, LIST_PARAMETERS);
    if (!request.ok) return refuse(c, request);
    const response = await callOurApi(c, callApi, 'GET', `/v1/orders?${toListQuery(request.value.params)}`);
    if (!response.ok) return relayProblem(c, response);
    const page = (await response.json()) as { data: { id: string }[]; next_cursor: string | null };
    const orders: OurOrderDetails[] = [];
    for (const { id } of page.data) {
      const one = await readOrder(c, callApi, id);
      if (!one.order) return relayProblem(c, one.response);
      orders.push(one.order);
    }
    // `nextcursor` is ours: pass it back as `cursor` for the next page (their list had no pages).
    return xmlAnswer(c, 200, 'orders', { order: await facilityOrders(c, orders), nextcursor: page.next_cursor });
  };
  routes.get('/orders.xml', read, list);
  routes.get('/orders', read, list);

  const create = async (c: Context<AppEnv>) => {
    const request = await readRequest(c, CREATE_PARAMETERS);
    if (!request.ok) return refuse(c, request);
    const { params, rows } = request.value;
    const unsupported = unsupportedParameter(params);
    if (!unsupported.ok) return refuse(c, unsupported);
    const lines = await toLines(c, rows);
    if (!lines.ok) return refuse(c, lines);
    const who = await bookerOf(c, callApi, params);
    if (!who.ok) return relayProblem(c, who.response);
    const notes = notesOf(params);
    const codes = couponList(params.get('coupons') ?? '');
    if (!codes.ok) return refuse(c, codes);
    const coupons = await splitCoupons(c, callApi, codes.value);
    if (!coupons.ok) return couponFailure(c, coupons);
    // A preliminary order is one that waits for its payment until a deadline: a card order.
    const body: OrderRequest = {
      payment_method: 'card',
      lines: lines.value,
      ...(Object.keys(who.booker).length ? { booker: who.booker } : {}),
      ...(who.contact ? { external_contact_id: who.contact } : {}),
      ...(notes ? { notes } : {}),
      ...(coupons.campaignCodes.length ? { campaign_codes: coupons.campaignCodes } : {}),
      ...(coupons.voucherCode ? { voucher_code: coupons.voucherCode } : {}),
    };
    const placed = await callOurApi(c, callApi, 'POST', '/v1/orders', body);
    if (!placed.ok) return relayProblem(c, placed);
    const { id } = (await placed.json()) as { id: string };
    const { response, order } = await readOrder(c, callApi, id);
    if (!order) return relayProblem(c, response);
    const [element] = await facilityOrders(c, [order]);
    return xmlAnswer(c, 201, 'order', element ?? {}, { Location: `${BASE}/orders/${id}.xml` });
  };
  routes.post('/orders.xml', write, create);
  routes.post('/orders', write, create);

  routes.get('/orders/:file', read, async (c) => {
    const request = await readRequest(c, new Set());
    if (!request.ok) return refuse(c, request);
    const id = orderIdOf(c);
    if (!id) return noSuchOrder(c);
    const { response, order } = await readOrder(c, callApi, id);
    if (!order) return relayProblem(c, response);
    const [element] = await facilityOrders(c, [order]);
    return xmlAnswer(c, 200, 'order', element ?? {});
  });

  routes.put('/orders/:file', write, async (c) => {
    const id = orderIdOf(c);
    if (!id) return noSuchOrder(c);
    const request = await readRequest(c, CHANGE_PARAMETERS);
    if (!request.ok) return refuse(c, request);
    const { params, rows } = request.value;
    const unsupported = unsupportedParameter(params);
    if (!unsupported.ok) return refuse(c, unsupported);
    const preliminary = booleanParameter(params, 'preliminary');
    if (!preliminary.ok) return refuse(c, preliminary);
    if (preliminary.value === true) {
      return errorAnswer(c, 400, 'invalid_value', 'preliminary can only be set to false (confirming the order)');
    }
    const lines = await toLines(c, rows);
    if (!lines.ok) return refuse(c, lines);
    const notes = notesOf(params);
    // Their coupons replace the order's: both kinds, an empty list removing them all.
    const codes = couponList(params.get('coupons') ?? '');
    if (!codes.ok) return refuse(c, codes);
    const coupons = params.has('coupons') ? await splitCoupons(c, callApi, codes.value) : undefined;
    if (coupons && !coupons.ok) return couponFailure(c, coupons);
    const change = {
      ...(notes ? { notes } : {}),
      ...(coupons?.ok
        ? {
            campaign_codes: coupons.campaignCodes.length ? coupons.campaignCodes : null,
            voucher_code: coupons.voucherCode ?? null,
          }
        : {}),
      ...(lines.value.length ? { add_lines: lines.value } : {}),
      ...(preliminary.value === false ? { preliminary: false } : {}),
    };
    if (Object.keys(change).length > 0) {
      const changed = await callOurApi(c, callApi, 'PATCH', `/v1/orders/${id}`, change);
      if (!changed.ok) return relayProblem(c, changed);
    }
    const { response, order } = await readOrder(c, callApi, id);
    if (!order) return relayProblem(c, response);
    const [element] = await facilityOrders(c, [order]);
    return xmlAnswer(c, 200, 'order', element ?? {});
  });

  routes.delete('/orders/:file', write, async (c) => {
    // `anonymous=true` is read and changes nothing: every order here has a booker or named participants.
    const request = await readRequest(c, DELETE_PARAMETERS);
    if (!request.ok) return refuse(c, request);
    const id = orderIdOf(c);
    if (!id) return noSuchOrder(c);
    const response = await callOurApi(c, callApi, 'DELETE', `/v1/orders/${id}`);
    if (!response.ok) return relayProblem(c, response);
    return c.body(null, 204);
  });

  return routes;
}
