import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addApiKey, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { startTestStack, type TestStack } from '../helpers/test-stack';

// The facility-booking platform's own calls (its documentation's examples, with our key for theirs)
// against /compat/facility, on the real stack: XML answers in its shapes, orders followed in /v1.

const BASE = '/compat/facility';
const repeated = new Set(['item', 'vatsum', 'coupon', 'resource']);
const parser = new XMLParser({
  parseTagValue: false,
  isArray: (name, jpath) => repeated.has(name) || jpath === 'orders.order',
});

let stack: TestStack;
let tenant: TestTenant;
let client: ReturnType<typeof orderClient>;
let customerId: string;

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  xml: any;
}

/** A call as their client makes it: the key in `?apikey=` unless the test says otherwise. */
async function call(
  method: string,
  pathAndQuery: string,
  init: { body?: string; type?: string; key?: string | null; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const key = init.key === undefined ? tenant.apiKey : init.key;
  const separator = pathAndQuery.includes('?') ? '&' : '?';
  const url = `${stack.baseUrl}${BASE}${pathAndQuery}${key ? `${separator}apikey=${encodeURIComponent(key)}` : ''}`;
  const response = await fetch(url, {
    method,
    headers: { ...(init.type ? { 'Content-Type': init.type } : {}), ...init.headers },
    body: init.body,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, xml: text ? parser.parse(text) : undefined };
}

const FORM = 'application/x-www-form-urlencoded';
const XML = 'application/xml';

async function admin(path: string, body: unknown, method = 'POST') {
  const response = await fetch(`${stack.baseUrl}${path}`, {
    method,
    headers: { 'X-API-Key': tenant.apiKey, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await jsonOf(response);
  if (response.status >= 300) throw new Error(`${path}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

const inHours = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await createTenant(stack.database.db);
  client = orderClient(stack, tenant.apiKey);
  const tennis = await admin('/v1/catalog/products', {
    type: 'facility_slot',
    name: 'Tennis 1 hour',
    price: 3_600,
    vat_rate: 25,
    external_id: '18',
  });
  await admin('/v1/catalog/products', { type: 'item', name: 'Towel', price: 1_000, vat_rate: 6, external_id: '19' });
  for (const [externalId, hours] of [
    ['1402', 240],
    ['1403', 2],
  ] as const) {
    await admin('/v1/catalog/occurrences', {
      product_id: tennis.id,
      name: `Tennis — Wilander ${externalId}`,
      starts_at: inHours(hours),
      ends_at: inHours(hours + 1),
      capacity: 20,
      resource: { name: 'Wilander', kind: 'room' },
      external_id: externalId,
    });
  }
  await admin('/v1/catalog/campaigns', { code: 'EXAMPLECODE', kind: 'percent', percent: 10 });
  await admin('/v1/catalog/vouchers', { code: 'GIFT20', kind: 'percent', percent: 20 });
  // Their coupons stack; ours do where the tenant allows it.
  await admin('/v1/settings', { campaign_stacking: true }, 'PATCH');
  const customer = await admin('/v1/customers', {
    email: 'john@example.com',
    name: 'John Doe',
    external_contact_id: '1345',
    billing_address: { line_1: 'Main Street 10', zipcode: '590 23', city: 'Springfield', country_code: 'SE' },
  });
  customerId = customer.id;
});
afterAll(async () => stack?.stop());

/** Their documented `<order>`: every element, of its type. */
function expectTheirOrderShape(order: any) {
  for (const name of [
    'id',
    'number',
    'created',
    'orderedby',
    'items',
    'sumexvat',
    'vatsums',
    'sum',
    'lefttopay',
    'fullydebited',
    'coupondiscount',
    'mark',
    'externalnote',
    'internalnote',
    'bringnotetoinvoice',
    'preliminary',
    'preliminaryuntil',
    'coupons',
  ]) {
    expect(order, name).toHaveProperty(name);
  }
  expect(order.number).toMatch(/^\d+$/);
  expect(order.created).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
  for (const total of ['sumexvat', 'sum', 'lefttopay', 'coupondiscount']) expect(order[total]).toMatch(/^\d+$/);
  expect(['true', 'false']).toContain(order.preliminary);
  expect(Object.keys(order.orderedby)).toEqual(['id', 'number', 'name', 'streetaddress', 'postaladdress', 'country']);
  for (const item of order.items.item ?? []) {
    expect(Object.keys(item)).toEqual([
      'id',
      'producttype',
      'productname',
      'productid',
      'resources',
      'start',
      'end',
      'numberofproducts',
      'participant',
      'priceexvat',
      'priceincvat',
    ]);
    expect(item.priceexvat).toMatch(/^\d+$/);
    expect(item.priceincvat).toMatch(/^\d+$/);
  }
}

const courtRow = (occurrence = '1402', participant = 'Jane Doe') =>
  `<item><occurrenceid>${occurrence}</occurrenceid><participant>${participant}</participant>` +
  '<participantemail>jane@example.com</participantemail></item>';

describe('create → rows → pay → read', () => {
  it('refuses their create example as written: our orders are placed with their rows', async () => {
    // POST:APIURL/orders.xml, apikey=338934897438 (on the URL): an empty order, which /v1 cannot hold.
    const answer = await call('POST', '/orders.xml');
    expect(answer.status, answer.text).toBe(422);
    expect(answer.headers.get('content-type')).toMatch(/^application\/xml/);
    // Two problems at once (no rows, no email for the receipt): our code for an order with several.
    expect(answer.xml.error).toMatchObject({ code: 'order_invalid' });
    expect(answer.xml.error.message).toContain('at least one line');
  });

  it('creates a preliminary order with rows, pays it, and reads it back paid, also in /v1', async () => {
    const body =
      '<order><orderedbyid>' +
      customerId +
      '</orderedbyid><externalnote>Thank you for your order</externalnote>' +
      '<internalnote>Internal message here</internalnote><coupons>EXAMPLECODE</coupons>' +
      `<items>${courtRow()}<item><productid>19</productid><numberofproducts>2</numberofproducts></item>` +
      '</items></order>';
    const created = await call('POST', '/orders.xml', { type: XML, body });
    expect(created.status, created.text).toBe(201);
    const { order } = created.xml;
    expectTheirOrderShape(order);
    expect(created.headers.get('location')).toBe(`${BASE}/orders/${order.id}.xml`);
    expect(order.orderedby).toEqual({
      id: customerId,
      number: '1345',
      name: 'John Doe',
      streetaddress: 'Main Street 10',
      postaladdress: '590 23 Springfield',
      country: 'Sweden',
    });
    const [court, towel] = order.items.item;
    expect(court).toMatchObject({
      producttype: 'Service',
      productname: 'Tennis 1 hour',
      productid: '18',
      resources: { resource: [{ id: '', name: 'Wilander', type: 'Room' }] },
      numberofproducts: '1',
      participant: 'Jane Doe',
      priceexvat: '3240',
      priceincvat: '4050',
    });
    expect(court.start.timepoint.datetime).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
    expect(Number(court.end.timepoint.timestamp) - Number(court.start.timepoint.timestamp)).toBe(3600);
    expect(towel).toMatchObject({ producttype: 'Article', productid: '19', numberofproducts: '2', start: '' });
    // 10 % off 3600 + 2 × 1000: 3240 at 25 % and 1800 at 6 %.
    expect(order).toMatchObject({
      sumexvat: '5040',
      vatsums: { vatsum: [expect.objectContaining({ rate: '25' }), expect.objectContaining({ rate: '6' })] },
      coupondiscount: '560',
      externalnote: 'Thank you for your order',
      internalnote: 'Internal message here',
      preliminary: 'true',
      fullydebited: 'false',
      coupons: { coupon: [{ name: 'EXAMPLECODE' }] },
    });
    const vat = order.vatsums.vatsum.reduce((sum: number, v: { amount: string }) => sum + Number(v.amount), 0);
    expect(Number(order.sum)).toBe(5040 + vat);
    expect(order.lefttopay).toBe(order.sum);
    expect(order.preliminaryuntil).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);

    const paid = await client.actOnPaymentPage(order.paymenturl, 'pay');
    expect(paid.status).toBe(303);
    const ours = await client.waitForStatus(order.id, 'completed');
    expect(ours.totals.incl_vat).toBe(Number(order.sum));

    const read = await call('GET', `/orders/${order.id}.xml`);
    expect(read.status, read.text).toBe(200);
    expectTheirOrderShape(read.xml.order);
    expect(read.xml.order).toMatchObject({
      id: order.id,
      lefttopay: '0',
      preliminary: 'false',
      preliminaryuntil: '',
      fullydebited: 'true',
    });
  });

  it('fills an order with rows, confirms it with their PUT example, and changes its notes', async () => {
    // Their create parameters as a form body, with one row given as parameters.
    const form = new URLSearchParams({
      name: 'Jane Doe',
      email: 'jane@example.com',
      externalnote: 'Glöm inte handduk',
      occurrenceid: '1402',
    });
    const created = await call('POST', '/orders.xml', { type: FORM, body: form.toString() });
    expect(created.status, created.text).toBe(201);
    const { id } = created.xml.order;
    expect(created.xml.order.items.item).toHaveLength(1);

    const added = await call('PUT', `/orders/${id}.xml`, {
      type: XML,
      body: '<order><items><item><productid>19</productid></item></items></order>',
    });
    expect(added.status, added.text).toBe(200);
    expect(added.xml.order.items.item.map((i: any) => i.productname)).toEqual(['Tennis 1 hour', 'Towel']);
    expect(added.xml.order.preliminary).toBe('true');

    // PUT:APIURL/orders/{id}.xml?apikey=338934897438&preliminary=false
    const confirmed = await call('PUT', `/orders/${id}.xml?preliminary=false`);
    expect(confirmed.status, confirmed.text).toBe(200);
    expectTheirOrderShape(confirmed.xml.order);
    expect(confirmed.xml.order).toMatchObject({ preliminary: 'false', preliminaryuntil: '' });
    await client.waitForStatus(id, 'invoiced');

    // Their URL-encoded notes, as written in the documentation.
    const notes = await call(
      'PUT',
      `/orders/${id}.xml?mark=Jag%20%26%20Mia%20kommer%20sent&externalnote=Gl%C3%B6m%20inte%20handduk` +
        '&internalnote=internal%20message&bringnotetoinvoice=false',
    );
    expect(notes.status, notes.text).toBe(200);
    expect(notes.text).toContain('<mark>Jag &amp; Mia kommer sent</mark>');
    expect(notes.xml.order).toMatchObject({
      mark: 'Jag & Mia kommer sent',
      externalnote: 'Glöm inte handduk',
      internalnote: 'internal message',
      fullydebited: 'true',
    });
    const ours = await client.getOrder(id);
    expect(ours.body.notes).toEqual({
      mark: 'Jag & Mia kommer sent',
      external: 'Glöm inte handduk',
      internal: 'internal message',
    });
  });
});

describe('retries', () => {
  it('answers a create retried with the same Idempotency-Key with the same order', async () => {
    const retry = {
      type: XML,
      body: `<order><email>jane@example.com</email><items>${courtRow()}</items></order>`,
      headers: { 'Idempotency-Key': `facility-${crypto.randomUUID()}` },
    };
    const first = await call('POST', '/orders.xml', retry);
    expect(first.status, first.text).toBe(201);
    const again = await call('POST', '/orders.xml', retry);
    expect(again.xml.order.id).toBe(first.xml.order.id);
  });
});

describe('coupons', () => {
  it('answers an unknown code with 400 and error 1107, on create and change; an empty list removes them', async () => {
    const row = `<items>${courtRow()}</items>`;
    // ANOTHEREXAMPLE is no campaign of this shop.
    const refused = await call('POST', '/orders.xml?coupons=EXAMPLECODE,ANOTHEREXAMPLE', {
      type: XML,
      body: `<order><email>jane@example.com</email>${row}</order>`,
    });
    expect(refused.status, refused.text).toBe(400);
    expect(refused.xml.error.code).toBe('1107');

    const created = await call('POST', '/orders.xml?coupons=EXAMPLECODE&email=jane%40example.com', {
      type: XML,
      body: `<order>${row}</order>`,
    });
    expect(created.status, created.text).toBe(201);
    const { id } = created.xml.order;
    expect(created.xml.order.coupondiscount).toBe('360');

    const changed = await call('PUT', `/orders/${id}.xml?coupons=EXAMPLECODE,ANOTHEREXAMPLE`);
    expect(changed.status, changed.text).toBe(400);
    expect(changed.xml.error.code).toBe('1107');

    // A gift voucher is a coupon too: 10 % off, then 20 % off the rest of 3600.
    const both = await call('PUT', `/orders/${id}.xml?coupons=EXAMPLECODE,GIFT20`);
    expect(both.status, both.text).toBe(200);
    expect(both.xml.order.coupons.coupon).toEqual([{ name: 'EXAMPLECODE' }, { name: 'GIFT20' }]);
    expect(Number(both.xml.order.coupondiscount)).toBeGreaterThan(360);
    const ours = await client.getOrder(id);
    expect(ours.body).toMatchObject({ campaign_codes: ['EXAMPLECODE'], voucher_code: 'GIFT20' });

    const removed = await call('PUT', `/orders/${id}.xml?coupons=`);
    expect(removed.status, removed.text).toBe(200);
    expect(removed.xml.order).toMatchObject({ coupons: '', coupondiscount: '0', sumexvat: '3600' });
  });
});

describe('list', () => {
  it('lists with their example and filters: number, customer, dates, pages', async () => {
    const placed = await call('POST', `/orders.xml?orderedbyid=${customerId}`, {
      type: XML,
      body: `<order><items>${courtRow()}</items></order>`,
    });
    expect(placed.status, placed.text).toBe(201);
    const { id, number } = placed.xml.order;

    // APIURL/orders.xml?apikey=338934897438&businessunitids=4,3
    const all = await call('GET', '/orders.xml?businessunitids=4,3');
    expect(all.status, all.text).toBe(200);
    expect(all.xml.orders.order.length).toBeGreaterThanOrEqual(4);
    for (const order of all.xml.orders.order) expectTheirOrderShape(order);
    expect(all.xml.orders.order.map((o: any) => o.id)).toContain(id);

    const byNumber = await call('GET', `/orders.xml?number=${number}`);
    expect(byNumber.xml.orders.order.map((o: any) => o.id)).toEqual([id]);

    for (const customer of ['1345', customerId]) {
      const byCustomer = await call('GET', `/orders.xml?orderedbyid=${customer}`);
      expect(byCustomer.status, byCustomer.text).toBe(200);
      const ids = byCustomer.xml.orders.order.map((o: any) => o.id);
      expect(ids).toContain(id);
      for (const order of byCustomer.xml.orders.order) expect(order.orderedby.number).toBe('1345');
    }

    const past = await call('GET', '/orders.xml?fromdate=2011-12-24&todate=2012-12-25');
    expect(past.status, past.text).toBe(200);
    expect(past.xml.orders.order ?? []).toEqual([]);

    const first = await call('GET', '/orders.xml?limit=1');
    expect(first.xml.orders.order).toHaveLength(1);
    const cursor = first.xml.orders.nextcursor;
    expect(cursor).not.toBe('');
    const second = await call('GET', `/orders.xml?limit=1&cursor=${encodeURIComponent(cursor)}`);
    expect(second.xml.orders.order).toHaveLength(1);
    expect(second.xml.orders.order[0].id).not.toBe(first.xml.orders.order[0].id);
  });
});

describe('delete', () => {
  const place = async (occurrence: string) => {
    const answer = await call('POST', '/orders.xml?email=jane%40example.com', {
      type: XML,
      body: `<order><items>${courtRow(occurrence)}</items></order>`,
    });
    expect(answer.status, answer.text).toBe(201);
    return answer.xml.order.id as string;
  };

  it('deletes with their example (204), and refuses under the cancellation rules', async () => {
    const id = await place('1402');
    // DELETE:APIURL/orders/{id}.xml?apikey=338934897438
    const deleted = await call('DELETE', `/orders/${id}.xml`);
    expect(deleted.status, deleted.text).toBe(204);
    expect(deleted.text).toBe('');
    await client.waitForStatus(id, 'cancelled');

    // Two hours before the start is past the tenant's 24-hour deadline.
    const late = await place('1403');
    // ANOTHEREXAMPLE is no campaign of this shop.
    const refused = await call('DELETE', `/orders/${late}.xml?anonymous=true`);
    expect(refused.status, refused.text).toBe(409);
    expect(refused.xml.error.code).toBe('cancellation_deadline_passed');
  });
});

describe('authentication and hostile input', () => {
  it('describes every route in the compatibility OpenAPI document', async () => {
    const document = await jsonOf(await fetch(`${stack.baseUrl}/compat/openapi.json`));
    expect(Object.keys(document.paths[`${BASE}/orders.xml`]).sort()).toEqual(['get', 'post']);
    expect(Object.keys(document.paths[`${BASE}/orders/{id}.xml`]).sort()).toEqual(['delete', 'get', 'put']);
    expect(document.tags).toContainEqual(expect.objectContaining({ name: 'Facility booking (compat)' }));
  });

  it('takes the key as ?apikey= or as the Basic password, and answers a missing or unknown key in XML', async () => {
    const basic = `Basic ${Buffer.from(`facility:${tenant.apiKey}`).toString('base64')}`;
    expect((await call('GET', '/orders.xml?limit=1', { key: null, headers: { Authorization: basic } })).status).toBe(
      200,
    );
    const missing = await call('GET', '/orders.xml', { key: null });
    expect(missing.status).toBe(401);
    expect(missing.xml.error.code).toBe('unauthorized');
    expect((await call('GET', '/orders.xml', { key: 'ook_unknown' })).status).toBe(401);

    const reader = await addApiKey(stack.database.db, tenant.id, ['orders:read']);
    const forbidden = await call('POST', '/orders.xml', { key: reader, type: XML, body: '<order/>' });
    expect(forbidden.status).toBe(403);
    expect(forbidden.xml.error.code).toBe('missing_scope');
  });

  it('refuses hostile or unknown input with a 4xx in their shape, never a 500', async () => {
    const expectError = async (answer: Answer, status: number, code: string) => {
      expect(answer.status, answer.text).toBe(status);
      expect(answer.xml.error.code).toBe(code);
    };
    const entities =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>' +
      '<order><mark>&lol2;</mark></order>';
    await expectError(await call('POST', '/orders.xml', { type: XML, body: entities }), 400, 'invalid_xml');
    await expectError(
      await call('POST', '/orders.xml', { type: XML, body: '<order><mark>x</order>' }),
      400,
      'invalid_xml',
    );
    const deep = `<order>${'<a>'.repeat(9000)}${'</a>'.repeat(9000)}</order>`;
    await expectError(await call('POST', '/orders.xml', { type: XML, body: deep }), 400, 'invalid_xml');
    const manyRows = `<order><items>${'<item><productid>19</productid></item>'.repeat(51)}</items></order>`;
    await expectError(await call('POST', '/orders.xml', { type: XML, body: manyRows }), 400, 'invalid_value');
    await expectError(
      await call('PUT', `/orders/${crypto.randomUUID()}.xml?coupons=A,B,C,D,E,F,G`),
      400,
      'invalid_value',
    );
    const huge = `<order><mark>${'x'.repeat(70_000)}</mark></order>`;
    await expectError(await call('POST', '/orders.xml', { type: XML, body: huge }), 400, 'invalid_xml');
    await expectError(
      await call('POST', '/orders.xml', { type: 'application/json', body: '{}' }),
      415,
      'unsupported_media_type',
    );
    await expectError(await call('GET', '/orders.xml?orderby=number'), 400, 'unknown_parameter');
    // Refused by the app before any of the adapter's routes runs, and still in their XML.
    await expectError(await call('GET', '/orders.xml?number=1%00'), 400, 'control_character');
    const overLimit = `<order><mark>${'x'.repeat(3 * 1024 * 1024)}</mark></order>`;
    await expectError(await call('POST', '/orders.xml', { type: XML, body: overLimit }), 413, 'payload_too_large');
    await expectError(await call('GET', '/orders.xml?fromdate=yesterday'), 400, 'invalid_value');
    await expectError(
      await call('POST', '/orders.xml?sellerid=5', { type: XML, body: '<order/>' }),
      501,
      'not_supported',
    );
    await expectError(
      await call('PUT', `/orders/${crypto.randomUUID()}.xml?bringnotetoinvoice=true`),
      501,
      'not_supported',
    );
    await expectError(await call('PUT', `/orders/${crypto.randomUUID()}.xml?preliminary=true`), 400, 'invalid_value');
    await expectError(
      await call('POST', '/orders.xml?email=jane%40example.com', {
        type: XML,
        body: '<order><items><item><occurrenceid>999999</occurrenceid></item></items></order>',
      }),
      422,
      'course_date_identifier_invalid',
    );

    const mine = await call('POST', '/orders.xml?email=jane%40example.com', {
      type: XML,
      body: `<order><items>${courtRow()}</items></order>`,
    });
    const other = await createTenant(stack.database.db);
    const foreign = await call('GET', `/orders/${mine.xml.order.id}.xml`, { key: other.apiKey });
    await expectError(foreign, 404, 'not_found');
    await expectError(await call('GET', '/orders/not-an-id.xml'), 404, 'not_found');
    for (const path of ['/orders/.xml', '/orders/..xml', '/orders/%2E.xml', '/orders/a%2Fb.xml']) {
      await expectError(await call('GET', path), 404, 'not_found');
    }
    await expectError(await call('DELETE', '/orders/..xml'), 404, 'not_found');
  });
});
