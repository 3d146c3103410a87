import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { startTestStack, type TestStack } from '../helpers/test-stack';

// Order rows as a facility-booking platform shows them (what, when, where, for whom, who ordered),
// and XML on every order endpoint, parsed and compared with the JSON answer field by field.

let stack: TestStack;
let tenant: TestTenant;
let other: TestTenant;
let courtSlot: { id: string; starts_at: string; ends_at: string };
let courseDate: string;
let racketProduct: string;
let facilityProductId: string;

/** The wrapper → item element names of docs/xml.md. */
const ITEM_NAMES: Record<string, string> = {
  lines: 'line',
  participants: 'participant',
  payments: 'payment',
  documents: 'document',
  timeline: 'event',
  reservations: 'reservation',
  vat_summary: 'vat',
  errors: 'error',
  roles: 'role',
  discount_breakdown: 'discount',
  campaign_codes: 'code',
};

/** Every item element is a list, whatever the count; `order` under `orders` too. */
function parseXml(text: string) {
  return new XMLParser({
    parseTagValue: false,
    ignoreAttributes: false,
    isArray: (name, jpath) => {
      const parent = String(jpath).split('.').slice(-2, -1)[0] ?? '';
      return (name === 'order' && parent === 'orders') || name === 'item' || ITEM_NAMES[parent] === name;
    },
  }).parse(text);
}

/** A JSON answer as the documented mapping renders it in XML, then read back by parseXml. */
function asXml(value: unknown, key = ''): unknown {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) {
    if (value.length === 0) return '';
    return { [ITEM_NAMES[key] ?? 'item']: value.map((item) => asXml(item, 'item')) };
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return '';
    return Object.fromEntries(entries.map(([k, v]) => [k, asXml(v, k)]));
  }
  return String(value);
}

