import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addApiKey, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { startTestStack, type TestStack } from '../helpers/test-stack';

// The course-booking platform's own requests (its documentation's examples, as written there)
// against /compat/course-booking, on the real stack: answers in its shapes, orders visible in /v1.

/** Their documentation's examples carry `//` notes, which are not JSON: only those are removed. */
const withoutComments = (text: string) => JSON.parse(text.replace(/\s*\/\/.*$/gm, ''));

const INVOICE_EXAMPLE = `{ "coursedate_id": "12761394", "payment_method": "invoice", "currency": "usd",
"booker_name": "Jane Doe", "booker_email": "jane@example.com", "booker_phone": "12345678",
"company": "Example Company Inc", "company_number": 123456789, "invoice_reference": "Ref 1234",
"invoice_address_1": "125 Holburn Lane", "invoice_address_2": "", "invoice_address_3": "",
"invoice_zipcode": "0262", "invoice_city": "Heckfordbridge", "invoice_email": "invoice@example.com",
"invoice_firstname": "Jane", "invoice_lastname": "Doe", "invoice_phone": "12398765",
"participants": [ { "firstname": "John", "lastname": "Doe", "date_of_birth" : "1979-12-01",
"email": "john@example.com", "phone": "987654321", "price" : 5999, "status_id": 1,
"products": [ { "id": 25883, "title": "Exam", // Added for clarity. Documentation only.
"price": 100, "discount_percent": 50 } ],
"home_address": { "address_line_1": "125 Holburn Lane", "address_line_2": "", "address_line_3": "",
"zipcode": "0262", "city": "Heckfordbridge" },
"work_address": { "address_line_1": "125 Holburn Lane", "address_line_2": "", "address_line_3": "",
"zipcode": "0262", "city": "Heckfordbridge" } } ],
"config": { "auto_append_course_product" : true, "allow_customer_autoconnect" : true,
"allow_user_autoconnect" : true, "send_account_created_email_to_user" : true,
"send_receipt_email_to_participant" : true } }`;

const MINIMAL_EXAMPLE = `{ "payment_method": "invoice", "coursedate_id": "12761394",
"participants": [ { "firstname": "John", "lastname": "Doe", "email": "john@example.com",
"price" : 1250 // This will override the price from the automatically appended main course product.
} ], "config": { "auto_append_course_product" : true } }`;

let stack: TestStack;
let tenant: TestTenant;
let client: ReturnType<typeof orderClient>;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${stack.baseUrl}${path}`, {
    method,
    headers: { 'X-API-Key': tenant.apiKey, 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await jsonOf(response) };
}

const book = (body: unknown, headers: Record<string, string> = {}) =>
  call('POST', '/compat/course-booking/v2/orders', body, headers);

async function admin(path: string, body: unknown, method = 'POST') {
  const answer = await call(method, path, body);
  if (answer.status >= 300) throw new Error(`${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

const participant = { firstname: 'John', lastname: 'Doe', email: 'john@example.com' };
let courseProductId: string;

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await createTenant(stack.database.db);
  client = orderClient(stack, tenant.apiKey);
  const startsAt = new Date(Date.now() + 10 * 86_400_000).toISOString();
  const course = await admin('/v1/catalog/products', {
    type: 'course',
    name: 'First aid',
    price: 150_000,
    vat_rate: 10,
    external_id: '7001',
  });
  courseProductId = course.id;
  await admin('/v1/catalog/products', {
    type: 'item',
    name: 'Exam',
    price: 10_000,
    vat_rate: 10,
    external_id: '25883',
  });
  for (const [externalId, capacity] of [
    ['12761394', 10],
    ['12792066', 10],
    ['555', 0],
  ] as const) {
    const name = `First aid ${externalId}`;
    await admin('/v1/catalog/occurrences', {
      product_id: course.id,
      name,
      starts_at: startsAt,
      capacity,
      external_id: externalId,
    });
  }
  await admin('/v1/catalog/exchange-rates/usd', { rate: '0.1' }, 'PUT');
  const yesterday = new Date(Date.now() - 86_400_000).toISOString();
  await admin('/v1/catalog/campaigns', { code: 'OLDSPRING', kind: 'percent', percent: 10, valid_until: yesterday });
  await admin('/v1/catalog/vouchers', { code: 'OLDGIFT', kind: 'percent', percent: 10, valid_until: yesterday });
});
afterAll(async () => stack?.stop());

