import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addApiKey, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { startTestStack, type TestStack } from '../helpers/test-stack';

// GET/PATCH /v1/settings: the tenant's order policies, merge-patched, range-checked, per tenant.

let stack: TestStack;
let tenant: TestTenant;
let other: TestTenant;

beforeAll(async () => {
  stack = await startTestStack({ worker: false });
  tenant = await createTenant(stack.database.db);
  other = await createTenant(stack.database.db);
});
afterAll(async () => stack.stop());

function settings(key: string, init: { method?: string; body?: string; contentType?: string } = {}) {
  return fetch(`${stack.baseUrl}/v1/settings`, {
    method: init.method ?? 'GET',
    headers: {
      'X-API-Key': key,
      ...(init.body !== undefined ? { 'Content-Type': init.contentType ?? 'application/json' } : {}),
    },
    body: init.body,
  });
}

const patch = (key: string, body: unknown) => settings(key, { method: 'PATCH', body: JSON.stringify(body) });

async function expectProblem(response: Response, status: number, code: string) {
  const body = await jsonOf(response);
  expect(response.status, JSON.stringify(body)).toBe(status);
  expect(body.code).toBe(code);
  return body;
}

describe('GET /v1/settings', () => {
  it("answers the tenant's policies with the defaults of a new tenant", async () => {
    const response = await settings(tenant.apiKey);
    expect(response.status).toBe(200);
    // Other settings join this object over time; these are the order policies of this test.
    expect(await jsonOf(response)).toMatchObject({
      preliminary_minutes: 30,
      late_payment_policy: 'refund',
      cancellation_deadline_hours: 24,
      cancellation_fee_percent: 0,
      invoice_due_days: 14,
      invoice_reminder_interval_days: 7,
      paid_order_deletion: 'refund',
    });
  });

  it('needs settings:read or settings:write', async () => {
    const ordersOnly = await addApiKey(stack.database.db, tenant.id, ['orders:read', 'orders:write']);
    await expectProblem(await settings(ordersOnly), 403, 'missing_scope');
    await expectProblem(await patch(ordersOnly, { invoice_due_days: 30 }), 403, 'missing_scope');
    const reader = await addApiKey(stack.database.db, tenant.id, ['settings:read']);
    expect((await settings(reader)).status).toBe(200);
    await expectProblem(await patch(reader, { invoice_due_days: 30 }), 403, 'missing_scope');
    await expectProblem(await fetch(`${stack.baseUrl}/v1/settings`), 401, 'unauthorized');
  });
});

describe('PATCH /v1/settings', () => {
  it('changes only the settings given and answers them all', async () => {
    const first = await patch(tenant.apiKey, { cancellation_fee_percent: 12.5, cancellation_deadline_hours: 48 });
    expect(first.status).toBe(200);
    expect(await jsonOf(first)).toMatchObject({
      cancellation_fee_percent: 12.5,
      cancellation_deadline_hours: 48,
      invoice_due_days: 14,
    });
    const second = await patch(tenant.apiKey, { invoice_due_days: 30, late_payment_policy: 'rebook' });
    expect(await jsonOf(second)).toMatchObject({
      cancellation_fee_percent: 12.5,
      cancellation_deadline_hours: 48,
      invoice_due_days: 30,
      late_payment_policy: 'rebook',
    });
    // Read back, and stored where the worker reads it.
    expect(await jsonOf(await settings(tenant.apiKey))).toMatchObject({ invoice_due_days: 30 });
    const row = await stack.database.db
      .selectFrom('tenants')
      .select(['cancellation_fee_percent', 'invoice_due_days'])
      .where('id', '=', tenant.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ cancellation_fee_percent: '12.50', invoice_due_days: 30 });
  });

  it('an empty body or no body changes nothing', async () => {
    const before = await jsonOf(await settings(tenant.apiKey));
    const empty = await patch(tenant.apiKey, {});
    expect(empty.status).toBe(200);
    expect(await jsonOf(empty)).toEqual(before);
    const none = await settings(tenant.apiKey, { method: 'PATCH' });
    expect(none.status).toBe(200);
    expect(await jsonOf(none)).toEqual(before);
  });

  it('refuses values out of range with 422 naming each field, and changes nothing', async () => {
    const before = await jsonOf(await settings(tenant.apiKey));
    const body = await expectProblem(
      await patch(tenant.apiKey, {
        cancellation_fee_percent: 101,
        invoice_due_days: 0,
        preliminary_minutes: 20_000,
        cancellation_deadline_hours: -1,
      }),
      422,
      'settings_invalid',
    );
    expect(body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'cancellation_deadline_hours',
      'cancellation_fee_percent',
      'invoice_due_days',
      'preliminary_minutes',
    ]);
    await expectProblem(await patch(tenant.apiKey, { cancellation_fee_percent: 10.125 }), 422, 'settings_invalid');
    await expectProblem(await patch(tenant.apiKey, { late_payment_policy: 'keep' }), 422, 'settings_invalid');
    await expectProblem(await patch(tenant.apiKey, { invoice_due_days: 1.5 }), 422, 'settings_invalid');
    expect(await jsonOf(await settings(tenant.apiKey))).toEqual(before);
  });

  it('refuses wrong types, null and unknown settings as 400 validation_failed', async () => {
    const before = await jsonOf(await settings(tenant.apiKey));
    const unknown = await expectProblem(
      await patch(tenant.apiKey, { invoice_due_days: 20, overbooking_allowed: true }),
      400,
      'validation_failed',
    );
    expect(unknown.errors).toEqual([expect.objectContaining({ code: 'unknown_field', field: 'overbooking_allowed' })]);
    await expectProblem(await patch(tenant.apiKey, { invoice_due_days: '20' }), 400, 'validation_failed');
    await expectProblem(await patch(tenant.apiKey, { invoice_due_days: null }), 400, 'validation_failed');
    await expectProblem(await patch(tenant.apiKey, [1, 2]), 400, 'validation_failed');
    await expectProblem(
      await settings(tenant.apiKey, { method: 'PATCH', body: '{"invoice_due_days":' }),
      400,
      'malformed_body',
    );
    await expectProblem(
      await settings(tenant.apiKey, { method: 'PATCH', body: 'invoice_due_days=3', contentType: 'text/plain' }),
      415,
      'unsupported_media_type',
    );
    expect(await jsonOf(await settings(tenant.apiKey))).toEqual(before);
  });

  it("changes only the caller's tenant", async () => {
    await patch(other.apiKey, { invoice_reminder_interval_days: 3 });
    expect(await jsonOf(await settings(other.apiKey))).toMatchObject({ invoice_reminder_interval_days: 3 });
    expect(await jsonOf(await settings(tenant.apiKey))).toMatchObject({ invoice_reminder_interval_days: 7 });
  });

  it('concurrent patches of different settings both stick', async () => {
    const results = await Promise.all([
      patch(other.apiKey, { invoice_due_days: 21 }),
      patch(other.apiKey, { cancellation_deadline_hours: 2 }),
      patch(other.apiKey, { preliminary_minutes: 45 }),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(await jsonOf(await settings(other.apiKey))).toMatchObject({
      invoice_due_days: 21,
      cancellation_deadline_hours: 2,
      preliminary_minutes: 45,
    });
  });
});
