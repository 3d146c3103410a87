import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addApiKey, createTenant, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { startTestStack, type TestStack } from '../helpers/test-stack';

// The venue platform's shop API (seed 004) on the real stack, driven with its documentation's own
// example bodies: answers in its shapes, orders followed through /v1 until paid or invoiced.

// Their documentation's examples, as written there.
const CREATE_ORDER_EXAMPLE = {
  orderLines: [
    {
      sellableId: 23,
      productId: 51,
      quantity: 5,
      date: '2019-02-19',
      properties: {
        name: 'Fornavn Efternavn',
        email: 'kunde@example.org',
        dateOfBirth: '2019-02-19',
        street: 'Dannebrogsgade 58A',
        zipCode: '9000',
        city: 'Aalborg',
        countryCode: 'DK',
        imageId: 5823,
        oldCardId: 5823,
      },
    },
  ],
  clientName: 'VenueApp',
  clientOs: 'iPhone',
};
const PAY_EXAMPLE = {
  successUrl: 'http://example.com/success',
  failedUrl: 'http://example.com/argh',
  paymentMethod: 'creditcard',
  clientName: 'VenueApp',
  clientOs: 'iPhone',
};
const CREATE_TOKEN_EXAMPLE = {
  username: 'alice@example.com',
  password: 'Bob is cute',
  clientName: 'VenueApp',
  clientOs: 'iPhone',
};

let stack: TestStack;
let tenant: TestTenant;
let client: ReturnType<typeof orderClient>;
/** The day event 23 takes place, as their `date` names it. */
let eventDay: string;