/** Their documented answer: `successful` and a summary with these fields, of these types. */
function expectTheirSummaryShape(body: any) {
  expect(body.successful).toBe(true);
  expect(Object.keys(body.summary).sort()).toEqual(
    [
      'booking_id',
      'coursedate_id',
      'currency',
      'number_of_participants',
      'order_id',
      'payment_details',
      'total_before_discounts',
      'total_calculated_discounts',
      'total_excl_vat',
      'total_incl_vat',
      'total_vat',
    ].sort(),
  );
  for (const id of ['order_id', 'booking_id', 'coursedate_id', 'currency'])
    expect(typeof body.summary[id]).toBe('string');
  for (const total of ['total_before_discounts', 'total_calculated_discounts', 'total_excl_vat', 'total_incl_vat']) {
    expect(typeof body.summary[total]).toBe('number');
  }
  expect(Object.keys(body.summary.payment_details).sort()).toEqual(
    ['payment_session_id', 'payment_type', 'redirect_url', 'requires_redirect'].sort(),
  );
}

describe('their create-order examples', () => {
  it('books the invoice example as written, in major units, and the order is invoiced in /v1', async () => {
    const placed = await book(withoutComments(INVOICE_EXAMPLE));
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expectTheirSummaryShape(placed.body);
    const { summary } = placed.body;
    expect(placed.headers.get('location')).toBe(`/compat/course-booking/v2/orders/${summary.order_id}`);
    // 5999 (their participant price) + 100 exam at 50 % = 6049 excl. VAT, 10 % VAT: major units, as theirs.
    expect(summary).toMatchObject({
      coursedate_id: '12761394',
      currency: 'usd',
      total_before_discounts: 6099,
      total_calculated_discounts: 50,
      total_excl_vat: 6049,
      total_vat: 604.9,
      total_incl_vat: 6653.9,
      number_of_participants: 1,
      payment_details: {
        payment_type: 'invoice',
        requires_redirect: false,
        payment_session_id: null,
        redirect_url: null,
      },
    });

    const order = await client.waitForStatus(summary.order_id, 'invoiced');
    expect(order.totals.incl_vat).toBe(665_390);
    expect(order.participants[0]).toMatchObject({ firstname: 'John', email: 'john@example.com' });
    expect(order.participants[0].booking_id).toBe(summary.booking_id);
    expect(order.lines).toEqual(
      expect.arrayContaining([expect.objectContaining({ product_id: courseProductId, unit_price: 599_900 })]),
    );
  });

  it('refuses the minimal example as written for want of an invoice recipient; with one, books it', async () => {
    // Their minimal invoice example names no booker and no invoice email; our invoices need one of
    // the two (invoice_recipient_missing, no counterpart in their codes: passed on as ours).
    const asWritten = await book(withoutComments(MINIMAL_EXAMPLE));
    expect(asWritten.status, JSON.stringify(asWritten.body)).toBe(422);
    expect(asWritten.body).toEqual({
      successful: false,
      errors: [{ code: 'invoice_recipient_missing', message: expect.any(String) }],
    });

    const placed = await book({ ...withoutComments(MINIMAL_EXAMPLE), booker_email: 'jane@example.com' });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expectTheirSummaryShape(placed.body);
    // Their participant price 1250 overrides the course product's 1500; 10 % VAT on top.
    expect(placed.body.summary).toMatchObject({
      coursedate_id: '12761394',
      currency: 'nok',
      total_before_discounts: 1250,
      total_excl_vat: 1250,
      total_vat: 125,
      total_incl_vat: 1375,
    });
  });

  it('answers a card booking with the redirect; paid, it completes and reads back the same', async () => {
    const cardBooking = {
      coursedate_id: 12792066,
      payment_method: 'card',
      payment_complete_url: 'https://school.example/thanks',
      participants: [participant],
    };
    const retryKey = { 'Idempotency-Key': `cb-card-${Date.now()}` };
    const placed = await book(cardBooking, retryKey);
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    // A retry with the same key is answered with the same order (the /v1 route's idempotency).
    expect((await book(cardBooking, retryKey)).body.summary.order_id).toBe(placed.body.summary.order_id);
    expectTheirSummaryShape(placed.body);
    const { summary } = placed.body;
    expect(summary).toMatchObject({ coursedate_id: '12792066', total_excl_vat: 1500, total_incl_vat: 1650 });
    expect(summary.payment_details).toMatchObject({ payment_type: 'card', requires_redirect: true });
    expect(typeof summary.payment_details.payment_session_id).toBe('string');
    expect(summary.payment_details.redirect_url).toContain('/psp/sandbox/pay/');

    const paid = await client.actOnPaymentPage(summary.payment_details.redirect_url, 'pay');
    expect(paid).toEqual({ status: 303, location: 'https://school.example/thanks' });
    await client.waitForStatus(summary.order_id, 'completed');

    const read = await call('GET', `/compat/course-booking/v2/orders/${summary.order_id}`);
    expect(read.status).toBe(200);
    expectTheirSummaryShape(read.body);
    expect(read.body.summary).toMatchObject({
      order_id: summary.order_id,
      booking_id: summary.booking_id,
      coursedate_id: '12792066',
      total_incl_vat: 1650,
    });
  });
});

