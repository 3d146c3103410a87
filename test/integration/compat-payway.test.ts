import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addApiKey, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { startTestStack, type TestStack } from '../helpers/test-stack';

// Tulo Payway's create_order (seed 002) against /compat/payway, on the real stack: their two curl
// examples as written, an invoice period and a card period followed to their end (a subscription),
// a stored payment profile, and every error our rules can give, in their shape.

const PATH = '/compat/payway/external/api/v2/accounts/create_order';

// Their curl examples' --data, character for character.
const ACCOUNT_EXAMPLE = `{
"account_id": "5c6291d537c2ed78a11518b7",
"product_code": "adeprimo_digital",
"period_id": "5cb804811d41c82b5c518ea8",
"start_date": "2019-05-01T00:00:00+00:00",
"receipt_url": "https://domain.tld/receipt/585a4768edce2c5e6f000001"
}`;

const ADDRESS_EXAMPLE = `{
"email": "test@test.com",
"product_code": "adeprimo_digital",
"period_id": "5cb804811d41c82b5c518ea8",
"start_date": "2019-05-01T00:00:00+00:00",
"receipt_url": "https://domain.tld/receipt/585a4768edce2c5e6f000001",
"billing_address": {
"first_name": "Erik",
"last_name": "Eriksson",
"street": "Ekvägen 12",
"zip_code": "120 35",
"city": "Tyresö",
"country_code": "SE",
"care_of": null,
"contact_email": "invoicing@no-reply.com",
"citizenship_country_code": "SE",
"company_name": "My Company",
"company_reference": null,
"company_department": "IT"
},
"delivery_address": {
"first_name": "Erik",
"last_name": "Eriksson",
"street": "Ekvägen 12",
"zip_code": "120 35",
"city": "Tyresö",
"country_code": "SE",
"company_name": "My Company",
"company_reference": null,
"company_department": "IT"
}
}`;

const INVOICE_PERIOD = '5cb804811d41c82b5c518ea8';
const CARD_PERIOD = '5cb804811d41c82b5c518eb1';
const ACCOUNT_ID = '5c6291d537c2ed78a11518b7';

let stack: TestStack;
let tenant: TestTenant;
let client: ReturnType<typeof orderClient>;

