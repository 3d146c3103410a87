import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { findPeriodByExternalId } from '../../db/queries/external-ids';
import { addApiKey, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { startTestStack, type TestStack } from '../helpers/test-stack';

let stack: TestStack;
let tenant: TestTenant;
let other: TestTenant;
let readOnlyKey: string;

beforeAll(async () => {
  stack = await startTestStack({ worker: false });
  tenant = await createTenant(stack.database.db);
  other = await createTenant(stack.database.db);
  readOnlyKey = await addApiKey(stack.database.db, tenant.id, ['orders:read']);
});
afterAll(async () => stack.stop());

function call(path: string, init: { method?: string; body?: unknown; raw?: string; key?: string } = {}) {
  const headers: Record<string, string> = { 'X-API-Key': init.key ?? tenant.apiKey };
  if (init.body !== undefined || init.raw !== undefined) headers['Content-Type'] = 'application/json';
  const body = init.raw ?? (init.body !== undefined ? JSON.stringify(init.body) : undefined);
  return fetch(`${stack.baseUrl}${path}`, { method: init.method ?? 'GET', headers, ...(body ? { body } : {}) });
}

async function expectProblem(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = await jsonOf(response);
  expect(body).toMatchObject({ status, code, title: expect.any(String) });
  expect(JSON.stringify(body)).not.toMatch(/constraint|violates|subscription_periods|at .*\.ts:\d+/);
  return body;
}

async function newProduct(body: Record<string, unknown> = {}, key?: string) {
  const response = await call('/v1/catalog/products', {
    method: 'POST',
    key,
    body: { type: 'subscription', name: 'Daily News', price: 0, vat_rate: 6, ...body },
  });
  expect(response.status).toBe(201);
  return jsonOf(response);
}

const monthly = {
  code: 'monthly',
  name: 'Monthly',
  length_unit: 'month',
  length_count: 1,
  price: 14_900,
  payment_methods: ['card', 'invoice'],
};

async function newPeriod(productId: string, body: Record<string, unknown> = {}) {
  const response = await call(`/v1/catalog/products/${productId}/periods`, {
    method: 'POST',
    body: { ...monthly, ...body },
  });
  expect(response.status, JSON.stringify(await response.clone().json())).toBe(201);
  return jsonOf(response);
}

describe('subscription periods', () => {
  it('creates a period with defaults, and reads it by id and in the list', async () => {
    const product = await newProduct();
    const response = await call(`/v1/catalog/products/${product.id}/periods`, { method: 'POST', body: monthly });
    expect(response.status).toBe(201);
    const period = await jsonOf(response);
    expect(response.headers.get('location')).toBe(`/v1/catalog/products/${product.id}/periods/${period.id}`);
    expect(period).toEqual({
      id: expect.any(String),
      product_id: product.id,
      code: 'monthly',
      name: 'Monthly',
      length_unit: 'month',
      length_count: 1,
      price: 14_900,
      currency: 'nok',
      payment_methods: ['card', 'invoice'],
      trial_days: 0,
      physical: false,
      renewal_notice_days: 7,
      active: true,
      external_id: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const one = await call(`/v1/catalog/products/${product.id}/periods/${period.id}`, { key: readOnlyKey });
    expect(one.status).toBe(200);
    expect(await jsonOf(one)).toEqual(period);

    const all = await newPeriod(product.id, {
      code: 'Yearly-Print',
      name: 'A year in print',
      length_unit: 'year',
      price: 149_000,
      payment_methods: ['invoice', 'invoice'],
      trial_days: 14,
      physical: true,
      renewal_notice_days: 30,
    });
    expect(all).toMatchObject({
      payment_methods: ['invoice'],
      trial_days: 14,
      physical: true,
      renewal_notice_days: 30,
    });
    const list = await jsonOf(await call(`/v1/catalog/products/${product.id}/periods`, { key: readOnlyKey }));
    expect(list).toEqual({ data: [period, all], next_cursor: null });
  });

  it('pages the list by code with a cursor', async () => {
    const product = await newProduct();
    const codes = ['d7', 'b2', 'a1', 'C3', 'e9'];
    for (const code of codes) await newPeriod(product.id, { code });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await jsonOf(await call(`/v1/catalog/products/${product.id}/periods?${query}`));
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((p: { code: string }) => p.code));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(['a1', 'b2', 'C3', 'd7', 'e9']);
    await expectProblem(
      await call(`/v1/catalog/products/${product.id}/periods?cursor=nonsense`),
      400,
      'cursor_invalid',
    );
  });

  it('free periods: price 0 with "free" alone', async () => {
    const product = await newProduct();
    const free = await newPeriod(product.id, {
      code: 'trial-week',
      length_unit: 'day',
      length_count: 7,
      price: 0,
      payment_methods: ['free'],
    });
    expect(free).toMatchObject({ price: 0, payment_methods: ['free'], length_unit: 'day', length_count: 7 });
  });

  it('patches any subset; the code and length are fixed', async () => {
    const product = await newProduct();
    const period = await newPeriod(product.id);
    const response = await call(`/v1/catalog/products/${product.id}/periods/${period.id}`, {
      method: 'PATCH',
      body: { name: 'Month', price: 15_900, payment_methods: ['card'], trial_days: 30, physical: true },
    });
    expect(response.status).toBe(200);
    const changed = await jsonOf(response);
    expect(changed).toEqual({
      ...period,
      name: 'Month',
      price: 15_900,
      payment_methods: ['card'],
      trial_days: 30,
      physical: true,
      updated_at: expect.any(String),
    });
    // To free: price and methods together.
    const free = await jsonOf(
      await call(`/v1/catalog/products/${product.id}/periods/${period.id}`, {
        method: 'PATCH',
        body: { price: 0, payment_methods: ['free'] },
      }),
    );
    expect(free).toMatchObject({ price: 0, payment_methods: ['free'], name: 'Month' });
    const empty = await call(`/v1/catalog/products/${product.id}/periods/${period.id}`, { method: 'PATCH' });
    expect(empty.status).toBe(200);
    for (const body of [{ code: 'other' }, { length_count: 3 }, { length_unit: 'year' }]) {
      const problem = await expectProblem(
        await call(`/v1/catalog/products/${product.id}/periods/${period.id}`, { method: 'PATCH', body }),
        400,
        'validation_failed',
      );
      expect(problem.errors[0].code).toBe('unknown_field');
    }
  });

  it('DELETE deactivates: kept, out of the public catalogue, back with PATCH active', async () => {
    const product = await newProduct();
    const kept = await newPeriod(product.id, { code: 'quarterly', length_unit: 'quarter', price: 39_900 });
    const gone = await newPeriod(product.id, { code: 'weekly', length_unit: 'day', length_count: 7, price: 4_900 });
    const path = `/v1/catalog/products/${product.id}/periods/${gone.id}`;
    for (let i = 0; i < 2; i++) {
      const response = await call(path, { method: 'DELETE' });
      expect(response.status).toBe(200);
      expect(await jsonOf(response)).toMatchObject({ id: gone.id, active: false });
    }
    expect(await jsonOf(await call(path))).toMatchObject({ active: false });
    const inactive = await jsonOf(await call(`/v1/catalog/products/${product.id}/periods?active=false`));
    expect(inactive.data.map((p: { id: string }) => p.id)).toEqual([gone.id]);

    const publicOne = await jsonOf(await call(`/v1/catalog/products/${product.id}`, { key: readOnlyKey }));
    expect(publicOne.periods).toEqual([kept]);
    const publicList = await jsonOf(await call('/v1/catalog/products?type=subscription&limit=200'));
    expect(publicList.data.find((p: { id: string }) => p.id === product.id).periods).toEqual([kept]);

    await call(path, { method: 'PATCH', body: { active: true } });
    const back = await jsonOf(await call(`/v1/catalog/products/${product.id}`));
    expect(back.periods.map((p: { code: string }) => p.code)).toEqual(['quarterly', 'weekly']);
  });

  it('the public catalogue shows periods only on subscription products', async () => {
    const course = await jsonOf(
      await call('/v1/catalog/products', {
        method: 'POST',
        body: { type: 'course', name: 'Sailing', price: 100, vat_rate: 25 },
      }),
    );
    const one = await jsonOf(await call(`/v1/catalog/products/${course.id}`));
    expect(one).not.toHaveProperty('periods');
    const bare = await newProduct();
    expect((await jsonOf(await call(`/v1/catalog/products/${bare.id}`))).periods).toEqual([]);
  });
});

describe('external ids', () => {
  // Seed 002 names a period by the old platform's id; unique per test, the tenant is shared by the file.
  const externalId = () => `5cb804811d41c82b5c518ea8-${crypto.randomUUID().slice(0, 8)}`;

  it('set on create, shown in every read, changed and cleared by PATCH, resolved to our id', async () => {
    const product = await newProduct();
    const id = externalId();
    const period = await newPeriod(product.id, { external_id: id });
    expect(period.external_id).toBe(id);
    expect(await findPeriodByExternalId(stack.database.db, tenant.id, id)).toEqual({
      id: period.id,
      productId: product.id,
    });
    expect(await findPeriodByExternalId(stack.database.db, other.id, id)).toBeUndefined();
    expect(await jsonOf(await call(`/v1/catalog/products/${product.id}/periods/${period.id}`))).toEqual(period);
    const list = await jsonOf(await call(`/v1/catalog/products/${product.id}/periods`));
    expect(list.data).toEqual([period]);
    // The public catalogue's periods carry it too.
    expect((await jsonOf(await call(`/v1/catalog/products/${product.id}`))).periods).toEqual([period]);

    const path = `/v1/catalog/products/${product.id}/periods/${period.id}`;
    const renamed = externalId();
    const changed = await jsonOf(await call(path, { method: 'PATCH', body: { external_id: renamed } }));
    expect(changed).toEqual({ ...period, external_id: renamed, updated_at: expect.any(String) });
    const untouched = await jsonOf(await call(path, { method: 'PATCH', body: { name: 'Month' } }));
    expect(untouched.external_id).toBe(renamed);
    expect(await findPeriodByExternalId(stack.database.db, tenant.id, id)).toBeUndefined();
    const cleared = await jsonOf(await call(path, { method: 'PATCH', body: { external_id: null } }));
    expect(cleared.external_id).toBeNull();
    expect(await findPeriodByExternalId(stack.database.db, tenant.id, renamed)).toBeUndefined();
    // DELETE (deactivation) keeps it.
    await call(path, { method: 'PATCH', body: { external_id: id } });
    const deactivated = await jsonOf(await call(path, { method: 'DELETE' }));
    expect(deactivated).toMatchObject({ active: false, external_id: id });
  });

  it('409 external_id_taken for a second period of the tenant, on any product; another tenant may use it', async () => {
    const id = externalId();
    const product = await newProduct();
    await newPeriod(product.id, { external_id: id });
    const second = await newProduct();
    const problem = await expectProblem(
      await call(`/v1/catalog/products/${second.id}/periods`, {
        method: 'POST',
        body: { ...monthly, external_id: id },
      }),
      409,
      'external_id_taken',
    );
    expect(problem.detail).toContain(id);
    const free = await newPeriod(second.id);
    await expectProblem(
      await call(`/v1/catalog/products/${second.id}/periods/${free.id}`, {
        method: 'PATCH',
        body: { external_id: id },
      }),
      409,
      'external_id_taken',
    );
    // A product may carry the id one of the periods has: unique per table.
    const product2 = await jsonOf(
      await call(`/v1/catalog/products/${second.id}`, { method: 'PATCH', body: { external_id: id } }),
    );
    expect(product2.external_id).toBe(id);

    const foreignProduct = await newProduct({}, other.apiKey);
    const foreign = await call(`/v1/catalog/products/${foreignProduct.id}/periods`, {
      method: 'POST',
      key: other.apiKey,
      body: { ...monthly, external_id: id },
    });
    expect(foreign.status).toBe(201);
    expect(await findPeriodByExternalId(stack.database.db, other.id, id)).toMatchObject({
      productId: foreignProduct.id,
    });
  });

  it('concurrent creates with one external id: one 201, the rest 409', async () => {
    const id = externalId();
    const product = await newProduct();
    const answers = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        call(`/v1/catalog/products/${product.id}/periods`, {
          method: 'POST',
          body: { ...monthly, code: `race-${i}`, external_id: id },
        }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409]);
    for (const answer of answers.filter((a) => a.status === 409)) await expectProblem(answer, 409, 'external_id_taken');
  });

  it('400 for an empty, a 129-character or a control-character external id', async () => {
    const product = await newProduct();
    const period = await newPeriod(product.id);
    for (const [value, code] of [
      ['', 'validation_failed'],
      ['x'.repeat(129), 'validation_failed'],
      ['a\u0000b', 'control_character'],
    ] as const) {
      const created = await expectProblem(
        await call(`/v1/catalog/products/${product.id}/periods`, {
          method: 'POST',
          body: { ...monthly, code: 'other', external_id: value },
        }),
        400,
        code,
      );
      expect(created.errors.map((e: { field?: string }) => e.field)).toEqual(['external_id']);
      await expectProblem(
        await call(`/v1/catalog/products/${product.id}/periods/${period.id}`, {
          method: 'PATCH',
          body: { external_id: value },
        }),
        400,
        code,
      );
    }
    await expect(
      sql`UPDATE subscription_periods SET external_id = '' WHERE id = ${period.id}`.execute(stack.database.db),
    ).rejects.toThrow(/check constraint/);
    const list = await jsonOf(await call(`/v1/catalog/products/${product.id}/periods`));
    expect(list.data).toEqual([period]);
  });

  it('?external_id= on the period list matches exactly', async () => {
    const product = await newProduct();
    const id = externalId();
    const period = await newPeriod(product.id, { external_id: id });
    await newPeriod(product.id, { code: 'yearly', external_id: `${id}0` });
    await newPeriod(product.id, { code: 'weekly' });
    const path = `/v1/catalog/products/${product.id}/periods`;
    expect(await jsonOf(await call(`${path}?external_id=${id}`))).toEqual({ data: [period], next_cursor: null });
    expect((await jsonOf(await call(`${path}?external_id=${id.toUpperCase()}`))).data).toEqual([]);
    expect((await jsonOf(await call(`${path}?external_id=${id}&active=false`))).data).toEqual([]);
    await expectProblem(await call(`${path}?external_id=`), 400, 'validation_failed');
    await expectProblem(await call(`${path}?external_id=a%00b`), 400, 'control_character');
  });
});

describe('refusals', () => {
  it('the table itself refuses a free period with a price and unknown methods', async () => {
    const product = await newProduct();
    const row = {
      tenant_id: tenant.id,
      product_id: product.id,
      name: 'Raw',
      length_unit: 'month' as const,
      length_count: 1,
    };
    const insert = (values: { code: string; price: number; payment_methods: string[] }) =>
      stack.database.db
        .insertInto('subscription_periods')
        .values({ id: crypto.randomUUID(), ...row, ...values, payment_methods: values.payment_methods as 'card'[] })
        .execute();
    await expect(insert({ code: 'a', price: 100, payment_methods: ['free'] })).rejects.toThrow(/check constraint/);
    await expect(insert({ code: 'b', price: 0, payment_methods: ['card'] })).rejects.toThrow(/check constraint/);
    await expect(insert({ code: 'c', price: 100, payment_methods: ['cash'] })).rejects.toThrow(/check constraint/);
    await expect(insert({ code: 'd', price: 100, payment_methods: [] })).rejects.toThrow(/check constraint/);
    await insert({ code: 'e', price: 100, payment_methods: ['card', 'invoice'] });
  });

  it('422 period_invalid with field errors for payment combinations', async () => {
    const product = await newProduct();
    const cases: [Record<string, unknown>, string][] = [
      [{ price: 100, payment_methods: ['free'] }, 'free_period_has_price'],
      [{ price: 100, payment_methods: ['card', 'free'] }, 'free_period_has_price'],
      [{ price: 0, payment_methods: ['card'] }, 'zero_price_not_free'],
      [{ price: 0, payment_methods: ['free', 'invoice'] }, 'zero_price_not_free'],
      [{ payment_methods: [] }, 'payment_methods_empty'],
    ];
    for (const [body, code] of cases) {
      const problem = await expectProblem(
        await call(`/v1/catalog/products/${product.id}/periods`, { method: 'POST', body: { ...monthly, ...body } }),
        422,
        'period_invalid',
      );
      expect(problem.errors).toEqual([{ code, message: expect.any(String), field: 'payment_methods' }]);
    }
    // The same rules on the period as patched.
    const period = await newPeriod(product.id);
    const path = `/v1/catalog/products/${product.id}/periods/${period.id}`;
    const cases2: [Record<string, unknown>, string][] = [
      [{ price: 0 }, 'zero_price_not_free'],
      [{ payment_methods: ['free'] }, 'free_period_has_price'],
      [{ payment_methods: [] }, 'payment_methods_empty'],
    ];
    for (const [body, code] of cases2) {
      const problem = await expectProblem(await call(path, { method: 'PATCH', body }), 422, 'period_invalid');
      expect(problem.errors[0]).toMatchObject({ code, field: 'payment_methods' });
    }
    expect(await jsonOf(await call(path))).toEqual(period);
  });

  it('400 validation_failed for shapes: unknown unit or method, counts out of range, wrong types', async () => {
    const product = await newProduct();
    const cases: [Record<string, unknown>, string][] = [
      [{ length_unit: 'week' }, 'length_unit'],
      [{ length_count: 0 }, 'length_count'],
      [{ length_count: 1.5 }, 'length_count'],
      [{ price: -1 }, 'price'],
      [{ price: '100' }, 'price'],
      [{ payment_methods: ['cash'] }, 'payment_methods.0'],
      [{ payment_methods: 'card' }, 'payment_methods'],
      [{ trial_days: -1 }, 'trial_days'],
      [{ renewal_notice_days: 10_000 }, 'renewal_notice_days'],
      [{ code: 'has space' }, 'code'],
      [{ code: '' }, 'code'],
      [{ name: '   ' }, 'name'],
      [{ physical: 'yes' }, 'physical'],
      [{ price: 1e20 }, 'price'],
      [{ length_count: 2 ** 31 }, 'length_count'],
      [{ name: 'x'.repeat(201) }, 'name'],
    ];
    for (const [body, field] of cases) {
      const problem = await expectProblem(
        await call(`/v1/catalog/products/${product.id}/periods`, { method: 'POST', body: { ...monthly, ...body } }),
        400,
        'validation_failed',
      );
      expect(problem.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const { code: _code, ...withoutCode } = monthly;
    const missing = await expectProblem(
      await call(`/v1/catalog/products/${product.id}/periods`, { method: 'POST', body: withoutCode }),
      400,
      'validation_failed',
    );
    expect(missing.errors).toContainEqual(expect.objectContaining({ code: 'field_required', field: 'code' }));
  });

  it('unknown fields, NUL bytes and broken JSON are 400s', async () => {
    const product = await newProduct();
    const path = `/v1/catalog/products/${product.id}/periods`;
    const unknown = await expectProblem(
      await call(path, { method: 'POST', body: { ...monthly, tenant_id: other.id } }),
      400,
      'validation_failed',
    );
    expect(unknown.errors).toContainEqual(expect.objectContaining({ code: 'unknown_field', field: 'tenant_id' }));
    await expectProblem(
      await call(path, { method: 'POST', body: { ...monthly, name: 'Month\u0000ly' } }),
      400,
      'control_character',
    );
    await expectProblem(
      await call(path, { method: 'POST', body: { ...monthly, code: 'month\u0000' } }),
      400,
      'control_character',
    );
    await expectProblem(await call(path, { method: 'POST', raw: '{"code": "monthly",' }), 400, 'malformed_body');
    const list = await jsonOf(await call(path));
    expect(list.data).toEqual([]);
  });

  it('409 product_not_subscription for any other product type', async () => {
    for (const type of ['course', 'ticket', 'item']) {
      const product = await newProduct({ type, price: 1000 });
      await expectProblem(
        await call(`/v1/catalog/products/${product.id}/periods`, { method: 'POST', body: monthly }),
        409,
        'product_not_subscription',
      );
    }
  });

  it('409 period_code_taken for a code the product has, in any case; other products may reuse it', async () => {
    const product = await newProduct();
    await newPeriod(product.id);
    await expectProblem(
      await call(`/v1/catalog/products/${product.id}/periods`, {
        method: 'POST',
        body: { ...monthly, code: 'MONTHLY' },
      }),
      409,
      'period_code_taken',
    );
    const second = await newProduct();
    await newPeriod(second.id);
  });

  it('concurrent creates of one code: one 201, the rest 409', async () => {
    const product = await newProduct();
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        call(`/v1/catalog/products/${product.id}/periods`, { method: 'POST', body: { ...monthly, code: 'race' } }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409]);
  });

  it("404 for another tenant's product or period, an unknown or malformed id, another product's period", async () => {
    const theirs = await createProduct(stack.database.db, other.id, { price: 100 });
    const theirsPath = `/v1/catalog/products/${theirs}/periods`;
    await expectProblem(await call(theirsPath, { method: 'POST', body: monthly }), 404, 'not_found');
    await expectProblem(await call(theirsPath), 404, 'not_found');
    await expectProblem(await call(`/v1/catalog/products/${crypto.randomUUID()}/periods`), 404, 'not_found');
    await expectProblem(await call('/v1/catalog/products/not-a-uuid/periods'), 404, 'not_found');
    await expectProblem(
      await call('/v1/catalog/products/not-a-uuid/periods', { method: 'POST', body: monthly }),
      404,
      'not_found',
    );

    // A period of ours, asked for by another tenant's key.
    const product = await newProduct();
    const period = await newPeriod(product.id);
    const path = `/v1/catalog/products/${product.id}/periods/${period.id}`;
    await expectProblem(await call(path, { key: other.apiKey }), 404, 'not_found');
    await expectProblem(await call(path, { method: 'PATCH', key: other.apiKey, body: { price: 1 } }), 404, 'not_found');
    await expectProblem(await call(path, { method: 'DELETE', key: other.apiKey }), 404, 'not_found');
    await expectProblem(
      await call(`/v1/catalog/products/${product.id}/periods`, { key: other.apiKey }),
      404,
      'not_found',
    );
    // Under the wrong product of the same tenant, or a malformed period id.
    const another = await newProduct();
    const wrong = `/v1/catalog/products/${another.id}/periods/${period.id}`;
    await expectProblem(await call(wrong), 404, 'not_found');
    await expectProblem(await call(wrong, { method: 'PATCH', body: { price: 1 } }), 404, 'not_found');
    await expectProblem(await call(wrong, { method: 'DELETE' }), 404, 'not_found');
    await expectProblem(await call(`/v1/catalog/products/${product.id}/periods/nope`), 404, 'not_found');
    expect(await jsonOf(await call(path))).toEqual(period);
  });

  it('403 missing_scope for every write without catalog:admin; reads stay open', async () => {
    const product = await newProduct();
    const period = await newPeriod(product.id);
    const base = `/v1/catalog/products/${product.id}/periods`;
    const writes: [string, string, unknown][] = [
      ['POST', base, { ...monthly, code: 'x' }],
      ['PATCH', `${base}/${period.id}`, { price: 1 }],
      ['DELETE', `${base}/${period.id}`, undefined],
    ];
    for (const [method, path, body] of writes) {
      await expectProblem(await call(path, { method, body, key: readOnlyKey }), 403, 'missing_scope');
    }
    expect((await call(base, { key: readOnlyKey })).status).toBe(200);
    expect(await jsonOf(await call(`${base}/${period.id}`, { key: readOnlyKey }))).toEqual(period);
  });
});
