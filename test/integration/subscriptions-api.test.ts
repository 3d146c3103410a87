import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/database';
import { addApiKey, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { startTestStack, type TestStack } from '../helpers/test-stack';

// GET /v1/subscriptions and /v1/subscriptions/{id} on the real API. The rows are inserted directly:
// making them from completed orders is the order side's job (and its tests'); a subscription bought
// through a real order, with its documents, is read in subscription-changes-api.test.ts.

let stack: TestStack;
let tenant: TestTenant;
let other: TestTenant;

interface Catalogue {
  productId: string;
  periodId: string;
  orderId: string;
  orderNumber: number;
}

async function catalogue(db: Db, tenantId: string, name: string): Promise<Catalogue> {
  const productId = crypto.randomUUID();
  await db
    .insertInto('products')
    .values({ id: productId, tenant_id: tenantId, type: 'subscription', name, price: 0, vat_rate_bp: 600 })
    .execute();
  const periodId = crypto.randomUUID();
  await db
    .insertInto('subscription_periods')
    .values({
      id: periodId,
      tenant_id: tenantId,
      product_id: productId,
      code: 'quarterly',
      name: 'Quarterly',
      length_unit: 'quarter',
      length_count: 1,
      price: 39_900,
      payment_methods: ['card', 'invoice'],
    })
    .execute();
  const orderId = crypto.randomUUID();
  const orderNumber = Math.floor(Math.random() * 1e9);
  await db
    .insertInto('orders')
    .values({
      id: orderId,
      tenant_id: tenantId,
      number: orderNumber,
      workflow_id: `wf-${orderId}`,
      status: 'completed',
      currency: 'nok',
      payment_method: 'invoice',
      total_before_discounts: 39_900,
      total_discounts: 0,
      total_excl_vat: 39_900,
      total_vat: 2_394,
      total_incl_vat: 42_294,
      vat_summary: '[]',
      notes: '{}',
      client: '{}',
      config: '{}',
    })
    .execute();
  return { productId, periodId, orderId, orderNumber };
}

async function subscription(
  db: Db,
  tenantId: string,
  cat: Catalogue,
  values: { number: number; createdAt: string; status?: 'active' | 'paused' | 'suspended' | 'cancelled' } & {
    email?: string | null;
    id?: string;
  },
): Promise<string> {
  const id = values.id ?? crypto.randomUUID();
  await db
    .insertInto('subscriptions')
    .values({
      id,
      tenant_id: tenantId,
      number: values.number,
      product_id: cat.productId,
      period_id: cat.periodId,
      order_id: cat.orderId,
      order_line_id: crypto.randomUUID(),
      customer_id: null,
      customer_email: values.email === undefined ? 'jane@example.com' : values.email,
      status: values.status ?? 'active',
      payment_method: 'invoice',
      start_date: '2026-01-01',
      current_period_end: '2026-03-31',
      created_at: new Date(values.createdAt),
    })
    .execute();
  return id;
}

/**
 * What the workflow writes when subscription 1 renews and is changed: its first period and a renewal
 * whose order is not placed yet, a card, a change of period and a cancellation at the period end;
 * and subscription 2's pause.
 */
async function changesOf(db: Db, tenantId: string, cat: Catalogue, first: string, paused: string) {
  const monthlyId = crypto.randomUUID();
  await db
    .insertInto('subscription_periods')
    .values({
      id: monthlyId,
      tenant_id: tenantId,
      product_id: cat.productId,
      code: 'monthly',
      name: 'Monthly',
      length_unit: 'month',
      length_count: 1,
      price: 14_900,
      payment_methods: ['card'],
    })
    .execute();
  const customerId = crypto.randomUUID();
  await db.insertInto('customers').values({ id: customerId, tenant_id: tenantId, email: 'jane@example.com' }).execute();
  const cardId = crypto.randomUUID();
  await db
    .insertInto('saved_cards')
    .values({
      id: cardId,
      tenant_id: tenantId,
      customer_id: customerId,
      provider: 'sandbox',
      provider_token: `tok_${cardId}`,
      brand: 'visa',
      last4: '4242',
    })
    .execute();
  const renewalOrderId = crypto.randomUUID();
  const cycle = { tenant_id: tenantId, subscription_id: first, period_id: cat.periodId };
  await db
    .insertInto('subscription_cycles')
    .values([
      // Inserted out of order: the answer lists them by sequence.
      {
        ...cycle,
        id: crypto.randomUUID(),
        sequence: 2,
        start_date: '2026-04-01',
        end_date: '2026-06-30',
        order_id: renewalOrderId,
        order_number: 777_001,
      },
      {
        ...cycle,
        id: crypto.randomUUID(),
        sequence: 1,
        start_date: '2026-01-01',
        end_date: '2026-03-31',
        order_id: cat.orderId,
        order_number: cat.orderNumber,
        status: 'paid',
      },
    ])
    .execute();
  await db
    .updateTable('subscriptions')
    .set({
      saved_card_id: cardId,
      next_period_id: monthlyId,
      cancel_at_period_end: true,
      cancel_reason: 'Moving abroad',
    })
    .where('id', '=', first)
    .execute();
  await db
    .updateTable('subscriptions')
    .set({ paused_at: new Date('2026-02-01T08:00:00Z') })
    .where('id', '=', paused)
    .execute();
  return { monthlyId, cardId, renewalOrderId };
}

function get(path: string, key = tenant.apiKey) {
  return fetch(`${stack.baseUrl}${path}`, { headers: { 'X-API-Key': key } });
}

async function expectProblem(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = await jsonOf(response);
  expect(body).toMatchObject({ status, code });
  return body;
}

let news: Catalogue;
let radio: Catalogue;
/** By number: 1 oldest … 4 newest; 3 and 4 created at the same instant (the id breaks the tie). */
const ids: Record<number, string> = {};
let foreignId: string;
let monthlyId: string;
let cardId: string;
let renewalOrderId: string;

beforeAll(async () => {
  stack = await startTestStack({ worker: false });
  const { db } = stack.database;
  tenant = await createTenant(db);
  other = await createTenant(db);
  news = await catalogue(db, tenant.id, 'Daily News');
  radio = await catalogue(db, tenant.id, 'Radio Weekly');
  ids[1] = await subscription(db, tenant.id, news, { number: 1, createdAt: '2026-01-01T10:00:00.000001Z' });
  ids[2] = await subscription(db, tenant.id, radio, {
    number: 2,
    createdAt: '2026-01-02T10:00:00Z',
    status: 'paused',
    email: 'Other@Example.com',
  });
  ids[3] = await subscription(db, tenant.id, news, {
    number: 3,
    createdAt: '2026-01-03T10:00:00Z',
    status: 'cancelled',
    email: null,
    id: '00000000-0000-4000-8000-000000000001',
  });
  ids[4] = await subscription(db, tenant.id, news, {
    number: 4,
    createdAt: '2026-01-03T10:00:00Z',
    id: '00000000-0000-4000-8000-000000000002',
  });
  ({ monthlyId, cardId, renewalOrderId } = await changesOf(db, tenant.id, news, ids[1], ids[2]));
  const foreign = await catalogue(db, other.id, 'Foreign News');
  foreignId = await subscription(db, other.id, foreign, { number: 1, createdAt: '2026-01-05T10:00:00Z' });
});
afterAll(async () => stack.stop());

const numbersOf = (body: { data: { number: number }[] }) => body.data.map((s) => s.number);

describe('GET /v1/subscriptions', () => {
  it('lists the tenant’s subscriptions newest first, with product, period and order id', async () => {
    const response = await get('/v1/subscriptions');
    expect(response.status).toBe(200);
    const body = await jsonOf(response);
    expect(numbersOf(body)).toEqual([4, 3, 2, 1]);
    expect(body.next_cursor).toBeNull();
    expect(body.data[3]).toEqual({
      id: ids[1],
      number: 1,
      status: 'active',
      product: { id: news.productId, name: 'Daily News' },
      period: { id: news.periodId, code: 'quarterly', name: 'Quarterly', length_unit: 'quarter', length_count: 1 },
      payment_method: 'invoice',
      customer: { id: null, email: 'jane@example.com' },
      start_date: '2026-01-01',
      current_period_end: '2026-03-31',
      // Cancelled at the period end: it renews no more.
      next_renewal_date: null,
      cancel_at_period_end: true,
      order_id: news.orderId,
      created_at: '2026-01-01T10:00:00.000Z',
    });
    expect(body.data[2].customer).toEqual({ id: null, email: 'Other@Example.com' });
    expect(body.data[2].cancel_at_period_end).toBe(false);
    expect(body.data[1].customer).toEqual({ id: null, email: null });
  });

  it('pages with the cursor, keeping microseconds and breaking ties by id', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `limit=1&cursor=${encodeURIComponent(cursor)}` : 'limit=1';
      const body = await jsonOf(await get(`/v1/subscriptions?${query}`));
      expect(body.data.length).toBe(1);
      seen.push(...numbersOf(body));
      cursor = body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([4, 3, 2, 1]);
  });

  it('filters by status, customer email (regardless of case) and product', async () => {
    const numbers = async (query: string) => numbersOf(await jsonOf(await get(`/v1/subscriptions?${query}`)));
    expect(await numbers('status=active')).toEqual([4, 1]);
    expect(await numbers('status=paused')).toEqual([2]);
    expect(await numbers('status=suspended')).toEqual([]);
    expect(await numbers('customer_email=JANE@example.COM')).toEqual([4, 1]);
    expect(await numbers('customer_email=other%40example.com')).toEqual([2]);
    expect(await numbers('customer_email=jane')).toEqual([]);
    expect(await numbers(`product_id=${radio.productId}`)).toEqual([2]);
    expect(await numbers(`product_id=${news.productId}&status=active&customer_email=jane@example.com`)).toEqual([4, 1]);
  });

  it('refuses malformed filters and cursors with 400, never 500', async () => {
    await expectProblem(await get('/v1/subscriptions?status=expired'), 400, 'validation_failed');
    await expectProblem(await get('/v1/subscriptions?product_id=nope'), 400, 'validation_failed');
    await expectProblem(await get('/v1/subscriptions?limit=0'), 400, 'validation_failed');
    await expectProblem(await get('/v1/subscriptions?colour=red'), 400, 'validation_failed');
    await expectProblem(await get('/v1/subscriptions?cursor=garbage'), 400, 'cursor_invalid');
    const forged = Buffer.from(JSON.stringify({ t: 'yesterday', id: 'x' })).toString('base64url');
    await expectProblem(await get(`/v1/subscriptions?cursor=${forged}`), 400, 'cursor_invalid');
    const nul = await expectProblem(await get('/v1/subscriptions?customer_email=jane%00'), 400, 'control_character');
    expect(nul.errors[0].field).toBe('customer_email');
  });

  it('needs orders:read', async () => {
    const key = await addApiKey(stack.database.db, tenant.id, ['orders:write']);
    await expectProblem(await get('/v1/subscriptions', key), 403, 'missing_scope');
    await expectProblem(await get(`/v1/subscriptions/${ids[1]}`, key), 403, 'missing_scope');
    const reader = await addApiKey(stack.database.db, tenant.id, ['orders:read']);
    expect((await get('/v1/subscriptions', reader)).status).toBe(200);
  });

  it('keeps tenants apart', async () => {
    const body = await jsonOf(await get('/v1/subscriptions', other.apiKey));
    expect(body.data.map((s: { id: string }) => s.id)).toEqual([foreignId]);
  });
});

