import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { startTestStack, type TestStack } from '../helpers/test-stack';

// Control characters in any text a request carries — JSON bodies, query parameters, path
// parameters — are refused once, at the edge, with a 400 naming the field: never a 500 from
// PostgreSQL (which refuses NUL) or a 503 after an activity retried it.

let stack: TestStack;
let tenant: TestTenant;
let occurrenceId: string;
let client: ReturnType<typeof orderClient>;

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await createTenant(stack.database.db);
  const course = await createProduct(stack.database.db, tenant.id, { price: 40_000, name: 'Pottery' });
  occurrenceId = await createOccurrence(stack.database.db, tenant.id, course, { capacity: 20 });
  client = orderClient(stack, tenant.apiKey);
});
afterAll(async () => stack.stop());

async function call(path: string, init: { method?: string; body?: unknown } = {}) {
  const started = Date.now();
  const response = await fetch(`${stack.baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { 'X-API-Key': tenant.apiKey, 'Content-Type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: await jsonOf(response),
    ms: Date.now() - started,
  };
}

function expectControlCharacter(answer: Awaited<ReturnType<typeof call>>, fields: string[]) {
  expect({ status: answer.status, code: answer.body.code }, JSON.stringify(answer.body)).toEqual({
    status: 400,
    code: 'control_character',
  });
  expect(answer.contentType).toMatch(/^application\/problem\+json/);
  expect(answer.body.errors.map((e: { field: string }) => e.field)).toEqual(fields);
  for (const error of answer.body.errors) expect(error.code).toBe('control_character');
  expect(answer.ms).toBeLessThan(2_000);
}

const cardOrder = (booker: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  payment_method: 'card',
  booker,
  lines: [{ occurrence_id: occurrenceId, quantity: 1 }],
  ...extra,
});

describe('control characters in JSON bodies', () => {
  it('a NUL in booker.name of POST /v1/orders is a fast 400 naming the field, and no order is written', async () => {
    const answer = await call('/v1/orders', {
      method: 'POST',
      body: cardOrder({ name: 'Ja\u0000ne', email: 'nul@example.com' }),
    });
    expectControlCharacter(answer, ['booker.name']);
    expect(answer.body.errors[0].message).toContain('U+0000');
    const orders = await stack.database.db
      .selectFrom('orders')
      .select('id')
      .where('tenant_id', '=', tenant.id)
      .execute();
    expect(orders).toEqual([]);
  });

  it('names every field at once, deep in arrays, and field names too', async () => {
    const body = {
      payment_method: 'card',
      booker: { name: 'Jane', email: 'ja\u0007ne@example.com' },
      lines: [{ occurrence_id: occurrenceId, participants: [{ firstname: 'Jo\u001bhn', lastname: 'Doe' }] }],
      'odd\u0001key': 1,
    };
    const answer = await call('/v1/orders', { method: 'POST', body });
    expectControlCharacter(answer, ['booker.email', 'lines.0.participants.0.firstname', 'odd\u0001key']);
  });

  it('refuses C1 controls and DEL too', async () => {
    expectControlCharacter(await call('/v1/orders', { method: 'POST', body: cardOrder({ name: 'A\u0085B' }) }), [
      'booker.name',
    ]);
    expectControlCharacter(await call('/v1/orders', { method: 'POST', body: cardOrder({ name: 'A\u007fB' }) }), [
      'booker.name',
    ]);
  });

  it('tab, line feed and carriage return are text in free-text fields (notes) but not in names', async () => {
    const tabbed = await call('/v1/orders', {
      method: 'POST',
      body: cardOrder({ name: 'Jane\tDoe', email: 'tab@example.com' }),
    });
    expectControlCharacter(tabbed, ['booker.name']);

    const notes = { internal: 'Line one\r\nLine two\tindented', external: 'Bring shoes\n' };
    const placed = await client.placeOrder(cardOrder({ name: 'Jane Doe', email: 'notes@example.com' }, { notes }));
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const order = await stack.database.db
      .selectFrom('orders')
      .selectAll()
      .where('id', '=', placed.body.id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(order)).toContain('Line one\\r\\nLine two\\tindented');

    // Even in free text, NUL is not text.
    const nul = await call('/v1/orders', {
      method: 'POST',
      body: cardOrder({ name: 'Jane' }, { notes: { internal: 'a\u0000b' } }),
    });
    expectControlCharacter(nul, ['notes.internal']);
  });

  it('catalogue writes: a 400, not a 500; a description may span lines', async () => {
    const nul = await call('/v1/catalog/products', {
      method: 'POST',
      body: { type: 'item', name: 'Mug\u0000', price: 100, vat_rate: 25 },
    });
    expectControlCharacter(nul, ['name']);
    const patch = await call(`/v1/catalog/occurrences/${occurrenceId}`, {
      method: 'PATCH',
      body: { name: 'Evening\u0000' },
    });
    expectControlCharacter(patch, ['name']);
    const created = await call('/v1/catalog/products', {
      method: 'POST',
      body: { type: 'item', name: 'Mug', description: 'Glazed.\nDishwasher safe.', price: 100, vat_rate: 25 },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.description).toBe('Glazed.\nDishwasher safe.');
  });
});

describe('control characters in query and path parameters', () => {
  it('GET /v1/invoices?after_number=%00 is a 400 naming after_number', async () => {
    expectControlCharacter(await call('/v1/invoices?after_number=%00'), ['after_number']);
  });

  it('GET /v1/orders?customer_email=a%00b is a 400 naming customer_email', async () => {
    expectControlCharacter(await call('/v1/orders?customer_email=a%00b'), ['customer_email']);
  });

  it('a control character in a parameter name is named too', async () => {
    expectControlCharacter(await call('/v1/orders?a%01b=1'), ['a\u0001b']);
  });

  it('path parameters are named after the route', async () => {
    expectControlCharacter(await call('/v1/orders/abc%00def'), ['id']);
    expectControlCharacter(await call('/v1/vouchers/GIFT%0A1'), ['code']);
    expectControlCharacter(await call('/v1/invoices/by-number/7%00/paid', { method: 'PUT' }), ['number']);
  });

  it('routes outside the OpenAPI document are covered too (the payment page)', async () => {
    const response = await fetch(`${stack.baseUrl}/psp/sandbox/pay/sbxpay_%00`);
    expect(response.status).toBe(400);
    expect((await jsonOf(response)).code).toBe('control_character');
  });
});