/** Their curl: accept, authorization: Bearer, content-type; the body sent as the text it is. */
async function createOrder(body: string | object, headers: Record<string, string> = {}) {
  const response = await fetch(`${stack.baseUrl}${PATH}`, {
    method: 'POST',
    headers: {
      accept: 'application/json',
      authorization: `Bearer ${tenant.apiKey}`,
      'content-type': 'application/json',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await jsonOf(response) };
}

async function v1(method: string, path: string, body?: unknown) {
  const response = await fetch(`${stack.baseUrl}${path}`, {
    method,
    headers: { 'X-API-Key': tenant.apiKey, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const answer = { status: response.status, body: text ? JSON.parse(text) : null };
  if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** Their example with the start date left out (it defaults to today, theirs as ours). */
function startingToday(example: string) {
  const { start_date: _past, ...rest } = JSON.parse(example);
  return rest;
}

async function subscriptionOf(orderId: string) {
  return stack.database.db.selectFrom('subscriptions').selectAll().where('order_id', '=', orderId).executeTakeFirst();
}

const today = () => new Date().toISOString().slice(0, 10);
const delivery = {
  first_name: 'Anna',
  last_name: 'Berg',
  street: 'Storgatan 1',
  zip_code: '111 22',
  city: 'Stockholm',
  country_code: 'SE',
};

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await createTenant(stack.database.db, { baseCurrency: 'sek' });
  client = orderClient(stack, tenant.apiKey);
  const product = await v1('POST', '/v1/catalog/products', {
    type: 'subscription',
    name: 'Adeprimo Digital',
    price: 0,
    vat_rate: 6,
    external_id: 'adeprimo_digital',
  });
  await v1('POST', `/v1/catalog/products/${product.id}/periods`, {
    code: 'monthly-invoice',
    name: 'Monthly, invoice',
    length_unit: 'month',
    length_count: 1,
    price: 9_900,
    payment_methods: ['invoice'],
    external_id: INVOICE_PERIOD,
  });
  await v1('POST', `/v1/catalog/products/${product.id}/periods`, {
    code: 'monthly-print',
    name: 'Monthly, print',
    length_unit: 'month',
    length_count: 1,
    price: 19_900,
    payment_methods: ['card'],
    physical: true,
    external_id: CARD_PERIOD,
  });
  const other = await v1('POST', '/v1/catalog/products', {
    type: 'subscription',
    name: 'Other paper',
    price: 0,
    vat_rate: 6,
    external_id: 'other_paper',
  });
  await v1('POST', `/v1/catalog/products/${other.id}/periods`, {
    code: 'yearly',
    name: 'Yearly',
    length_unit: 'year',
    length_count: 1,
    price: 99_900,
    payment_methods: ['invoice'],
    external_id: '5cb804811d41c82b5c518ec3',
  });
  await v1('POST', '/v1/customers', { email: 'account@example.com', name: 'Kari', external_contact_id: ACCOUNT_ID });
});
afterAll(async () => stack?.stop());

/** Their documented answer: 201 `{id, order_id, payment_id}` (ours adds `redirect_url` for a card page). */
function expectCreated(answer: Awaited<ReturnType<typeof createOrder>>) {
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  expect(typeof answer.body.id).toBe('string');
  expect(answer.body.order_id).toBe(answer.body.id);
  expect(answer.body).toHaveProperty('payment_id');
  return answer.body as { id: string; order_id: string; payment_id: string | null; redirect_url?: string };
}

/** Their error shape: `{error, error_description, errors?: [{code, message, field?}]}`. */
function expectFailure(answer: Awaited<ReturnType<typeof createOrder>>, status: number, error: string, field?: string) {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  expect(answer.body.error).toBe(error);
  expect(typeof answer.body.error_description).toBe('string');
  for (const key of Object.keys(answer.body)) expect(['error', 'error_description', 'errors']).toContain(key);
  if (field) expect(answer.body.errors.map((e: { field?: string }) => e.field)).toContain(field);
}

describe('their curl examples', () => {
  it('refuses both as written for their past start date (2019), naming start_date', async () => {
    for (const example of [ACCOUNT_EXAMPLE, ADDRESS_EXAMPLE]) {
      const answer = await createOrder(example);
      expectFailure(answer, 422, 'subscription_start_date_invalid', 'start_date');
    }
  });

  it('places the account example (starting today): invoiced, then paid, the subscription is active', async () => {
    const created = expectCreated(await createOrder(startingToday(ACCOUNT_EXAMPLE)));
    expect(created.payment_id).toBeNull();
    expect(created).not.toHaveProperty('redirect_url');
    const order = await client.waitForStatus(created.id, 'invoiced');
    expect(order).toMatchObject({ external_contact_id: ACCOUNT_ID, payment: { method: 'invoice' } });
    expect(order.ordered_by).toMatchObject({ email: 'account@example.com' });
    expect(order.totals.incl_vat).toBe(10_494); // 99.00 + 6 % VAT
    expect(await subscriptionOf(created.id)).toBeUndefined();

    const invoice = order.documents.find((d: { kind: string }) => d.kind === 'invoice');
    await v1('PUT', `/v1/invoices/${invoice.id}/paid`, { amount: invoice.total_incl_vat, reference: 'bg-1' });
    await client.waitForStatus(created.id, 'completed');
    const subscription = await subscriptionOf(created.id);
    expect(subscription).toMatchObject({ status: 'active', payment_method: 'invoice', start_date: today() });
    const read = await v1('GET', `/v1/subscriptions/${subscription!.id}`);
    expect(read).toMatchObject({
      status: 'active',
      product: { name: 'Adeprimo Digital' },
      period: { code: 'monthly-invoice' },
      customer: { email: 'account@example.com' },
    });
  });

  it('places the address example (starting today) with every address field where /v1 keeps it', async () => {
    const created = expectCreated(await createOrder(startingToday(ADDRESS_EXAMPLE)));
    const order = await client.waitForStatus(created.id, 'invoiced');
    expect(order.ordered_by).toMatchObject({ email: 'test@test.com' });
    const stored = await stack.database.db
      .selectFrom('orders')
      .select('request')
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    expect(stored.request).toMatchObject({
      payment_method: 'invoice',
      booker: { name: 'Erik Eriksson', email: 'test@test.com' },
      company: { name: 'My Company' },
      invoice: {
        firstname: 'Erik',
        lastname: 'Eriksson',
        email: 'invoicing@no-reply.com',
        address: { line_1: 'Ekvägen 12', line_3: 'IT', zipcode: '120 35', city: 'Tyresö', country_code: 'SE' },
      },
      delivery: {
        name: 'Erik Eriksson',
        address: { line_1: 'Ekvägen 12', line_3: 'My Company, IT', zipcode: '120 35', city: 'Tyresö' },
      },
      lines: [expect.objectContaining({ period: 'monthly-invoice' })],
    });
    expect(stored.request).not.toHaveProperty('payment_complete_url');
  });
});

describe('a card period', () => {
  it('answers the page to pay on; paid with the card kept, it completes with a subscription', async () => {
    const created = expectCreated(
      await createOrder({
        email: 'card@example.com',
        product_code: 'adeprimo_digital',
        period_id: CARD_PERIOD,
        receipt_url: 'https://domain.tld/receipt/1',
        delivery_address: delivery,
        client_info: { user_agent: 'Mozilla/5.0', language: 'sv-SE', ip_address: '111.111.1.11' },
        merchant_reference: 'shop-4711',
        traffic_source: 'newsletter',
        paywall_id: '5cb804811d41c82b5c5100aa',
        company_vat_number: 'SE556677889901',
        start_date: `${today()}T00:00:00Z`,
      }),
    );
    const stored = await stack.database.db
      .selectFrom('orders')
      .select(['request', 'external_id'])
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    expect(stored.external_id).toBe('shop-4711');
    expect(stored.request).toMatchObject({
      payment_complete_url: 'https://domain.tld/receipt/1',
      company: { vat_number: 'SE556677889901' },
      client: { user_agent: 'Mozilla/5.0', language: 'sv-SE', ip_address: '111.111.1.11' },
      notes: { internal: 'Payway traffic_source: newsletter; paywall_id: 5cb804811d41c82b5c5100aa' },
      lines: [expect.objectContaining({ period: 'monthly-print', start_date: today() })],
    });
    expect(typeof created.payment_id).toBe('string');
    expect(created.redirect_url).toContain('/psp/sandbox/pay/');
    const paid = await client.actOnPaymentPage(created.redirect_url!, 'pay', '4242424242424242', { save_card: '1' });
    expect(paid).toEqual({ status: 303, location: 'https://domain.tld/receipt/1' });
    const order = await client.waitForStatus(created.id, 'completed');
    expect(order.payment).toMatchObject({ method: 'card' });
    const subscription = await subscriptionOf(created.id);
    expect(subscription).toMatchObject({
      status: 'active',
      payment_method: 'card',
      customer_email: 'card@example.com',
    });
    expect(subscription!.saved_card_id).toEqual(expect.any(String));

    // Their stored payment profile: the saved card pays the next order in the same call.
    const answer = await createOrder({
      email: 'card@example.com',
      product_code: 'adeprimo_digital',
      period_id: CARD_PERIOD,
      receipt_url: 'https://domain.tld/receipt/2',
      delivery_address: delivery,
      account_payment_profile_id: subscription!.saved_card_id,
    });
    const second = expectCreated(answer);
    expect(typeof second.payment_id).toBe('string');
    expect(second).not.toHaveProperty('redirect_url');
    await client.waitForStatus(second.id, 'completed');
    // A subscription paid with a stored card renews on that card.
    expect(await subscriptionOf(second.id)).toMatchObject({
      status: 'active',
      saved_card_id: subscription!.saved_card_id,
    });
  });
});

describe('errors, in their shape', () => {
  const valid = {
    email: 'e@example.com',
    product_code: 'adeprimo_digital',
    period_id: INVOICE_PERIOD,
    receipt_url: 'https://x.example/r',
  };

  it('refuses a missing, unknown or unscoped token', async () => {
    const none = await createOrder(valid, { authorization: '' });
    expectFailure(none, 401, 'invalid_token');
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    const unknown = await createOrder(valid, { authorization: 'Bearer ook_unknown' });
    expectFailure(unknown, 401, 'invalid_token');
    expect(unknown.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    const readOnly = await addApiKey(stack.database.db, tenant.id, ['orders:read']);
    const scoped = await createOrder(valid, { authorization: `Bearer ${readOnly}` });
    expectFailure(scoped, 403, 'insufficient_scope');
    expect(scoped.body.errors[0].code).toBe('missing_scope');
  });

  it('refuses a body of the wrong shape, naming their fields', async () => {
    expectFailure(await createOrder('{"product_code": '), 400, 'invalid_request');
    expectFailure(await createOrder('[1]'), 400, 'invalid_request');
    const { receipt_url: _r, product_code: _p, ...missing } = valid;
    const answer = await createOrder({ ...missing, coupon: 'X', period_id: 1e308 });
    expectFailure(answer, 400, 'invalid_request');
    expect(answer.body.errors.map((e: { code: string; field: string }) => `${e.code} ${e.field}`)).toEqual(
      expect.arrayContaining([
        'field_required receipt_url',
        'field_required product_code',
        'invalid_type period_id',
        'unknown_field coupon',
      ]),
    );
    const { email: _e, ...anonymous } = valid;
    expectFailure(await createOrder(anonymous), 400, 'invalid_request', 'email');
    expectFailure(await createOrder({ ...valid, account_id: 'not-hex' }), 400, 'invalid_request', 'account_id');
    expectFailure(await createOrder({ ...valid, start_date: 'next monday' }), 400, 'invalid_request', 'start_date');
    expectFailure(
      await createOrder({ ...valid, receipt_url: 'javascript:alert(1)' }),
      400,
      'invalid_request',
      'receipt_url',
    );
    const nul = await createOrder({ ...valid, billing_address: { ...delivery, first_name: 'Er\u0000ik' } });
    expect(nul.status).toBe(400);
    expect(nul.body.error).toBe('invalid_request');
  });

  it('books an unknown account by its email, and links the account id to the customer', async () => {
    const accountId = '5c6291d537c2ed78a11518cc';
    expectCreated(await createOrder({ ...valid, email: 'new-account@example.com', account_id: accountId }));
    const customers = await v1('GET', `/v1/customers?external_contact_id=${accountId}`);
    expect(customers.data).toEqual([expect.objectContaining({ email: 'new-account@example.com' })]);
    // The next order names the account alone.
    const { email: _e, ...anonymous } = valid;
    const created = expectCreated(await createOrder({ ...anonymous, account_id: accountId }));
    expect((await client.getOrder(created.id)).body.ordered_by).toMatchObject({ email: 'new-account@example.com' });
  });

  it('refuses ids it cannot find: account, product, period (unknown or another product’s or tenant’s)', async () => {
    const { email: _e, ...anonymous } = valid;
    expectFailure(
      await createOrder({ ...anonymous, account_id: '5c6291d537c2ed78a11518ff' }),
      422,
      'account_not_found',
      'account_id',
    );
    expectFailure(await createOrder({ ...valid, product_code: 'nope' }), 422, 'product_not_found', 'product_code');
    expectFailure(
      await createOrder({ ...valid, period_id: '5cb804811d41c82b5c5100ff' }),
      422,
      'period_not_found',
      'period_id',
    );
    expectFailure(
      await createOrder({ ...valid, period_id: '5cb804811d41c82b5c518ec3' }),
      422,
      'period_not_found',
      'period_id',
    );
    const other = await createTenant(stack.database.db);
    expectFailure(
      await createOrder(valid, { authorization: `Bearer ${other.apiKey}` }),
      422,
      'product_not_found',
      'product_code',
    );
  });

  it('relays the order rules in their field names', async () => {
    const { delivery_address: _d, ...noDelivery } = { ...valid, period_id: CARD_PERIOD, delivery_address: delivery };
    expectFailure(await createOrder(noDelivery), 422, 'delivery_address_required', 'delivery_address');
    expectFailure(await createOrder({ ...valid, email: 'not-an-email' }), 422, 'booker_email_invalid', 'email');
    expectFailure(
      await createOrder({ ...valid, account_payment_profile_id: crypto.randomUUID() }),
      422,
      'payment_method_not_allowed_for_period',
      'account_payment_profile_id',
    );
    expectFailure(
      await createOrder({
        ...valid,
        period_id: CARD_PERIOD,
        delivery_address: delivery,
        account_payment_profile_id: crypto.randomUUID(),
      }),
      422,
      'account_payment_profile_not_found',
      'account_payment_profile_id',
    );
    const key = `pw-${Date.now()}`;
    expectCreated(await createOrder(valid, { 'idempotency-key': key }));
    expectFailure(
      await createOrder({ ...valid, merchant_reference: 'other' }, { 'idempotency-key': key }),
      422,
      'idempotency_key_reused',
    );
  });

  it('refuses what it cannot honour with 501 not_supported', async () => {
    expectFailure(
      await createOrder({ ...valid, voucher_purchase: true, voucher_details: { expire_date: '2030-01-01T00:00:00Z' } }),
      501,
      'not_supported',
      'voucher_purchase',
    );
    expectFailure(
      await createOrder({ ...valid, invoice_delivery_method: 'mail' }),
      501,
      'not_supported',
      'invoice_delivery_method',
    );
    expectCreated(await createOrder({ ...valid, invoice_delivery_method: 'email', voucher_purchase: false }));
  });
});

describe('the rest', () => {
  it('answers another method or route in their shape, and is described in the compatibility document', async () => {
    const read = await fetch(`${stack.baseUrl}${PATH}`, { headers: { authorization: `Bearer ${tenant.apiKey}` } });
    expect(read.status).toBe(405);
    expect(read.headers.get('allow')).toBe('POST');
    expect(await jsonOf(read)).toMatchObject({ error: 'method_not_allowed' });
    const elsewhere = await fetch(`${stack.baseUrl}/compat/payway/external/api/v1/me`, {
      headers: { authorization: `Bearer ${tenant.apiKey}` },
    });
    expect(elsewhere.status).toBe(404);
    expect(await jsonOf(elsewhere)).toMatchObject({ error: 'not_found' });
    const document = await jsonOf(await fetch(`${stack.baseUrl}/compat/openapi.json`));
    expect(document.paths[PATH].post.tags).toEqual(['Payway (compat)']);
  });

  it('relays our 503 with its Retry-After as temporarily_unavailable', async () => {
    // No worker takes the order: the workflow call gives up within the request deadline.
    const down = await startTestStack({ worker: false, requestTimeoutMs: 2_000 });
    try {
      const owner = await createTenant(down.database.db);
      const headers = { authorization: `Bearer ${owner.apiKey}`, 'content-type': 'application/json' };
      const post = (path: string, body: unknown) =>
        fetch(`${down.baseUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(body) }).then(jsonOf);
      const product = await post('/v1/catalog/products', {
        type: 'subscription',
        name: 'Paper',
        price: 0,
        vat_rate: 6,
        external_id: 'paper',
      });
      await post(`/v1/catalog/products/${product.id}/periods`, {
        code: 'm',
        name: 'Monthly',
        length_unit: 'month',
        length_count: 1,
        price: 100,
        payment_methods: ['invoice'],
        external_id: INVOICE_PERIOD,
      });
      const response = await fetch(`${down.baseUrl}${PATH}`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          email: 'e@example.com',
          product_code: 'paper',
          period_id: INVOICE_PERIOD,
          receipt_url: 'https://x.example/r',
        }),
      });
      const body = await jsonOf(response);
      expect(response.status, JSON.stringify(body)).toBe(503);
      expect(response.headers.get('retry-after')).toBeTruthy();
      expect(body).toMatchObject({ error: 'temporarily_unavailable', errors: [{ code: expect.any(String) }] });
    } finally {
      await down.stop();
    }
  });
});