describe('GET /v1/subscriptions/{id}', () => {
  it('answers one subscription with the order that bought it', async () => {
    const response = await get(`/v1/subscriptions/${ids[2]}`);
    expect(response.status).toBe(200);
    const body = await jsonOf(response);
    expect(body).toEqual({
      id: ids[2],
      number: 2,
      status: 'paused',
      product: { id: radio.productId, name: 'Radio Weekly' },
      period: { id: radio.periodId, code: 'quarterly', name: 'Quarterly', length_unit: 'quarter', length_count: 1 },
      payment_method: 'invoice',
      customer: { id: null, email: 'Other@Example.com' },
      start_date: '2026-01-01',
      current_period_end: '2026-03-31',
      // Paused: nothing renews until it is resumed.
      next_renewal_date: null,
      cancel_at_period_end: false,
      order: { id: radio.orderId, number: radio.orderNumber, status: 'completed' },
      periods: [],
      cancelled_at: null,
      cancel_reason: null,
      paused_at: '2026-02-01T08:00:00.000Z',
      next_period: null,
      saved_card: null,
      created_at: '2026-01-02T10:00:00.000Z',
    });
  });

  it('lists its periods by sequence with their orders, and what changes set', async () => {
    const body = await jsonOf(await get(`/v1/subscriptions/${ids[1]}`));
    expect(body.periods).toEqual([
      {
        sequence: 1,
        start_date: '2026-01-01',
        end_date: '2026-03-31',
        status: 'paid',
        order: { id: news.orderId, number: news.orderNumber, status: 'completed' },
        documents: [],
      },
      {
        // A renewal whose order is not placed yet: its id and number are known, its status is not.
        sequence: 2,
        start_date: '2026-04-01',
        end_date: '2026-06-30',
        status: 'pending',
        order: { id: renewalOrderId, number: 777_001, status: null },
        documents: [],
      },
    ]);
    expect(body).toMatchObject({
      cancel_at_period_end: true,
      cancelled_at: null,
      cancel_reason: 'Moving abroad',
      paused_at: null,
      next_period: { id: monthlyId, code: 'monthly', name: 'Monthly' },
      saved_card: { id: cardId, brand: 'visa', last4: '4242' },
    });
  });

  it('is 404 for an unknown, malformed or another tenant’s id', async () => {
    await expectProblem(await get(`/v1/subscriptions/${crypto.randomUUID()}`), 404, 'not_found');
    await expectProblem(await get('/v1/subscriptions/not-a-uuid'), 404, 'not_found');
    await expectProblem(await get(`/v1/subscriptions/${foreignId}`), 404, 'not_found');
    expect((await get(`/v1/subscriptions/${foreignId}`, other.apiKey)).status).toBe(200);
  });
});
