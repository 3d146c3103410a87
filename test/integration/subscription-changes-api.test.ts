import { ApplicationFailure, WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiProblem } from '../../api/problem';
import { subscriptionUpdateProblem } from '../../api/subscription-workflow-calls';
import { SUBSCRIPTION_CHANGE_INVALID, SUBSCRIPTION_STATE_CONFLICT } from '../../workflows/subscription-messages';
import { addApiKey, createTenant, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

// The HTTP side of changing a subscription (cancel, pause, resume, change of period) on the real API
// and Temporal: what the API owns — finding the subscription, scopes, the bodies, and the answer when
// the subscription has no workflow to ask. What the workflow decides is tested with the workflow.
// Also GET /v1/subscriptions/{id} for a subscription bought through a real order: its period with
// that order and the order's invoice.

let stack: TestStack;
let tenant: TestTenant;
let other: TestTenant;
/** Bought through a real invoice order. */
let boughtId: string;
let bought: { orderId: string; orderNumber: number; invoiceId: string; invoiceNumber: string; periodEnd: string };
/** A row with no workflow behind it (its number was never started). */
let orphanId: string;
let foreignId: string;
let otherPeriodId: string;

const CHANGES = ['cancel', 'pause', 'resume', 'period'] as const;
const validBody: Record<(typeof CHANGES)[number], unknown> = {
  cancel: { at: 'now', reason: 'Moving abroad' },
  pause: {},
  resume: {},
  period: { period_id: crypto.randomUUID() },
};

async function call(
  path: string,
  init: { method?: string; body?: unknown; raw?: string; key?: string; headers?: Record<string, string> } = {},
) {
  const response = await fetch(`${stack.baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { 'X-API-Key': init.key ?? tenant.apiKey, 'Content-Type': 'application/json', ...init.headers },
    ...(init.raw !== undefined
      ? { body: init.raw }
      : init.body === undefined
        ? {}
        : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type'), body: text ? JSON.parse(text) : null };
}

const post = (id: string, change: string, init: Parameters<typeof call>[1] = {}) =>
  call(`/v1/subscriptions/${id}/${change}`, { method: 'POST', ...init });

function expectProblem(answer: Awaited<ReturnType<typeof call>>, status: number, code: string) {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  expect(answer.type).toMatch(/^application\/problem\+json/);
  expect(answer.body).toMatchObject({ status, code });
  return answer.body;
}

beforeAll(async () => {
  stack = await startTestStack();
  const { db } = stack.database;
  tenant = await createTenant(db);
  other = await createTenant(db);
  const client = orderClient(stack, tenant.apiKey);

  const product = await call('/v1/catalog/products', {
    method: 'POST',
    body: { type: 'subscription', name: 'Daily News', price: 0, vat_rate: 25 },
  });
  expect(product.status, JSON.stringify(product.body)).toBe(201);
  for (const [code, unit, payment] of [
    ['quarterly', 'quarter', ['invoice']],
    ['yearly', 'year', ['invoice', 'card']],
  ] as const) {
    const period = await call(`/v1/catalog/products/${product.body.id}/periods`, {
      method: 'POST',
      body: { code, name: code, length_unit: unit, length_count: 1, price: 79_900, payment_methods: payment },
    });
    expect(period.status, JSON.stringify(period.body)).toBe(201);
    if (code === 'yearly') otherPeriodId = period.body.id;
  }

  const placed = await client.placeOrder({
    payment_method: 'invoice',
    booker: { name: 'Ola', email: 'ola@example.com' },
    lines: [{ product_id: product.body.id, period: 'quarterly' }],
  });
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  const invoiced = await client.waitForStatus(placed.body.id, 'invoiced');
  const invoice = invoiced.documents.find((d: { kind: string }) => d.kind === 'invoice');
  const paid = await call(`/v1/invoices/${invoice.id}/paid`, {
    method: 'PUT',
    body: { amount: invoice.total_incl_vat, reference: 'bank-1' },
  });
  expect(paid.status, JSON.stringify(paid.body)).toBeLessThan(300);
  await client.waitForStatus(placed.body.id, 'completed');
  const row = await db
    .selectFrom('subscriptions')
    .select(['id', 'number', 'product_id', 'period_id', 'current_period_end'])
    .where('order_id', '=', placed.body.id)
    .executeTakeFirstOrThrow();
  boughtId = row.id;
  bought = {
    orderId: placed.body.id,
    orderNumber: placed.body.number,
    invoiceId: invoice.id,
    invoiceNumber: invoice.number,
    periodEnd: row.current_period_end,
  };

  // The order's subscription workflows are started after it completes; the orphan below must come
  // after that, so nothing starts a workflow for it.
  await eventually(
    async () =>
      (await db.selectFrom('subscriptions').select('workflow_id').where('id', '=', boughtId).executeTakeFirst())
        ?.workflow_id ?? undefined,
  );
  orphanId = crypto.randomUUID();
  await db
    .insertInto('subscriptions')
    .values({
      id: orphanId,
      tenant_id: tenant.id,
      number: 900,
      product_id: row.product_id,
      period_id: row.period_id,
      order_id: placed.body.id,
      order_line_id: crypto.randomUUID(),
      customer_id: null,
      customer_email: 'ola@example.com',
      payment_method: 'invoice',
      start_date: '2026-01-01',
      current_period_end: '2026-03-31',
    })
    .execute();

  // Another tenant's subscription: the same shape, reachable only with that tenant's key.
  foreignId = crypto.randomUUID();
  const foreignProduct = await call('/v1/catalog/products', {
    method: 'POST',
    key: other.apiKey,
    body: { type: 'subscription', name: 'Foreign News', price: 0, vat_rate: 25 },
  });
  const foreignPeriod = await call(`/v1/catalog/products/${foreignProduct.body.id}/periods`, {
    method: 'POST',
    key: other.apiKey,
    body: {
      code: 'quarterly',
      name: 'Quarterly',
      length_unit: 'quarter',
      length_count: 1,
      price: 79_900,
      payment_methods: ['invoice'],
    },
  });
  const foreignOrder = crypto.randomUUID();
  await db
    .insertInto('orders')
    .values({
      id: foreignOrder,
      tenant_id: other.id,
      number: 1,
      workflow_id: `wf-${foreignOrder}`,
      status: 'completed',
      currency: 'nok',
      payment_method: 'invoice',
      total_before_discounts: 0,
      total_discounts: 0,
      total_excl_vat: 0,
      total_vat: 0,
      total_incl_vat: 0,
      vat_summary: '[]',
      notes: '{}',
      client: '{}',
      config: '{}',
    })
    .execute();
  await db
    .insertInto('subscriptions')
    .values({
      id: foreignId,
      tenant_id: other.id,
      number: 1,
      product_id: foreignProduct.body.id,
      period_id: foreignPeriod.body.id,
      order_id: foreignOrder,
      order_line_id: crypto.randomUUID(),
      customer_id: null,
      customer_email: 'x@example.com',
      payment_method: 'invoice',
      start_date: '2026-01-01',
      current_period_end: '2026-03-31',
    })
    .execute();
}, 120_000);
afterAll(async () => stack?.stop());

describe('GET /v1/subscriptions/{id} of a subscription bought through an order', () => {
  it('lists its first period with the order that paid for it and that order’s invoice', async () => {
    const read = await call(`/v1/subscriptions/${boughtId}`);
    expect(read.status, JSON.stringify(read.body)).toBe(200);
    const today = new Date().toISOString().slice(0, 10);
    expect(read.body.periods).toEqual([
      {
        sequence: 1,
        start_date: today,
        end_date: bought.periodEnd,
        status: 'paid',
        order: { id: bought.orderId, number: bought.orderNumber, status: 'completed' },
        documents: [{ id: bought.invoiceId, kind: 'invoice', number: bought.invoiceNumber }],
      },
    ]);
    expect(read.body).toMatchObject({
      cancel_at_period_end: false,
      cancelled_at: null,
      cancel_reason: null,
      paused_at: null,
      next_period: null,
      saved_card: null,
    });
  });
});

describe('POST /v1/subscriptions/{id}/cancel|pause|resume|period', () => {
  it('is 404 for an unknown, malformed or another tenant’s id', async () => {
    for (const change of CHANGES) {
      const body = validBody[change];
      expectProblem(await post(crypto.randomUUID(), change, { body }), 404, 'not_found');
      expectProblem(await post('not-a-uuid', change, { body }), 404, 'not_found');
      expectProblem(await post(foreignId, change, { body }), 404, 'not_found');
    }
  });

  it('needs orders:write', async () => {
    const reader = await addApiKey(stack.database.db, tenant.id, ['orders:read']);
    const writer = await addApiKey(stack.database.db, tenant.id, ['orders:write']);
    for (const change of CHANGES) {
      const body = validBody[change];
      expectProblem(await post(orphanId, change, { body, key: reader }), 403, 'missing_scope');
      // Past the scope check: the subscription has no workflow, so the answer is the 409 below.
      expectProblem(await post(orphanId, change, { body, key: writer }), 409, 'subscription_cancelled');
    }
  });

  it('answers 409 subscription_cancelled when the subscription has no workflow to change', async () => {
    for (const change of CHANGES) {
      const answer = await post(orphanId, change, { body: validBody[change] });
      expect(expectProblem(answer, 409, 'subscription_cancelled').detail).toMatch(/ended/);
      // Asked again with an Idempotency-Key: still nothing to ask.
      const keyed = await post(orphanId, change, { body: validBody[change], headers: { 'Idempotency-Key': 'k-1' } });
      expectProblem(keyed, 409, 'subscription_cancelled');
    }
    // An empty body is `{}`: cancel at the period end, pause, resume.
    for (const change of ['cancel', 'pause', 'resume']) {
      expectProblem(await post(orphanId, change, { raw: '' }), 409, 'subscription_cancelled');
    }
  });

  it('refuses malformed bodies with 400 naming the field, before asking the workflow', async () => {
    const fieldErrors = async (change: string, init: Parameters<typeof call>[1], code = 'validation_failed') =>
      (expectProblem(await post(boughtId, change, init), 400, code).errors ?? []).map(
        (e: { code: string; field?: string }) => `${e.code} ${e.field}`,
      );
    expect(await fieldErrors('cancel', { body: { at: 'tomorrow' } })).toEqual(['invalid_value at']);
    expect(await fieldErrors('cancel', { body: { at: 'now', colour: 'red' } })).toEqual(['unknown_field colour']);
    // A wrong type: the field is named (its code is the validation hook's business).
    expect(await fieldErrors('cancel', { body: { reason: 5 } })).toEqual([expect.stringMatching(/ reason$/)]);
    expect(await fieldErrors('cancel', { body: { reason: 'x'.repeat(501) } })).toEqual(['invalid_value reason']);
    expect(await fieldErrors('cancel', { body: { reason: '   ' } })).toEqual(['invalid_value reason']);
    expect(await fieldErrors('cancel', { body: { reason: 'bye\u0000' } }, 'control_character')).toEqual([
      'control_character reason',
    ]);
    expect(await fieldErrors('pause', { body: { until: '2027-01-01' } })).toEqual(['unknown_field until']);
    expect(await fieldErrors('resume', { body: { now: true } })).toEqual(['unknown_field now']);
    expect(await fieldErrors('period', { body: {} })).toEqual(['field_required period_id']);
    expect(await fieldErrors('period', { raw: '' })).toEqual(['field_required period_id']);
    expect(await fieldErrors('period', { body: { period_id: 'yearly' } })).toEqual(['invalid_value period_id']);
    expect(await fieldErrors('period', { body: { period_id: otherPeriodId, code: 'yearly' } })).toEqual([
      'unknown_field code',
    ]);
    expectProblem(await post(boughtId, 'pause', { raw: '{"' }), 400, 'malformed_body');
    const badKey = await post(boughtId, 'pause', { body: {}, headers: { 'Idempotency-Key': 'two words' } });
    expectProblem(badKey, 400, 'validation_failed');
    const text = await post(boughtId, 'pause', { raw: '{}', headers: { 'Content-Type': 'text/plain' } });
    expectProblem(text, 415, 'unsupported_media_type');
    // Nothing was asked: the subscription is as it was.
    const read = await call(`/v1/subscriptions/${boughtId}`);
    expect(read.body).toMatchObject({ status: 'active', cancel_at_period_end: false, paused_at: null });
  });

  it('is in the OpenAPI document', async () => {
    const doc = await call('/openapi.json');
    expect(doc.status).toBe(200);
    for (const change of CHANGES) {
      const operation = doc.body.paths[`/v1/subscriptions/{id}/${change}`]?.post;
      expect(operation, change).toBeDefined();
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['200', '400', '404', '409', '422']));
    }
  });
});

describe('what a refused Update answers', () => {
  // The workflow's refusals as the client reports them; the workflow itself is tested with the workflow.
  const refused = (type: string, code: string, message: string) =>
    new WorkflowUpdateFailedError(
      'Workflow Update failed',
      ApplicationFailure.create({ type, message, details: [code] }),
    );

  it('answers a refusal of the state 409 with its code', () => {
    const problem = subscriptionUpdateProblem(
      refused(SUBSCRIPTION_STATE_CONFLICT, 'subscription_not_paused', 'Only a paused subscription can be resumed'),
      'id',
    );
    expect(problem).toBeInstanceOf(ApiProblem);
    expect(problem).toMatchObject({
      status: 409,
      code: 'subscription_not_paused',
      detail: 'Only a paused subscription can be resumed',
    });
  });

  it('answers refused input 422 with its code and the field named', () => {
    const problem = subscriptionUpdateProblem(
      refused(SUBSCRIPTION_CHANGE_INVALID, 'period_inactive', 'The period is no longer sold'),
      'period_id',
    );
    expect(problem).toMatchObject({
      status: 422,
      code: 'period_inactive',
      errors: [{ code: 'period_inactive', message: 'The period is no longer sold', field: 'period_id' }],
    });
  });

  it('leaves any other failure to the app’s error handling (an outage is a 503 there)', () => {
    const other = new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ type: 'Bug' }));
    expect(subscriptionUpdateProblem(other, 'id')).toBe(other);
    const down = new Error('14 UNAVAILABLE: No connection established');
    expect(subscriptionUpdateProblem(down, 'id')).toBe(down);
  });
});
