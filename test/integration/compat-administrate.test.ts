import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addApiKey, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { startTestStack, type TestStack } from '../helpers/test-stack';

// Administrate's own create-order request (its documentation's curl example, as written there)
// against /compat/administrate, on the real stack: answers in its shapes, orders followed in /v1.

/** Their curl example's body, character for character (it is not valid JSON: `students"` lacks a quote). */
const CURL_BODY = `{
        "contact_id": 47403,
        "company_id": 1,
        "region_id" : "UK",
        "currency_id" : "EUR",
        "source_type_id" : 5,
        "items": [
            {"event_id": 216, "price": 123.00},
            {"event_id": 225, "price": 234.00, "contact_id": 47838},
            {"event_id": 225, "price": 234.00, "contact_id": 47838, "students" : [
                {"contact_id": 112}
            ]},
            {"event_id": 225, "price": 234.00, "contact_id": 47838, "quantity": 2, students" : [
                {"contact_id": 112},{"contact_id": 114}
            ]},
            {"event_id": 287, "price": 123.00, "children": [
                {"item_id": 123, "price": 345.0}
            ]},
            {"event_id": 301, "price": 234.00, "contact_id": 47839, "children": [
                {"item_id": 123, "price": 456.0},
                {"item_id": 124, "price": 567.0}
            ]}
        ],
        "payment": {"amount": 1.23,
            "type": "Card",
            "currency": "GBP",
            "transaction_code": "abc123"
        },
        "external_id": "qwerty12345"
    }`;

/** The example with its one typo mended, and nothing else changed. */
const EXAMPLE = JSON.parse(CURL_BODY.replace(' students" :', ' "students" :'));

/**
 * The example's seats and stock items excl. VAT: 123 + 234 + 234 + 2 × 234 + 123 + 345 + 234 + 456 + 567
 * = 2784.00 EUR, plus 10 % VAT = 3062.40.
 */
const EXAMPLE_TOTAL = 3062.4;

let stack: TestStack;
let tenant: TestTenant;
let client: ReturnType<typeof orderClient>;
const occurrenceIds = new Map<string, string>();