function call(
  path: string,
  init: { method?: string; body?: unknown; accept?: string; key?: string; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { 'X-API-Key': init.key ?? tenant.apiKey, ...init.headers };
  if (init.accept) headers.Accept = init.accept;
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  return fetch(`${stack.baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
}

async function xmlOf(response: Response) {
  expect(response.headers.get('content-type')).toMatch(/^application\/xml; charset=utf-8/);
  const text = await response.text();
  expect(text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>/);
  return parseXml(text);
}

const XML = 'application/xml';

/** Places an order and waits until it rests (`invoiced`), so two reads of it see the same order. */
async function placeSettled(body: unknown): Promise<{ id: string; number: number }> {
  const placed = await call('/v1/orders', { method: 'POST', body });
  expect(placed.status).toBe(201);
  const { id } = await jsonOf(placed);
  const settled = await jsonOf(await call(`/v1/orders/${id}?wait_for=invoiced&timeout=20s`));
  expect(settled.status).toBe('invoiced');
  return { id, number: settled.number };
}

const facilityOrder = (externalContactId: string) => ({
  payment_method: 'invoice',
  booker: { name: 'John Doe', email: 'john.rows@example.com', phone: '+4712345678' },
  external_contact_id: externalContactId,
  invoice: {
    firstname: 'John',
    lastname: 'Doe',
    address: { line_1: 'Main Street 10', zipcode: '59023', city: 'Springfield', country_code: 'SE' },
  },
  notes: { mark: 'Tennis' },
  lines: [
    { occurrence_id: courtSlot.id, participants: [{ firstname: 'Jane', lastname: 'Doe', email: 'jane@example.com' }] },
    { occurrence_id: courseDate, quantity: 2 },
    { product_id: racketProduct, quantity: 3 },
  ],
});

beforeAll(async () => {
  stack = await startTestStack();
  const { db } = stack.database;
  tenant = await createTenant(db);
  other = await createTenant(db);

  const product = await call('/v1/catalog/products', {
    method: 'POST',
    body: { type: 'facility_slot', name: 'Tennis 1 hour', price: 3_600, vat_rate: 25 },
  });
  expect(product.status).toBe(201);
  facilityProductId = (await jsonOf(product)).id;
  const slot = await call('/v1/catalog/occurrences', {
    method: 'POST',
    body: {
      product_id: facilityProductId,
      name: 'Tennis — Court 1, 29 June 10:00',
      starts_at: '2030-06-29T10:00:00+02:00',
      ends_at: '2030-06-29T11:00:00+02:00',
      capacity: 10,
      resource: { name: 'Court 1', kind: 'court' },
    },
  });
  expect(slot.status).toBe(201);
  courtSlot = await jsonOf(slot);
  expect(courtSlot).toMatchObject({ resource: { name: 'Court 1', kind: 'court' } });

  const course = await createProduct(db, tenant.id, { price: 10_000, name: 'Beginners' });
  courseDate = await createOccurrence(db, tenant.id, course, { capacity: 20, name: 'Beginners — July' });
  racketProduct = await createProduct(db, tenant.id, { price: 500, type: 'item', name: 'Racket rental' });
});
afterAll(async () => stack?.stop());

describe('order rows', () => {
  it('a single order and the list carry each row (what, when, where, for whom, prices) and who ordered', async () => {
    const placed = await call('/v1/orders', { method: 'POST', body: facilityOrder('1345') });
    expect(placed.status).toBe(201);
    const { id, number } = await jsonOf(placed);

    const details = await jsonOf(await call(`/v1/orders/${id}`));
    expect(details.lines).toHaveLength(3);
    const [court, courseLine, racket] = details.lines;
    expect(court).toMatchObject({
      product_type: 'facility_slot',
      product_id: facilityProductId,
      product_name: 'Tennis 1 hour',
      occurrence_id: courtSlot.id,
      starts_at: '2030-06-29T08:00:00.000Z',
      ends_at: '2030-06-29T09:00:00.000Z',
      resource: { name: 'Court 1', kind: 'court' },
      participant_index: 0,
      participant_name: 'Jane Doe',
      quantity: 1,
      excl_vat: 3_600,
      vat: 900,
      incl_vat: 4_500,
      vat_rate: 25,
    });
    expect(courseLine).toMatchObject({
      product_type: 'course',
      product_name: 'Beginners',
      occurrence_id: courseDate,
      starts_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      ends_at: null,
      resource: null,
      participant_index: null,
      participant_name: null,
      quantity: 2,
      excl_vat: 20_000,
      incl_vat: 25_000,
    });
    expect(racket).toMatchObject({
      product_type: 'item',
      product_name: 'Racket rental',
      occurrence_id: null,
      starts_at: null,
      resource: null,
      quantity: 3,
      excl_vat: 1_500,
      incl_vat: 1_875,
    });
    expect(details.ordered_by).toEqual({
      customer_id: expect.any(String),
      external_contact_id: '1345',
      name: 'John Doe',
      email: 'john.rows@example.com',
      phone: '+4712345678',
      company: null,
      address: {
        line_1: 'Main Street 10',
        line_2: null,
        line_3: null,
        zipcode: '59023',
        city: 'Springfield',
        country_code: 'SE',
      },
    });
    // The ordering customer is ours to read.
    expect((await call(`/v1/customers/${details.ordered_by.customer_id}`)).status).toBe(200);

    // The list carries the same rows and the same orderer.
    const list = await jsonOf(await call(`/v1/orders?number=${number}`));
    expect(list.data).toHaveLength(1);
    expect(list.data[0].lines).toEqual(details.lines);
    expect(list.data[0].ordered_by).toEqual(details.ordered_by);
  });

  it("who ordered: the customer's complete billing address, else the order's delivery address", async () => {
    const placed = await call('/v1/orders', {
      method: 'POST',
      body: {
        payment_method: 'invoice',
        booker: { name: 'Nora North', email: 'nora.rows@example.com' },
        delivery: { name: 'Nora', address: { line_1: 'Dock 4', zipcode: '0150', city: 'Oslo', country_code: 'NO' } },
        lines: [{ product_id: racketProduct, quantity: 1 }],
      },
    });
    expect(placed.status).toBe(201);
    const { id } = await jsonOf(placed);
    const orderedBy = async () => (await jsonOf(await call(`/v1/orders/${id}`))).ordered_by;
    const first = await orderedBy();
    expect(first).toMatchObject({ name: 'Nora North', external_contact_id: null, address: { city: 'Oslo' } });

    const setBilling = (address: Record<string, string>) =>
      stack.database.db
        .updateTable('customers')
        .set({ billing_address: JSON.stringify(address) })
        .where('id', '=', first.customer_id)
        .execute();
    await setBilling({ line_1: 'Storgata 1', zipcode: '0155', city: 'Oslo', country_code: 'NO' });
    expect((await orderedBy()).address).toMatchObject({ line_1: 'Storgata 1', zipcode: '0155' });
    // An incomplete billing address (no street) gives way to the complete delivery address.
    await setBilling({ city: 'Bergen' });
    expect((await orderedBy()).address).toMatchObject({ line_1: 'Dock 4', city: 'Oslo' });
  });

  it('a resource is set, changed and removed in the catalogue; a half or unknown one is 400', async () => {
    const patch = (body: unknown) => call(`/v1/catalog/occurrences/${courtSlot.id}`, { method: 'PATCH', body });
    expect(await jsonOf(await patch({ resource: { name: 'Wilander', kind: 'room' } }))).toMatchObject({
      resource: { name: 'Wilander', kind: 'room' },
    });
    expect((await jsonOf(await call(`/v1/catalog/occurrences/${courtSlot.id}`))).resource).toEqual({
      name: 'Wilander',
      kind: 'room',
    });
    expect((await jsonOf(await patch({ capacity: 12 }))).resource).toEqual({ name: 'Wilander', kind: 'room' });
    expect((await jsonOf(await patch({ resource: null }))).resource).toBeNull();
    for (const resource of [
      { name: 'Court 9' },
      { kind: 'court' },
      { name: 'X', kind: 'sauna' },
      { name: ' ', kind: 'court' },
    ]) {
      const response = await patch({ resource });
      expect(response.status, JSON.stringify(resource)).toBe(400);
      expect(await jsonOf(response)).toMatchObject({ code: 'validation_failed' });
    }
    expect((await jsonOf(await patch({ resource: { name: 'Court 1', kind: 'court' } }))).resource).toEqual({
      name: 'Court 1',
      kind: 'court',
    });
  });
});

describe('XML on every order endpoint', () => {
  it('create answers XML with the content of the JSON answer; an idempotent replay in either format', async () => {
    const key = `xml-create-${crypto.randomUUID()}`;
    const body = facilityOrder('2001');
    body.lines = body.lines.slice(1);
    const placed = await call('/v1/orders', { method: 'POST', body, accept: XML, headers: { 'Idempotency-Key': key } });
    expect(placed.status).toBe(201);
    expect(placed.headers.get('vary')).toMatch(/Accept/i);
    const location = placed.headers.get('location');
    const xml = await xmlOf(placed);

    // The replay as JSON is the stored answer; the XML said the same.
    const replay = await call('/v1/orders', { method: 'POST', body, headers: { 'Idempotency-Key': key } });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('content-type')).toMatch(/^application\/json/);
    const json = await jsonOf(replay);
    expect(location).toBe(`/v1/orders/${json.id}`);
    expect(xml.order).toEqual(asXml(json));
    expect(xml.order.lines.line).toHaveLength(2);

    // Replayed again as XML: the same document.
    const again = await call('/v1/orders', { method: 'POST', body, accept: XML, headers: { 'Idempotency-Key': key } });
    expect(again.status).toBe(201);
    expect((await xmlOf(again)).order).toEqual(xml.order);
  });

  it('a single order and the list answer XML with the content of their JSON answers', async () => {
    const { id, number } = await placeSettled(facilityOrder('2002'));

    const json = await jsonOf(await call(`/v1/orders/${id}`));
    const single = await call(`/v1/orders/${id}`, { accept: XML });
    expect(single.status).toBe(200);
    expect(single.headers.get('vary')).toMatch(/Accept/i);
    const xml = await xmlOf(single);
    expect(xml.order).toEqual(asXml(json));
    // Fixed paths an XML client reads: rows with their resource, the orderer's address.
    expect(xml.order.lines.line[0]).toMatchObject({
      product_type: 'facility_slot',
      product_name: 'Tennis 1 hour',
      starts_at: '2030-06-29T08:00:00.000Z',
      resource: { name: 'Court 1', kind: 'court' },
      excl_vat: '3600',
      incl_vat: '4500',
    });
    expect(xml.order.lines.line[2].resource).toBe('');
    expect(xml.order.ordered_by).toMatchObject({ external_contact_id: '2002', address: { city: 'Springfield' } });

    const listJson = await jsonOf(await call(`/v1/orders?number=${number}`));
    const list = await xmlOf(await call(`/v1/orders?number=${number}`, { accept: XML }));
    expect(list.orders.order).toHaveLength(1);
    expect(list.orders.order[0]).toEqual(asXml(listJson.data[0]));
    expect(list.orders.created_from).toBe(listJson.created_from);

    // q-values: XML only when it is preferred; JSON on a tie and by default.
    const typeFor = async (accept: string) =>
      (await call(`/v1/orders/${id}`, { accept })).headers.get('content-type') ?? '';
    expect(await typeFor('application/json;q=0.4, application/xml;q=0.9')).toMatch(/^application\/xml/);
    expect(await typeFor('text/xml')).toMatch(/^application\/xml/);
    expect(await typeFor('application/xml;q=0.5, */*')).toMatch(/^application\/json/);
    expect(await typeFor('application/json, application/xml')).toMatch(/^application\/json/);
    expect(await typeFor('application/xml;q=0')).toMatch(/^application\/json/);
  });

  it('a change answers XML with the content of the JSON answer', async () => {
    const { id } = await placeSettled(facilityOrder('2003'));
    const changed = await call(`/v1/orders/${id}`, {
      method: 'PATCH',
      body: { notes: { external: 'Bring <your> own balls & towels' } },
      accept: XML,
    });
    expect(changed.status).toBe(200);
    const xml = await xmlOf(changed);
    const json = await jsonOf(
      await call(`/v1/orders/${id}`, {
        method: 'PATCH',
        body: { notes: { external: 'Bring <your> own balls & towels' } },
      }),
    );
    expect(xml.order).toEqual(asXml(json));
    // Text that looks like markup is text.
    const details = await xmlOf(await call(`/v1/orders/${id}`, { accept: XML }));
    expect(details.order.notes.external).toBe('Bring <your> own balls & towels');
  });

  it('problems stay application/problem+json for an XML client', async () => {
    const missing = await call(`/v1/orders/${crypto.randomUUID()}`, { accept: XML });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await jsonOf(missing)).toMatchObject({ status: 404, code: 'not_found' });

    const invalid = await call('/v1/orders', {
      method: 'POST',
      body: { payment_method: 'cash', lines: [] },
      accept: XML,
    });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('content-type')).toMatch(/^application\/problem\+json/);

    const unknownOccurrence = await call('/v1/orders', {
      method: 'POST',
      body: {
        payment_method: 'invoice',
        booker: { email: 'x@example.com' },
        lines: [{ occurrence_id: crypto.randomUUID() }],
      },
      accept: XML,
    });
    expect(unknownOccurrence.status).toBe(422);
    expect(unknownOccurrence.headers.get('content-type')).toMatch(/^application\/problem\+json/);

    const theirs = await call(`/v1/orders?number=1`, { accept: XML, key: other.apiKey });
    expect(theirs.status).toBe(200);
    expect((await xmlOf(theirs)).orders.order).toBeUndefined();
  });

  it('declares XML for each order endpoint and the voucher look-up in the OpenAPI document', async () => {
    const doc = await jsonOf(await fetch(`${stack.baseUrl}/openapi.json`));
    const xmlOfPath = (path: string, method: string, status: string) =>
      Object.keys(doc.paths[path][method].responses[status].content);
    expect(xmlOfPath('/v1/orders', 'post', '201')).toContain('application/xml');
    expect(xmlOfPath('/v1/orders', 'get', '200')).toContain('application/xml');
    expect(xmlOfPath('/v1/orders/{id}', 'get', '200')).toContain('application/xml');
    expect(xmlOfPath('/v1/orders/{id}', 'patch', '200')).toContain('application/xml');
    expect(xmlOfPath('/v1/vouchers/{code}', 'get', '200')).toContain('application/xml');
    expect(doc.components.schemas.OrderRow.properties.resource).toBeDefined();
  });
});