describe('their error codes', () => {
  async function expectFailure(answer: Awaited<ReturnType<typeof call>>, status: number, code: string) {
    expect(answer.status, JSON.stringify(answer.body)).toBe(status);
    expect(answer.body.successful).toBe(false);
    expect(answer.body.errors.map((e: { code: string }) => e.code)).toContain(code);
    for (const error of answer.body.errors) expect(Object.keys(error).sort()).toEqual(['code', 'message']);
  }
  const order = (extra: Record<string, unknown> = {}) => ({
    coursedate_id: '12761394',
    payment_method: 'invoice',
    booker_email: 'jane@example.com',
    participants: [participant],
    ...extra,
  });

  it('maps each error our rules can give', async () => {
    await expectFailure(await book(order(), { 'X-API-Key': 'ook_unknown' }), 401, 'school_account_invalid');
    await expectFailure(await book(order({ coursedate_id: 999_999 })), 422, 'course_date_identifier_invalid');
    await expectFailure(await book(order({ coursedate_id: undefined })), 400, 'course_date_identifier_invalid');
    await expectFailure(await book(order({ participants: undefined })), 422, 'participant_count_invalid');
    await expectFailure(
      await book(order({ participants: [{ email: 'john@example.com' }] })),
      422,
      'participant_name_invalid_empty',
    );
    await expectFailure(
      await book(order({ participants: [{ firstname: 'John', lastname: 'Doe' }] })),
      422,
      'participant_email_invalid_empty',
    );
    await expectFailure(
      await book(order({ participants: [{ ...participant, products: [{ id: 424242 }] }] })),
      422,
      'participant_products_invalid',
    );
    await expectFailure(
      await book(order({ participants: [{ ...participant, products: [{ id: 7001 }, { id: 7001 }] }] })),
      422,
      'participant_have_multiple_course_products',
    );
    await expectFailure(
      await book(order({ config: { auto_append_course_product: false } })),
      422,
      'participant_does_not_have_a_course_product',
    );
    await expectFailure(await book(order({ currency: 'USD' })), 400, 'currency_missing');
    await expectFailure(await book(order({ currency: 'eur' })), 422, 'exchange_rate_does_not_exist');
    await expectFailure(await book(order({ campaign_code: 'NOPE' })), 422, 'campaign_code_invalid');
    await expectFailure(await book(order({ campaign_code: 'OLDSPRING' })), 422, 'campaign_code_expired');
    await expectFailure(await book(order({ voucher_code: 'NOPE' })), 422, 'voucher_code_invalid');
    await expectFailure(await book(order({ voucher_code: 'OLDGIFT' })), 422, 'voucher_code_expired');
    await expectFailure(await book(order({ coursedate_id: '555' })), 422, 'booking_could_not_be_created');
  });

  it('maps a price the key may not set, and a refused retry', async () => {
    const plainKey = await addApiKey(stack.database.db, tenant.id, ['orders:read', 'orders:write']);
    await expectFailure(
      await book(order({ participants: [{ ...participant, price: 1000 }] }), { 'X-API-Key': plainKey }),
      422,
      'participant_product_price_invalid',
    );
    const key = `cb-retry-${Date.now()}`;
    expect((await book(order(), { 'Idempotency-Key': key })).status).toBe(201);
    await expectFailure(
      await book(order({ booker_name: 'Someone else' }), { 'Idempotency-Key': key }),
      422,
      'order_could_not_be_created',
    );
  });

  it('refuses a field their documentation does not list, in their shape', async () => {
    const answer = await book(order({ coupon: 'X' }));
    await expectFailure(answer, 400, 'unknown_field');
    expect(answer.body.errors[0].message).toContain('coupon');
  });

  it('answers an unknown order in their shape', async () => {
    await expectFailure(await call('GET', `/compat/course-booking/v2/orders/${crypto.randomUUID()}`), 404, 'not_found');
  });

  it('answers hostile requests in their shape, never 500: no body, a NUL byte, another tenant’s order', async () => {
    const empty = await call('POST', '/compat/course-booking/v2/orders', undefined);
    expect(empty.status).toBe(400);
    expect(empty.body.successful).toBe(false);
    const nul = await book(order({ booker_name: 'Jane\u0000Doe' }));
    expect(nul.status).toBe(400);
    expect(nul.body).toMatchObject({
      successful: false,
      errors: [expect.objectContaining({ code: expect.any(String) })],
    });
    const placed = await book(order());
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const other = await createTenant(stack.database.db);
    const foreign = await call('GET', `/compat/course-booking/v2/orders/${placed.body.summary.order_id}`, undefined, {
      'X-API-Key': other.apiKey,
    });
    await expectFailure(foreign, 404, 'not_found');
  });
});