const basic = (key: string) => `Basic ${Buffer.from(`api-user:${key}`).toString('base64')}`;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${stack.baseUrl}${path}`, {
    method,
    headers: { Authorization: basic(tenant.apiKey), 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await jsonOf(response) };
}

const create = (body: unknown, headers: Record<string, string> = {}) =>
  call('POST', '/compat/administrate/api/v2/orders', body, headers);

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

const seatsLeft = async (eventId: string) => (await client.occurrence(occurrenceIds.get(eventId) as string)).seats_left;

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await createTenant(stack.database.db, { baseCurrency: 'eur' });
  client = orderClient(stack, tenant.apiKey);
  const startsAt = new Date(Date.now() + 10 * 86_400_000).toISOString();
  const course = await admin('/v1/catalog/products', { type: 'course', name: 'Prince2', price: 50_000, vat_rate: 10 });
  await admin('/v1/catalog/products', { type: 'item', name: 'Manual', price: 3_000, vat_rate: 10, external_id: '123' });
  await admin('/v1/catalog/products', { type: 'item', name: 'Exam', price: 9_000, vat_rate: 10, external_id: '124' });
  for (const [eventId, capacity] of [
    ['216', 20],
    ['225', 20],
    ['287', 20],
    ['301', 20],
    ['400', 1],
  ] as const) {
    const occurrence = await admin('/v1/catalog/occurrences', {
      product_id: course.id,
      name: `Prince2 ${eventId}`,
      starts_at: startsAt,
      capacity,
      external_id: eventId,
    });
    occurrenceIds.set(eventId, occurrence.id);
  }
});
afterAll(async () => stack?.stop());

/** Their documented answer: `msg` "order created" and an integer `order_id` (plus our `id`). */
function expectCreated(answer: Awaited<ReturnType<typeof call>>) {
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  expect(Object.keys(answer.body).sort()).toEqual(['id', 'msg', 'order_id']);
  expect(answer.body.msg).toBe('order created');
  expect(Number.isInteger(answer.body.order_id)).toBe(true);
  expect(answer.headers.get('location')).toBe(`/v1/orders/${answer.body.id}`);
}

async function expectFailure(answer: Awaited<ReturnType<typeof call>>, status: number, code: string, field?: string) {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  expect(Object.keys(answer.body).sort()).toEqual(['errors', 'msg']);
  expect(typeof answer.body.msg).toBe('string');
  const error = answer.body.errors.find((e: { code: string }) => e.code === code);
  expect(error, JSON.stringify(answer.body)).toBeDefined();
  expect(typeof error.message).toBe('string');
  if (field !== undefined) expect(error.field).toBe(field);
  return error;
}

describe('their curl example', () => {
  it('is not JSON as printed: answered 400 in their shape, nothing booked', async () => {
    const answer = await create(CURL_BODY);
    await expectFailure(answer, 400, 'malformed_json');
    expect(answer.body.msg).toBe('order not created');
    expect(await seatsLeft('225')).toBe(20);
  });

  it('mended, is refused until its payment matches the order, then paid, booked and receipted', async () => {
    // Its payment is in GBP for an order in EUR, and 1.23 for an order of 3062.40.
    await expectFailure(await create(EXAMPLE), 422, 'prepayment_currency_mismatch', 'payment.currency');
    const inEuros = { ...EXAMPLE, payment: { ...EXAMPLE.payment, currency: 'EUR' } };
    const short = await expectFailure(await create(inEuros), 422, 'prepayment_amount_mismatch', 'payment.amount');
    expect(short.expected).toBe(EXAMPLE_TOTAL);
    expect(await seatsLeft('225')).toBe(20);

    const paid = { ...EXAMPLE, payment: { ...EXAMPLE.payment, currency: 'EUR', amount: EXAMPLE_TOTAL } };
    const created = await create(paid);
    expectCreated(created);

    const order = await client.waitForStatus(created.body.id, 'completed');
    expect(order).toMatchObject({
      number: created.body.order_id,
      currency: 'eur',
      external_id: 'qwerty12345',
      external_contact_id: '47403',
      external_company_id: '1',
      origin: 'api',
      amount_paid: 306_240,
      left_to_pay: 0,
    });
    expect(order.totals).toMatchObject({ excl_vat: 278_400, incl_vat: 306_240 });
    expect(order.payments).toEqual([
      expect.objectContaining({
        provider: 'prepaid',
        status: 'succeeded',
        amount: 306_240,
        method: 'Card',
        transaction_code: 'abc123',
      }),
    ]);
    // Seats per event: 216 one, 225 one + one + two, 287 one, 301 one; the stock items are lines of their own.
    expect(await seatsLeft('216')).toBe(19);
    expect(await seatsLeft('225')).toBe(16);
    expect(await seatsLeft('301')).toBe(19);
    const stock = order.lines.filter((line: { occurrence_id: string | null }) => line.occurrence_id === null);
    expect(stock.map((line: { unit_price: number }) => line.unit_price).sort()).toEqual([34_500, 45_600, 56_700]);
    // What we cannot act on is kept where an operator sees it.
    expect(order.notes.internal).toContain('region UK');
    expect(order.notes.internal).toContain('source type 5');
    expect(order.notes.internal).toContain('item 4 (event 225): delegate contact 47838, student contacts 112, 114');
    expect(order.documents.find((d: { kind: string }) => d.kind === 'receipt')).toMatchObject({ status: 'paid' });

    // The same transaction code pays one order only.
    await expectFailure(await create(paid), 422, 'prepayment_already_recorded', 'payment.transaction_code');
  });
});

describe('orders without a payment: booked and invoiced', () => {
  it('books named delegates and students, and invoices the contact', async () => {
    const created = await create(
      {
        contact_id: 47403,
        contact: { first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com' },
        company_id: 1,
        company: { name: 'Analytical Ltd', vat_number: 'GB123456789' },
        source_type_id: 'staff',
        external_id: 'adm-invoice-1',
        items: [
          {
            event_id: 225,
            price: 200,
            contact_id: 47838,
            students: [
              { contact_id: 112, contact: { first_name: 'Grace', last_name: 'Hopper', email: 'grace@example.com' } },
              { contact_id: 114, contact: { first_name: 'Alan', last_name: 'Turing', email: 'alan@example.com' } },
            ],
            children: [{ item_id: 124 }],
          },
          {
            event_id: 216,
            contact_id: 47839,
            contact: { first_name: 'Kurt', last_name: 'Gödel', email: 'k@example.com' },
          },
        ],
      },
      { 'X-API-Key': tenant.apiKey, Authorization: '' },
    );
    expectCreated(created);
    const order = await client.waitForStatus(created.body.id, 'invoiced');
    expect(order).toMatchObject({ origin: 'staff', external_contact_id: '47403', currency: 'eur' });
    expect(order.participants.map((p: { firstname: string; email: string }) => [p.firstname, p.email])).toEqual([
      ['Grace', 'grace@example.com'],
      ['Alan', 'alan@example.com'],
      ['Kurt', 'k@example.com'],
    ]);
    // 2 × 200.00 (their price) + exam 90.00 + 500.00 (the catalogue's, no price given), plus 10 % VAT.
    expect(order.totals).toMatchObject({ excl_vat: 99_000, incl_vat: 108_900 });
    expect(order.documents.find((d: { kind: string }) => d.kind === 'invoice')).toBeDefined();
    // Their external_id is the invoice's too: the accounting system marks it paid, and the order completes.
    const markPaid = await fetch(`${stack.baseUrl}/v1/invoices/by-external-id/adm-invoice-1/paid`, {
      method: 'PUT',
      headers: { 'X-API-Key': tenant.apiKey },
    });
    expect(markPaid.status).toBe(204);
    expect(await client.waitForStatus(created.body.id, 'completed')).toMatchObject({ left_to_pay: 0 });
  });

  it('keeps a retried request to one order with an Idempotency-Key', async () => {
    const body = { contact_id: 1, contact: { email: 'ada@example.com' }, items: [{ event_id: 287 }] };
    const retryKey = { 'Idempotency-Key': `adm-${crypto.randomUUID()}` };
    const first = await create(body, retryKey);
    expectCreated(first);
    const again = await create(body, retryKey);
    expect(again.body.order_id).toBe(first.body.order_id);
    await expectFailure(await create({ ...body, contact_id: 2 }, retryKey), 422, 'idempotency_key_reused');
  });
});

describe('deliberate differences from Administrate', () => {
  const order = (items: unknown[]) => ({ contact_id: 47403, contact: { email: 'ada@example.com' }, items });

  it('refuses to overbook an event instead of taking the order', async () => {
    const answer = await create(order([{ event_id: 400, quantity: 2 }]));
    await expectFailure(answer, 422, 'occurrence_full', 'items.0.event_id');
    expect(await seatsLeft('400')).toBe(1);
    expectCreated(await create(order([{ event_id: 400 }])));
    await expectFailure(await create(order([{ event_id: 400 }])), 422, 'occurrence_full', 'items.0.event_id');
  });

  it('refuses unknown events and items instead of dropping them silently', async () => {
    const answer = await create(
      order([
        { event_id: 216 },
        { event_id: 999_999, price: 10 },
        { event_id: 216, children: [{ item_id: 424242, price: 1 }] },
      ]),
    );
    await expectFailure(answer, 422, 'course_date_identifier_invalid', 'items.1.event_id');
    await expectFailure(answer, 422, 'product_identifier_invalid', 'items.2.children.0.item_id');
    expect(answer.body.errors).toHaveLength(2);
  });

  it('refuses an order without items', async () => {
    await expectFailure(await create(order([])), 422, 'order_lines_empty', 'items');
    await expectFailure(await create({ contact_id: 47403 }), 422, 'order_lines_empty', 'items');
  });
});

describe('errors in their shape', () => {
  const order = (extra: Record<string, unknown> = {}) => ({
    contact_id: 47403,
    contact: { email: 'ada@example.com' },
    items: [{ event_id: 216 }],
    ...extra,
  });

  it('answers a missing, unknown or underprivileged key', async () => {
    const missing = await create(order(), { Authorization: '' });
    await expectFailure(missing, 401, 'unauthorized');
    expect(missing.headers.get('www-authenticate')).toContain('Basic');
    await expectFailure(await create(order(), { Authorization: basic('ook_unknown') }), 401, 'unauthorized');
    const readOnly = await addApiKey(stack.database.db, tenant.id, ['orders:read']);
    await expectFailure(await create(order(), { Authorization: basic(readOnly) }), 403, 'missing_scope');
    const noOverride = await addApiKey(stack.database.db, tenant.id, ['orders:write']);
    await expectFailure(
      await create(order({ items: [{ event_id: 216, price: 100 }] }), { Authorization: `Bearer ${noOverride}` }),
      422,
      'price_override_not_allowed',
      'items.0.price',
    );
  });

  it('answers bodies of the wrong shape with 400, naming their fields', async () => {
    await expectFailure(await create(order({ contact_id: undefined })), 400, 'field_required', 'contact_id');
    await expectFailure(await create(order({ contact_id: true })), 400, 'invalid_type', 'contact_id');
    await expectFailure(await create(order({ coupon: 'X' })), 400, 'unknown_field', 'coupon');
    await expectFailure(
      await create(order({ items: [{ event_id: 216, price: '12' }] })),
      400,
      'invalid_type',
      'items.0.price',
    );
    await expectFailure(
      await create(order({ items: [{ event_id: 216, price: 1e308 }] })),
      400,
      'invalid_type',
      'items.0.price',
    );
    await expectFailure(
      await create(order({ items: [{ event_id: 216, quantity: 1.5 }] })),
      400,
      'invalid_type',
      'items.0.quantity',
    );
    await expectFailure(await create(order({ currency_id: 'EURO' })), 400, 'invalid_value', 'currency_id');
    await expectFailure(
      await create(order({ payment: { amount: 550, type: 'Card', currency: 'EUR' } })),
      400,
      'field_required',
      'payment.transaction_code',
    );
    await expectFailure(
      await create(order({ payment: { amount: 550, currency: 'EUR', transaction_code: 'psp-1' } })),
      400,
      'field_required',
      'payment.type',
    );
    const tooMany = Array.from({ length: 30 }, () => ({ event_id: 216, children: [{ item_id: 123 }] }));
    await expectFailure(await create(order({ items: tooMany })), 400, 'invalid_value', 'items');
    await expectFailure(await create(''), 400, 'malformed_json');
    await expectFailure(await create('[1,2]'), 400, 'invalid_type');
    await expectFailure(
      await create(order({ items: [{ event_id: 216, students: [{ contact_id: 'a\u0000b' }] }] })),
      400,
      'control_character',
      'items.0.students.0.contact_id',
    );
  });

  it('answers our rules on delegates, students and quantities on their fields', async () => {
    await expectFailure(
      await create(order({ items: [{ event_id: 216, students: [{ contact_id: 1, contact: { first_name: 'A' } }] }] })),
      422,
      'participant_name_invalid_empty',
      'items.0.students.0.contact.last_name',
    );
    await expectFailure(
      await create(
        order({ items: [{ event_id: 216, contact_id: 7, contact: { first_name: 'A', last_name: 'B', email: 'x' } }] }),
      ),
      422,
      'participant_email_invalid',
      'items.0.contact.email',
    );
    await expectFailure(
      await create(order({ items: [{ event_id: 216, quantity: 3, students: [{ contact_id: 1 }] }] })),
      422,
      'quantity_invalid',
      'items.0.quantity',
    );
    await expectFailure(
      await create(order({ items: [{ event_id: 216, quantity: 1000 }] })),
      422,
      'quantity_invalid',
      'items.0.quantity',
    );
    await expectFailure(await create(order({ contact: undefined })), 422, 'invoice_recipient_missing', 'contact.email');
    await expectFailure(
      await create(order({ currency_id: 'USD' })),
      422,
      'exchange_rate_does_not_exist',
      'currency_id',
    );
  });

  it('does not let one tenant book or name another’s events', async () => {
    const other = await createTenant(stack.database.db, { baseCurrency: 'eur' });
    await expectFailure(
      await create(order({ items: [{ event_id: occurrenceIds.get('216') }] }), { Authorization: basic(other.apiKey) }),
      422,
      'course_date_identifier_invalid',
      'items.0.event_id',
    );
    await expectFailure(
      await create(order(), { Authorization: basic(other.apiKey) }),
      422,
      'course_date_identifier_invalid',
      'items.0.event_id',
    );
  });

  // The app's body limit answers before the adapter's routes run, and still in their shape.
  it('answers a body over the size limit with 413, in their shape', async () => {
    const huge = await create(order({ external_id: 'x'.repeat(3 * 1024 * 1024) }));
    await expectFailure(huge, 413, 'payload_too_large');
  });

  it('answers other methods and paths in their shape', async () => {
    const read = await call('GET', '/compat/administrate/api/v2/orders');
    await expectFailure(read, 405, 'method_not_allowed');
    expect(read.headers.get('allow')).toBe('POST');
    await expectFailure(await call('GET', '/compat/administrate/api/v2/orders/50'), 404, 'route_not_found');
  });

  it('is described in the compatibility document', async () => {
    const document = await jsonOf(await fetch(`${stack.baseUrl}/compat/openapi.json`));
    expect(document.paths['/compat/administrate/api/v2/orders'].post.tags).toEqual(['Administrate (compat)']);
  });
});

describe('an outage', () => {
  it('relays our 503 with its Retry-After, in their shape', async () => {
    // No worker takes the order: the workflow call gives up within the request deadline.
    const down = await startTestStack({ worker: false, requestTimeoutMs: 2_000 });
    try {
      const owner = await createTenant(down.database.db, { baseCurrency: 'eur' });
      const headers = { 'X-API-Key': owner.apiKey, 'Content-Type': 'application/json' };
      const product = await fetch(`${down.baseUrl}/v1/catalog/products`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ type: 'item', name: 'Manual', price: 3_000, vat_rate: 10, external_id: '123' }),
      });
      expect(product.status).toBe(201);
      const response = await fetch(`${down.baseUrl}/compat/administrate/api/v2/orders`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ contact_id: 1, contact: { email: 'ada@example.com' }, items: [{ item_id: 123 }] }),
      });
      const body = await jsonOf(response);
      expect(response.status, JSON.stringify(body)).toBe(503);
      expect(response.headers.get('retry-after')).toBeTruthy();
      expect(body).toMatchObject({ msg: 'order not created', errors: [{ code: expect.any(String) }] });
    } finally {
      await down.stop();
    }
  });
});