interface Answer {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(`${stack.baseUrl}${path}`, {
    method,
    headers: { 'X-API-Key': tenant.apiKey, 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // XML or empty: kept as text.
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

const venue = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  call(method, `/compat/venue${path}`, body, headers);

async function admin(path: string, body: unknown, method = 'POST') {
  const answer = await call(method, path, body);
  if (answer.status >= 300) throw new Error(`${path}: ${answer.status} ${answer.text}`);
  return answer.body;
}

/** Their error shape: `error` text and numeric `errorCode`, with our code beside them. */
function expectVenueError(answer: Answer, status: number, code: string) {
  expect(answer.status, answer.text).toBe(status);
  expect(typeof answer.body.error).toBe('string');
  expect(answer.body.errorCode).toBe(0);
  const codes = [answer.body.code, ...(answer.body.errors ?? []).map((e: { code: string }) => e.code)];
  expect(codes).toContain(code);
}

/** Their example with the date of the event instead of one in 2019. */
const exampleOnEventDay = () => ({
  ...CREATE_ORDER_EXAMPLE,
  orderLines: [{ ...CREATE_ORDER_EXAMPLE.orderLines[0], date: eventDay }],
});

const basic = (key: string) => `Basic ${Buffer.from(`api-user:${key}`).toString('base64')}`;

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await createTenant(stack.database.db, { baseCurrency: 'dkk' });
  client = orderClient(stack, tenant.apiKey);
  const start = new Date(Date.now() + 10 * 86_400_000);
  start.setUTCHours(12, 0, 0, 0);
  eventDay = start.toISOString().slice(0, 10);
  const ticket = await admin('/v1/catalog/products', {
    type: 'ticket',
    name: 'Gryffindor - Slytherin',
    price: 10_000,
    vat_rate: 25,
    external_id: '51',
  });
  await admin('/v1/catalog/occurrences', {
    product_id: ticket.id,
    name: 'Gryffindor - Slytherin',
    starts_at: start.toISOString(),
    capacity: 60,
    external_id: '23',
  });
  await admin('/v1/catalog/products', {
    type: 'item',
    name: 'Day pass',
    price: 8_000,
    vat_rate: 25,
    daily_capacity: 20,
    external_id: '60',
  });
  await admin('/v1/catalog/vouchers', { code: 'XYZ1234', kind: 'value', value: 10_000, currency: 'dkk' });
});
afterAll(async () => stack?.stop());

describe('create order → pay → completed', () => {
  let orderId: string;
  let paymentPage: string;

  it('refuses their example as written (a 2019 date on an event held another day), books it on the day', async () => {
    const asWritten = await venue('POST', '/order', CREATE_ORDER_EXAMPLE);
    expectVenueError(asWritten, 400, 'date_not_allowed');
    expect(asWritten.body.errors[0].field).toBe('orderLines.0.date');

    const placed = await venue('POST', '/order', exampleOnEventDay());
    expect(placed.status, placed.text).toBe(201);
    expect(typeof placed.body.id).toBe('string');
    expect(typeof placed.body.number).toBe('string');
    orderId = placed.body.id;
    expect(placed.headers.get('location')).toBe(`/compat/venue/order/${orderId}`);
    // 5 tickets at 100.00 + 25 % VAT, in major units and their upper-case currency.
    expect(placed.body).toMatchObject({ currencyCode: 'DKK', totalAmount: 625, totalVat: 125, totalDiscount: 0 });
    paymentPage = placed.body.paymentUrl;
    expect(paymentPage).toContain('/psp/sandbox/pay/');

    // The same order in /v1: five tickets in the holder's name, their client recorded.
    const ours = (await client.getOrder(orderId)).body;
    expect(ours.number).toBe(Number(placed.body.number));
    expect(ours.participants).toHaveLength(5);
    expect(ours.participants[0]).toMatchObject({
      firstname: 'Fornavn',
      lastname: 'Efternavn',
      email: 'kunde@example.org',
      date_of_birth: '2019-02-19',
      home_address: expect.objectContaining({ line_1: 'Dannebrogsgade 58A', zipcode: '9000', country_code: 'DK' }),
    });
    expect(ours.totals.incl_vat).toBe(62_500);
  });

  it('pays with their pay-order example (plus the order id) on the provider page; the order completes', async () => {
    const withoutOrder = await venue('POST', '/order/ordertransaction', PAY_EXAMPLE);
    expectVenueError(withoutOrder, 400, 'field_required');
    expect(withoutOrder.body.errors[0].field).toBe('orderId');

    const started = await venue('POST', '/order/ordertransaction', { ...PAY_EXAMPLE, orderId });
    expect(started.status, started.text).toBe(201);
    expect(typeof started.body.id).toBe('string');
    const location = started.headers.get('location') as string;
    expect(location).toContain('/psp/sandbox/pay/');
    // A new attempt replaces the session the order was placed with.
    expect(location).not.toBe(paymentPage);

    const paid = await client.actOnPaymentPage(location, 'pay');
    expect(paid).toEqual({ status: 303, location: 'http://example.com/success' });
    await client.waitForStatus(orderId, 'completed');

    const read = await venue('GET', `/order/${orderId}`);
    expect(read.status, read.text).toBe(200);
    expect(read.body).toMatchObject({
      id: orderId,
      status: 'completed',
      totalAmount: 625,
      leftToPay: 0,
      amountPaid: 625,
    });
    expect(read.body.orderLines.length).toBeGreaterThan(0);

    // Nothing left to pay: 200 and the order's transactions, as theirs.
    const again = await venue('POST', `/order/${orderId}/ordertransaction`, PAY_EXAMPLE);
    expect(again.status, again.text).toBe(200);
    expect(Array.isArray(again.body)).toBe(true);
    expect(again.body.some((t: { status: string }) => t.status === 'succeeded')).toBe(true);
  });

  it('books a per-date product by productId and date, anonymous units with our customer field', async () => {
    const placed = await venue('POST', '/order', {
      orderLines: [{ productId: 60, quantity: 2, date: eventDay }],
      clientName: 'VenueApp',
      customer: { email: 'buyer@example.org' },
    });
    expect(placed.status, placed.text).toBe(201);
    const ours = (await client.getOrder(placed.body.id)).body;
    expect(ours.lines[0]).toMatchObject({ date: eventDay, quantity: 2 });
  });

  it('pays with a card saved on the payment page (their saved-card call): charged at once, 200 {id}', async () => {
    const withCustomer = () => ({ ...exampleOnEventDay(), customer: { email: 'saver@example.org' } });
    const first = await venue('POST', '/order', withCustomer());
    expect(first.status, first.text).toBe(201);
    const paid = await client.actOnPaymentPage(first.body.paymentUrl, 'pay', '4242424242424242', { save_card: '1' });
    expect(paid.status).toBe(303);
    await client.waitForStatus(first.body.id, 'completed');
    const customers = await call('GET', '/v1/customers?email=saver@example.org');
    const cards = await call('GET', `/v1/customers/${customers.body.data[0].id}/saved-cards`);
    const cardId = cards.body.data[0].id;

    const second = await venue('POST', '/order', withCustomer());
    const charged = await venue('POST', `/order/ordertransaction/savedcard/${cardId}`, { orderId: second.body.id });
    expect(charged.status, charged.text).toBe(200);
    expect(typeof charged.body.id).toBe('string');
    await client.waitForStatus(second.body.id, 'completed');
  });

  it('answers a retry with the same Idempotency-Key with the same order', async () => {
    const retryKey = { 'Idempotency-Key': `venue-${crypto.randomUUID()}` };
    const placed = await venue('POST', '/order', exampleOnEventDay(), retryKey);
    expect(placed.status, placed.text).toBe(201);
    expect((await venue('POST', '/order', exampleOnEventDay(), retryKey)).body.id).toBe(placed.body.id);
  });

  it('refuses to pay with an unknown saved card, in their 400', async () => {
    const placed = await venue('POST', '/order', exampleOnEventDay());
    expect(placed.status, placed.text).toBe(201);
    const paid = await venue('POST', `/order/ordertransaction/savedcard/${crypto.randomUUID()}`, {
      orderId: placed.body.id,
    });
    expectVenueError(paid, 400, 'saved_card_invalid');
  });
});

describe('invoices', () => {
  /** An invoice order placed through /v1 (their shop has no invoice payment), with its external id. */
  async function invoiceOrder(externalId: string) {
    const placed = await client.placeOrder({
      payment_method: 'invoice',
      external_id: externalId,
      booker: { name: 'Anna Andersen', email: 'anna@example.org' },
      lines: [await dayPassLine()],
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    return client.waitForStatus(placed.body.id, 'invoiced');
  }
  async function dayPassLine() {
    const products = await venue('GET', '/catalog/products');
    const pass = products.body.find((p: { id: string }) => p.id === '60');
    const ours = await call('GET', '/v1/catalog/products?external_id=60');
    expect(pass).toBeDefined();
    return { product_id: ours.body.data[0].id, date: eventDay, quantity: 2, discount_percent: 50 };
  }

  it('lists invoices and receipts after a number, with lines, discounts and VAT %; a credit note too', async () => {
    const invoiced = await invoiceOrder('DG817');
    const cancelled = await invoiceOrder('CN-1');
    const deleted = await call('DELETE', `/v1/orders/${cancelled.id}`);
    expect(deleted.status, deleted.text).toBe(204);
    await client.waitForStatus(cancelled.id, 'cancelled');

    // Their export authenticates with HTTP Basic: our key is the password.
    const listed = await venue('GET', '/invoice?limit=50', undefined, {
      'X-API-Key': '',
      Authorization: basic(tenant.apiKey),
    });
    expect(listed.status, listed.text).toBe(200);
    expect(Array.isArray(listed.body)).toBe(true);
    for (const invoice of listed.body) {
      for (const field of [
        'id',
        'number',
        'orderId',
        'type',
        'totalAmount',
        'totalDiscount',
        'totalVat',
        'currencyCode',
      ])
        expect(invoice[field], field).toBeDefined();
      expect(typeof invoice.totalAmount).toBe('number');
      expect(invoice.customer).toHaveProperty('id');
      for (const line of invoice.lines)
        for (const field of ['id', 'type', 'quantity', 'amount', 'discount', 'vatPercentage', 'totalAmount'])
          expect(line[field], field).toBeDefined();
    }
    const receipt = listed.body.find((i: { documentType: string }) => i.documentType === 'receipt');
    expect(receipt).toMatchObject({ type: 'invoice', currencyCode: 'DKK' });
    const invoice = listed.body.find((i: { orderId: string; type: string }) => i.orderId === invoiced.id);
    // 2 day passes at 80.00 + 25 % = 100.00 each, half off: 100.00 to pay, 20.00 of it VAT.
    expect(invoice).toMatchObject({ type: 'invoice', totalAmount: 100, totalVat: 20, totalDiscount: 100 });
    expect(invoice.lines[0]).toMatchObject({
      quantity: 2,
      amount: 100,
      discount: 100,
      vatPercentage: 25,
      totalAmount: 100,
    });
    const credit = listed.body.find((i: { type: string }) => i.type === 'creditnote');
    expect(credit).toMatchObject({ orderId: cancelled.id, documentType: 'credit_note' });

    // The cursor: after the first number, the rest.
    const first = listed.body[0].number;
    const after = await venue('GET', `/invoice?afterNumber=${encodeURIComponent(first)}&limit=10`);
    expect(after.status, after.text).toBe(200);
    expect(after.body.map((i: { number: string }) => i.number)).toEqual(
      listed.body.slice(1, 11).map((i: { number: string }) => i.number),
    );

    // As XML, in the same field names.
    const xml = await venue('GET', '/invoice?format=xml');
    expect(xml.status).toBe(200);
    expect(xml.headers.get('content-type')).toMatch(/^application\/xml/);
    const parsed = new XMLParser().parse(xml.text);
    const xmlInvoices = [parsed.invoices.invoice].flat();
    expect(xmlInvoices).toHaveLength(listed.body.length);
    expect(xmlInvoices.map((i: { number: string }) => i.number)).toEqual(
      listed.body.map((i: { number: string }) => i.number),
    );
    expect(xmlInvoices.find((i: { type: string }) => i.type === 'creditnote')).toBeDefined();
  });

  it('answers their listing errors: an unknown afterNumber 404, a format other than json or xml 400', async () => {
    expectVenueError(await venue('GET', '/invoice?afterNumber=65478'), 404, 'after_number_unknown');
    expectVenueError(await venue('GET', '/invoice?format=pdf'), 400, 'format_unsupported');
    expectVenueError(await venue('GET', '/invoice', undefined, { 'X-API-Key': 'nope' }), 401, 'unauthorized');
  });

  it('marks an invoice paid by external id (204, the order completes); 404 unknown, 406 ambiguous', async () => {
    const order = await invoiceOrder('DG818');
    const paid = await venue('PUT', '/invoice/markAsPaidByExternalId/DG818', undefined, {
      'X-API-Key': '',
      Authorization: basic(tenant.apiKey),
    });
    expect(paid.status, paid.text).toBe(204);
    await client.waitForStatus(order.id, 'completed');

    expectVenueError(await venue('PUT', '/invoice/markAsPaidByExternalId/NOPE-1'), 404, 'not_found');
    await invoiceOrder('DUP-1');
    await invoiceOrder('DUP-1');
    expectVenueError(await venue('PUT', '/invoice/markAsPaidByExternalId/DUP-1'), 406, 'external_id_ambiguous');
  });
});

describe('voucher codes', () => {
  it('looks a code up, redeems it once (then 403), and answers unknown or missing codes', async () => {
    const found = await venue('GET', '/voucher/code?code=XYZ1234');
    expect(found.status, found.text).toBe(200);
    expect(typeof found.body.id).toBe('string');
    expect(found.body).toMatchObject({ voucherId: found.body.id, code: 'XYZ1234', isValid: true, remainingValue: 100 });

    const asXml = await venue('GET', '/voucher/code?code=XYZ1234', undefined, { Accept: 'application/xml' });
    expect(asXml.headers.get('content-type')).toMatch(/^application\/xml/);
    expect(new XMLParser().parse(asXml.text).voucherCode).toMatchObject({ code: 'XYZ1234', isValid: true });

    expect((await venue('POST', '/voucher/code/redeem?code=XYZ1234')).status).toBe(204);
    expectVenueError(await venue('POST', '/voucher/code/redeem', { code: 'XYZ1234' }), 403, 'voucher_already_redeemed');
    const used = await venue('GET', '/voucher/code?code=XYZ1234');
    expect(used.body).toMatchObject({ isValid: false, message: expect.any(String) });

    expectVenueError(await venue('GET', '/voucher/code?code=NOPE'), 404, 'voucher_not_found');
    expectVenueError(await venue('POST', '/voucher/code/redeem?code=NOPE'), 404, 'voucher_not_found');
    expectVenueError(await venue('GET', '/voucher/code'), 400, 'voucher_code_missing');
    expectVenueError(await venue('POST', '/voucher/code/redeem'), 400, 'voucher_code_missing');
  });
});

describe('catalogue', () => {
  it('lists products in their shape: price incl. VAT, VAT as an amount, inventory per date', async () => {
    const listed = await venue('GET', '/catalog/products/?languageCode=da');
    expect(listed.status, listed.text).toBe(200);
    const ticket = listed.body.find((p: { id: string }) => p.id === '51');
    expect(ticket).toMatchObject({
      name: 'Gryffindor - Slytherin',
      productType: 'ticket',
      priceInclVat: 125,
      vat: 25,
      currencyCode: 'DKK',
      hasInventoryPerDate: false,
    });
    expect(listed.body.find((p: { id: string }) => p.id === '60').hasInventoryPerDate).toBe(true);
    const one = await venue('GET', '/catalog/product/51');
    expect(one.body).toMatchObject({ id: '51', priceInclVat: 125 });
    expect((await venue('GET', '/catalog/products?productType=seasoncard')).body).toEqual([]);
    expectVenueError(await venue('GET', '/catalog/product/999'), 404, 'not_found');
  });
});

describe('their customer accounts and tokens, and refusals', () => {
  it('answers customer, token and login calls 501 in their shape, with or without a key', async () => {
    expectVenueError(
      await venue('POST', '/customer/token', CREATE_TOKEN_EXAMPLE),
      501,
      'customer_accounts_not_supported',
    );
    const noKey = await venue('POST', '/customer/guestToken', { clientName: 'VenueApp' }, { 'X-API-Key': '' });
    expectVenueError(noKey, 501, 'customer_accounts_not_supported');
    expectVenueError(
      await venue('GET', '/customer/17721?clientName=VenueApp&clientOs=iPhone'),
      501,
      'customer_accounts_not_supported',
    );
    expectVenueError(
      await venue('POST', '/customer', { password: 'x', address: [], clientName: 'VenueApp' }),
      501,
      'customer_accounts_not_supported',
    );
    expectVenueError(
      await venue('GET', '/customer/paymentcards?clientName=VenueApp'),
      501,
      'customer_accounts_not_supported',
    );
    expectVenueError(await venue('POST', '/loyalty/barcode/registerUsage', {}), 501, 'loyalty_not_supported');
    expectVenueError(await venue('GET', '/catalog/categories?languageCode=da'), 501, 'categories_not_supported');
  });

  it('takes our key as Bearer; refuses a missing or unknown key and a missing scope', async () => {
    const bearer = await venue('GET', '/voucher/code?code=XYZ1234', undefined, {
      'X-API-Key': '',
      Authorization: `Bearer ${tenant.apiKey}`,
    });
    expect(bearer.status, bearer.text).toBe(200);
    expectVenueError(await venue('POST', '/order', exampleOnEventDay(), { 'X-API-Key': '' }), 401, 'unauthorized');
    expectVenueError(
      await venue('POST', '/order', exampleOnEventDay(), { 'X-API-Key': 'ook_unknown' }),
      401,
      'unauthorized',
    );
    const readOnly = await addApiKey(stack.database.db, tenant.id, ['orders:read']);
    expectVenueError(
      await venue('POST', '/order', exampleOnEventDay(), { 'X-API-Key': readOnly }),
      403,
      'missing_scope',
    );
  });

  it('answers hostile or wrong bodies with a clear 400, never a 500', async () => {
    expectVenueError(await venue('POST', '/order', '{not json'), 400, 'malformed_json');
    expectVenueError(
      await venue('POST', '/order', { ...exampleOnEventDay(), clientName: undefined }),
      400,
      'field_required',
    );
    const wrongType = { ...CREATE_ORDER_EXAMPLE, orderLines: [{ sellableId: 23, quantity: '5' }] };
    expectVenueError(await venue('POST', '/order', wrongType), 400, 'invalid_type');
    const unknownField = { ...exampleOnEventDay(), coupon: 'X' };
    expectVenueError(await venue('POST', '/order', unknownField), 400, 'unknown_field');
    const unknownSellable = { ...CREATE_ORDER_EXAMPLE, orderLines: [{ sellableId: 999, quantity: 1 }] };
    expectVenueError(await venue('POST', '/order', unknownSellable), 400, 'sellable_not_found');
    const otherProduct = {
      ...exampleOnEventDay(),
      orderLines: [{ ...exampleOnEventDay().orderLines[0], productId: 60 }],
    };
    expectVenueError(await venue('POST', '/order', otherProduct), 400, 'product_not_on_sellable');
    const huge = { ...exampleOnEventDay(), orderLines: [{ ...exampleOnEventDay().orderLines[0], quantity: 1e12 }] };
    const tooMany = await venue('POST', '/order', huge);
    expectVenueError(tooMany, 400, 'validation_failed');
    expect(tooMany.body.errors[0].field).toBe('orderLines.0.quantity');
    const full = { ...exampleOnEventDay(), orderLines: [{ ...exampleOnEventDay().orderLines[0], quantity: 61 }] };
    expectVenueError(await venue('POST', '/order', full), 400, 'occurrence_full');
    expectVenueError(await venue('POST', '/order/ordertransaction', '[]'), 400, 'invalid_type');
    expectVenueError(await venue('GET', '/nothing/here'), 404, 'not_found');
    const wrongMethod = await venue('DELETE', '/order');
    expectVenueError(wrongMethod, 405, 'method_not_allowed');
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expectVenueError(await venue('GET', '/order/not-an-order'), 404, 'not_found');
  });

  it("answers another tenant's order as unknown", async () => {
    const placed = await venue('POST', '/order', exampleOnEventDay());
    expect(placed.status, placed.text).toBe(201);
    const other = await createTenant(stack.database.db);
    const foreign = { 'X-API-Key': other.apiKey };
    expectVenueError(await venue('GET', `/order/${placed.body.id}`, undefined, foreign), 404, 'not_found');
    const pay = await venue('POST', `/order/${placed.body.id}/ordertransaction`, PAY_EXAMPLE, foreign);
    expectVenueError(pay, 404, 'not_found');
  });
});

describe('the compatibility document and an outage', () => {
  it('describes the routes under their tag', async () => {
    const document = (await call('GET', '/compat/openapi.json')).body;
    expect(document.paths['/compat/venue/order'].post.tags).toEqual(['Venue Manager (compat)']);
    expect(document.paths['/compat/venue/invoice'].get).toBeDefined();
  });

  it('relays our 503 with its Retry-After in their shape', async () => {
    // No worker takes the order: the workflow call gives up within the request deadline.
    const down = await startTestStack({ worker: false, requestTimeoutMs: 2_000 });
    try {
      const owner = await createTenant(down.database.db);
      const headers = { 'X-API-Key': owner.apiKey, 'Content-Type': 'application/json' };
      const product = await fetch(`${down.baseUrl}/v1/catalog/products`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ type: 'item', name: 'Scarf', price: 5_000, vat_rate: 25, external_id: '70' }),
      });
      expect(product.status).toBe(201);
      const response = await fetch(`${down.baseUrl}/compat/venue/order`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          orderLines: [{ productId: 70, quantity: 1 }],
          clientName: 'VenueApp',
          customer: { email: 'a@example.org' },
        }),
      });
      const body = await response.json();
      expect(response.status, JSON.stringify(body)).toBe(503);
      expect(response.headers.get('retry-after')).toBeTruthy();
      expect(body).toMatchObject({ error: expect.any(String), errorCode: 0, code: expect.any(String) });
    } finally {
      await down.stop();
    }
  });
});
