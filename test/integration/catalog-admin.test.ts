import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { findOccurrenceByExternalId, findProductByExternalId } from '../../db/queries/external-ids';
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

function call(path: string, init: { method?: string; body?: unknown; key?: string } = {}) {
  const headers: Record<string, string> = { 'X-API-Key': init.key ?? tenant.apiKey };
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  return fetch(`${stack.baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
}

async function expectProblem(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = await jsonOf(response);
  expect(body).toMatchObject({ status, code, title: expect.any(String) });
  expect(JSON.stringify(body)).not.toMatch(/constraint|violates|at .*\.ts:\d+/);
  return body;
}

function fields(problem: { errors?: { field?: string }[] }) {
  return (problem.errors ?? []).map((e) => e.field);
}

async function newProduct(body: Record<string, unknown> = {}, key?: string) {
  const response = await call('/v1/catalog/products', {
    method: 'POST',
    key,
    body: { type: 'course', name: 'Sailing', price: 250_000, vat_rate: 25, ...body },
  });
  expect(response.status).toBe(201);
  return jsonOf(response);
}

async function newOccurrence(productId: string, body: Record<string, unknown> = {}) {
  const response = await call('/v1/catalog/occurrences', {
    method: 'POST',
    body: {
      product_id: productId,
      name: 'Sailing — June',
      starts_at: '2030-06-01T09:00:00+02:00',
      capacity: 10,
      ...body,
    },
  });
  expect(response.status).toBe(201);
  return jsonOf(response);
}

describe('products', () => {
  it('creates a product and shows it in the list and by id', async () => {
    const response = await call('/v1/catalog/products', {
      method: 'POST',
      body: {
        type: 'course',
        name: 'Navigation',
        description: 'Charts and tides',
        price: 199_900,
        vat_rate: 12.5,
        daily_capacity: null,
      },
    });
    expect(response.status).toBe(201);
    const product = await jsonOf(response);
    expect(response.headers.get('location')).toBe(`/v1/catalog/products/${product.id}`);
    expect(product).toEqual({
      id: expect.any(String),
      type: 'course',
      name: 'Navigation',
      description: 'Charts and tides',
      price: 199_900,
      currency: 'nok',
      vat_rate: 12.5,
      daily_capacity: null,
      active: true,
      requires_approval: false,
      external_id: null,
    });
    const stored = await stack.database.db
      .selectFrom('products')
      .select('vat_rate_bp')
      .where('id', '=', product.id)
      .executeTakeFirstOrThrow();
    expect(stored.vat_rate_bp).toBe(1250);

    const list = await jsonOf(await call('/v1/catalog/products?limit=200'));
    expect(list.data).toContainEqual(product);
    const one = await call(`/v1/catalog/products/${product.id}`, { key: readOnlyKey });
    expect(one.status).toBe(200);
    expect(await jsonOf(one)).toEqual(product);
  });

  it('patches any subset of the fields', async () => {
    const product = await newProduct({ daily_capacity: 20 });
    const response = await call(`/v1/catalog/products/${product.id}`, {
      method: 'PATCH',
      body: { price: 300_000, vat_rate: 15, daily_capacity: null, active: false, requires_approval: true },
    });
    expect(response.status).toBe(200);
    expect(await jsonOf(response)).toEqual({
      ...product,
      price: 300_000,
      vat_rate: 15,
      daily_capacity: null,
      active: false,
      requires_approval: true,
    });
    const renamed = await jsonOf(
      await call(`/v1/catalog/products/${product.id}`, { method: 'PATCH', body: { name: 'Sailing II' } }),
    );
    expect(renamed).toMatchObject({ name: 'Sailing II', price: 300_000, active: false });
  });

  it('404 for an unknown, a foreign or a malformed product id', async () => {
    const theirs = await createProduct(stack.database.db, other.id, { price: 100 });
    await expectProblem(await call(`/v1/catalog/products/${crypto.randomUUID()}`), 404, 'not_found');
    await expectProblem(await call(`/v1/catalog/products/${theirs}`), 404, 'not_found');
    await expectProblem(
      await call(`/v1/catalog/products/${theirs}`, { method: 'PATCH', body: { price: 1 } }),
      404,
      'not_found',
    );
    await expectProblem(
      await call('/v1/catalog/products/not-a-uuid', { method: 'PATCH', body: { price: 1 } }),
      404,
      'not_found',
    );
    const untouched = await stack.database.db
      .selectFrom('products')
      .select('price')
      .where('id', '=', theirs)
      .executeTakeFirstOrThrow();
    expect(untouched.price).toBe(100);
  });

  it('400 problem+json listing every failing field', async () => {
    const response = await call('/v1/catalog/products', {
      method: 'POST',
      body: { type: 'boat', name: '', price: -1, vat_rate: 101, colour: 'red' },
    });
    const body = await expectProblem(response, 400, 'validation_failed');
    expect(fields(body)).toEqual(expect.arrayContaining(['type', 'name', 'price', 'vat_rate', 'colour']));
    expect(body.errors.find((e: { field: string }) => e.field === 'colour').code).toBe('unknown_field');
    const missing = await expectProblem(
      await call('/v1/catalog/products', { method: 'POST', body: { type: 'item' } }),
      400,
      'validation_failed',
    );
    expect(missing.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'price', code: 'field_required' })]),
    );
  });
});

describe('occurrences', () => {
  it('creates an occurrence and shows it in the list and by id', async () => {
    const product = await newProduct({ price: 120_000 });
    const response = await call('/v1/catalog/occurrences', {
      method: 'POST',
      body: {
        product_id: product.id,
        name: 'Sailing — May',
        starts_at: '2030-05-01T09:00:00+02:00',
        ends_at: '2030-05-01T15:00:00+02:00',
        capacity: 12,
      },
    });
    expect(response.status).toBe(201);
    const occurrence = await jsonOf(response);
    expect(response.headers.get('location')).toBe(`/v1/catalog/occurrences/${occurrence.id}`);
    expect(occurrence).toEqual({
      id: expect.any(String),
      product_id: product.id,
      name: 'Sailing — May',
      starts_at: '2030-05-01T07:00:00.000Z',
      ends_at: '2030-05-01T13:00:00.000Z',
      capacity: 12,
      seats_taken: 0,
      seats_left: 12,
      price: 120_000,
      currency: 'nok',
      status: 'scheduled',
      resource: null,
      external_id: null,
    });

    const list = await jsonOf(await call(`/v1/catalog/occurrences?product_id=${product.id}`));
    expect(list.data).toEqual([occurrence]);
    const one = await call(`/v1/catalog/occurrences/${occurrence.id}`, { key: readOnlyKey });
    expect(one.status).toBe(200);
    expect(await jsonOf(one)).toEqual(occurrence);

    const ownPrice = await newOccurrence(product.id, { price: 99_000 });
    expect(ownPrice.price).toBe(99_000);
    const backToProductPrice = await jsonOf(
      await call(`/v1/catalog/occurrences/${ownPrice.id}`, { method: 'PATCH', body: { price: null } }),
    );
    expect(backToProductPrice.price).toBe(120_000);
  });

  it('422 product_identifier_invalid for a product of another tenant or none', async () => {
    const theirs = await createProduct(stack.database.db, other.id, { price: 100 });
    for (const productId of [theirs, crypto.randomUUID()]) {
      const response = await call('/v1/catalog/occurrences', {
        method: 'POST',
        body: { product_id: productId, name: 'X', starts_at: '2030-06-01T09:00:00Z', capacity: 1 },
      });
      const body = await expectProblem(response, 422, 'product_identifier_invalid');
      expect(fields(body)).toEqual(['product_id']);
    }
  });

  it('422 occurrence_invalid when it would end before it starts', async () => {
    const product = await newProduct();
    const created = await call('/v1/catalog/occurrences', {
      method: 'POST',
      body: {
        product_id: product.id,
        name: 'X',
        starts_at: '2030-06-01T09:00:00Z',
        ends_at: '2030-06-01T08:00:00Z',
        capacity: 1,
      },
    });
    expect(fields(await expectProblem(created, 422, 'occurrence_invalid'))).toEqual(['ends_at']);
    const occurrence = await newOccurrence(product.id, { ends_at: '2030-06-01T17:00:00+02:00' });
    const moved = await call(`/v1/catalog/occurrences/${occurrence.id}`, {
      method: 'PATCH',
      body: { starts_at: '2030-06-02T09:00:00Z' },
    });
    await expectProblem(moved, 422, 'occurrence_invalid');
    const both = await call(`/v1/catalog/occurrences/${occurrence.id}`, {
      method: 'PATCH',
      body: { starts_at: '2030-06-02T09:00:00Z', ends_at: '2030-06-02T12:00:00Z' },
    });
    expect(both.status).toBe(200);
  });

  it('capacity never drops below the seats taken', async () => {
    const product = await newProduct();
    const occurrence = await newOccurrence(product.id, { capacity: 10 });
    // Seats held by orders in flight.
    await stack.database.db
      .updateTable('occurrences')
      .set({ seats_taken: 6 })
      .where('id', '=', occurrence.id)
      .execute();

    const below = await call(`/v1/catalog/occurrences/${occurrence.id}`, {
      method: 'PATCH',
      body: { capacity: 5, name: 'Renamed' },
    });
    const problem = await expectProblem(below, 409, 'capacity_below_seats_taken');
    expect(problem.detail).toContain('6 seat(s)');
    const unchanged = await jsonOf(await call(`/v1/catalog/occurrences/${occurrence.id}`));
    expect(unchanged).toMatchObject({ capacity: 10, seats_taken: 6, name: 'Sailing — June' });

    const exact = await call(`/v1/catalog/occurrences/${occurrence.id}`, { method: 'PATCH', body: { capacity: 6 } });
    expect(exact.status).toBe(200);
    expect(await jsonOf(exact)).toMatchObject({ capacity: 6, seats_taken: 6, seats_left: 0 });

    const more = await jsonOf(
      await call(`/v1/catalog/occurrences/${occurrence.id}`, {
        method: 'PATCH',
        body: { capacity: 20, status: 'cancelled' },
      }),
    );
    expect(more).toMatchObject({ capacity: 20, seats_left: 14, status: 'cancelled' });
  });

  it('lowering the capacity while seats are being held never oversells', async () => {
    const product = await newProduct();
    const occurrence = await newOccurrence(product.id, { capacity: 10 });
    const { db } = stack.database;
    // What db/queries/seat-holds does for an order: one conditional increment.
    const hold = () =>
      db
        .updateTable('occurrences')
        .set({ seats_taken: sql`seats_taken + 1` })
        .where('id', '=', occurrence.id)
        .where(sql<boolean>`seats_taken + 1 <= capacity`)
        .returning('seats_taken')
        .executeTakeFirst();
    const shrink = (capacity: number) =>
      call(`/v1/catalog/occurrences/${occurrence.id}`, { method: 'PATCH', body: { capacity } });
    const results = await Promise.all([...Array.from({ length: 8 }, hold), shrink(6), shrink(5), shrink(4), shrink(3)]);
    const responses = results.filter((r): r is Response => r instanceof Response);
    for (const response of responses) {
      expect([200, 409]).toContain(response.status);
      if (response.status === 409) expect((await jsonOf(response)).code).toBe('capacity_below_seats_taken');
    }
    const final = await jsonOf(await call(`/v1/catalog/occurrences/${occurrence.id}`));
    expect(final.seats_taken).toBeLessThanOrEqual(final.capacity);
    expect(final.seats_left).toBeGreaterThanOrEqual(0);
  });

  it("404 for another tenant's, an unknown or a malformed occurrence", async () => {
    const theirProduct = await createProduct(stack.database.db, other.id, { price: 100 });
    const theirs = await jsonOf(
      await call('/v1/catalog/occurrences', {
        method: 'POST',
        key: other.apiKey,
        body: { product_id: theirProduct, name: 'Theirs', starts_at: '2030-06-01T09:00:00Z', capacity: 3 },
      }),
    );
    await expectProblem(
      await call(`/v1/catalog/occurrences/${theirs.id}`, { method: 'PATCH', body: { capacity: 0 } }),
      404,
      'not_found',
    );
    await expectProblem(await call(`/v1/catalog/occurrences/${theirs.id}`), 404, 'not_found');
    await expectProblem(
      await call(`/v1/catalog/occurrences/${crypto.randomUUID()}`, { method: 'PATCH', body: { capacity: 1 } }),
      404,
      'not_found',
    );
    await expectProblem(
      await call('/v1/catalog/occurrences/42', { method: 'PATCH', body: { capacity: 1 } }),
      404,
      'not_found',
    );
    const still = await jsonOf(await call(`/v1/catalog/occurrences/${theirs.id}`, { key: other.apiKey }));
    expect(still.capacity).toBe(3);
  });
});

describe('the catalog:admin scope', () => {
  it('403 missing_scope for every write without it; reads stay open', async () => {
    const product = await newProduct();
    const occurrence = await newOccurrence(product.id);
    const writes: [string, string, unknown][] = [
      ['POST', '/v1/catalog/products', { type: 'item', name: 'X', price: 1, vat_rate: 25 }],
      ['PATCH', `/v1/catalog/products/${product.id}`, { price: 1 }],
      [
        'POST',
        '/v1/catalog/occurrences',
        { product_id: product.id, name: 'X', starts_at: '2030-06-01T09:00:00Z', capacity: 1 },
      ],
      ['PATCH', `/v1/catalog/occurrences/${occurrence.id}`, { capacity: 1 }],
      ['PUT', '/v1/catalog/exchange-rates/eur', { rate: '0.09' }],
      ['POST', '/v1/catalog/campaigns', { code: 'NOPE', kind: 'percent', percent: 10 }],
      ['POST', '/v1/catalog/vouchers', { kind: 'percent', percent: 10 }],
    ];
    for (const [method, path, body] of writes) {
      const problem = await expectProblem(await call(path, { method, body, key: readOnlyKey }), 403, 'missing_scope');
      expect(problem.detail).toContain('catalog:admin');
    }
    for (const path of [
      '/v1/catalog/products',
      `/v1/catalog/products/${product.id}`,
      `/v1/catalog/occurrences/${occurrence.id}`,
      '/v1/catalog/exchange-rates',
      '/v1/catalog/campaigns',
    ]) {
      expect((await call(path, { key: readOnlyKey })).status).toBe(200);
    }
    expect((await jsonOf(await call(`/v1/catalog/products/${product.id}`))).price).toBe(250_000);
  });
});

describe('exchange rates', () => {
  it('upserts: the second value wins', async () => {
    const first = await call('/v1/catalog/exchange-rates/eur', { method: 'PUT', body: { rate: '0.0853' } });
    expect(first.status).toBe(200);
    expect(await jsonOf(first)).toEqual({
      base_currency: 'nok',
      currency: 'eur',
      rate: '0.0853',
      updated_at: expect.any(String),
    });
    const second = await jsonOf(
      await call('/v1/catalog/exchange-rates/eur', { method: 'PUT', body: { rate: '0.0861' } }),
    );
    expect(second.rate).toBe('0.0861');
    await call('/v1/catalog/exchange-rates/sek', { method: 'PUT', body: { rate: '1' } });

    const list = await jsonOf(await call('/v1/catalog/exchange-rates'));
    expect(list.data).toEqual([
      { base_currency: 'nok', currency: 'eur', rate: '0.0861', updated_at: expect.any(String) },
      { base_currency: 'nok', currency: 'sek', rate: '1', updated_at: expect.any(String) },
    ]);
    expect((await jsonOf(await call('/v1/catalog/exchange-rates', { key: other.apiKey }))).data).toEqual([]);
  });

  it('422 for the base currency, 400 for a rate that is not a positive decimal', async () => {
    const base = await expectProblem(
      await call('/v1/catalog/exchange-rates/nok', { method: 'PUT', body: { rate: '1.5' } }),
      422,
      'exchange_rate_base_currency',
    );
    expect(fields(base)).toEqual(['currency']);
    for (const rate of ['0', '0.00', '-1', '1e3', '0.12345678901', 0.5]) {
      const body = await expectProblem(
        await call('/v1/catalog/exchange-rates/usd', { method: 'PUT', body: { rate } }),
        400,
        'validation_failed',
      );
      expect(fields(body)).toEqual(['rate']);
    }
    await expectProblem(
      await call('/v1/catalog/exchange-rates/USD', { method: 'PUT', body: { rate: '1' } }),
      400,
      'validation_failed',
    );
  });
});

describe('campaigns', () => {
  it('creates campaigns and lists them with their uses', async () => {
    const product = await newProduct();
    const percent = await call('/v1/catalog/campaigns', {
      method: 'POST',
      body: {
        code: 'Spring-25',
        kind: 'percent',
        percent: 12.5,
        valid_from: '2030-03-01T00:00:00Z',
        valid_until: '2030-06-01T00:00:00Z',
        max_uses: 100,
        product_ids: [product.id],
      },
    });
    expect(percent.status).toBe(201);
    expect(await jsonOf(percent)).toMatchObject({
      code: 'Spring-25',
      kind: 'percent',
      percent: 12.5,
      amount: null,
      uses: 0,
      max_uses: 100,
      product_ids: [product.id],
      valid_from: '2030-03-01T00:00:00.000Z',
    });
    const amount = await call('/v1/catalog/campaigns', {
      method: 'POST',
      body: { code: 'AMOUNT_100', kind: 'amount', amount: 10_000, currency: 'nok', min_order_amount: 50_000 },
    });
    expect(amount.status).toBe(201);
    await stack.database.db.updateTable('campaigns').set({ uses: 7 }).where('code', '=', 'AMOUNT_100').execute();

    const list = await jsonOf(await call('/v1/catalog/campaigns'));
    expect(list.data.map((c: { code: string; uses: number }) => [c.code, c.uses])).toEqual([
      ['AMOUNT_100', 7],
      ['Spring-25', 0],
    ]);
    const paged = await jsonOf(await call('/v1/catalog/campaigns?limit=1'));
    expect(paged.data).toHaveLength(1);
    const rest = await jsonOf(await call(`/v1/catalog/campaigns?limit=1&cursor=${paged.next_cursor}`));
    expect(rest.data.map((c: { code: string }) => c.code)).toEqual(['Spring-25']);
    expect(rest.next_cursor).toBeNull();
  });

  it('409 campaign_code_taken, case-insensitively; another tenant may use the code', async () => {
    const body = { code: 'SUMMER', kind: 'percent', percent: 10 };
    expect((await call('/v1/catalog/campaigns', { method: 'POST', body })).status).toBe(201);
    await expectProblem(
      await call('/v1/catalog/campaigns', { method: 'POST', body: { ...body, code: 'summer' } }),
      409,
      'campaign_code_taken',
    );
    expect((await call('/v1/catalog/campaigns', { method: 'POST', body, key: other.apiKey })).status).toBe(201);
  });

  it('422 campaign_invalid names the fields the kind needs', async () => {
    const noPercent = await expectProblem(
      await call('/v1/catalog/campaigns', { method: 'POST', body: { code: 'P1', kind: 'percent', amount: 100 } }),
      422,
      'campaign_invalid',
    );
    expect(fields(noPercent)).toEqual(['percent', 'amount']);
    const noCurrency = await expectProblem(
      await call('/v1/catalog/campaigns', { method: 'POST', body: { code: 'A1', kind: 'amount', amount: 100 } }),
      422,
      'campaign_invalid',
    );
    expect(noCurrency.errors).toEqual([expect.objectContaining({ code: 'field_required', field: 'currency' })]);
    const backwards = await call('/v1/catalog/campaigns', {
      method: 'POST',
      body: {
        code: 'W1',
        kind: 'percent',
        percent: 5,
        valid_from: '2030-06-01T00:00:00Z',
        valid_until: '2030-05-01T00:00:00Z',
      },
    });
    expect(fields(await expectProblem(backwards, 422, 'campaign_invalid'))).toEqual(['valid_until']);
    const shape = await expectProblem(
      await call('/v1/catalog/campaigns', {
        method: 'POST',
        body: { code: 'bad code!', kind: 'percent', percent: 150 },
      }),
      400,
      'validation_failed',
    );
    expect(fields(shape)).toEqual(expect.arrayContaining(['code', 'percent']));
  });

  it('422 product_identifier_invalid for products not in the catalogue', async () => {
    const mine = await newProduct();
    const theirs = await createProduct(stack.database.db, other.id, { price: 100 });
    const response = await call('/v1/catalog/campaigns', {
      method: 'POST',
      body: { code: 'ONLY', kind: 'percent', percent: 10, product_ids: [mine.id, theirs] },
    });
    const body = await expectProblem(response, 422, 'product_identifier_invalid');
    expect(body.errors).toEqual([expect.objectContaining({ field: 'product_ids.1', index: 1 })]);
  });
});

describe('vouchers', () => {
  it('generates a code when none is given', async () => {
    const response = await call('/v1/catalog/vouchers', {
      method: 'POST',
      body: { kind: 'value', value: 50_000, currency: 'nok', valid_until: '2031-01-01T00:00:00Z' },
    });
    expect(response.status).toBe(201);
    const voucher = await jsonOf(response);
    expect(voucher).toMatchObject({
      kind: 'value',
      initial_value: 50_000,
      remaining_value: 50_000,
      currency: 'nok',
      percent: null,
      redeemed_at: null,
      valid_until: '2031-01-01T00:00:00.000Z',
    });
    expect(voucher.code).toMatch(/^GIFT-[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{8}$/);
    const another = await jsonOf(
      await call('/v1/catalog/vouchers', { method: 'POST', body: { kind: 'percent', percent: 20 } }),
    );
    expect(another).toMatchObject({ kind: 'percent', percent: 20, initial_value: null, currency: null });
    expect(another.code).not.toBe(voucher.code);
  });

  it('409 voucher_code_taken for a code in use, whatever its case', async () => {
    expect(
      (
        await call('/v1/catalog/vouchers', {
          method: 'POST',
          body: { code: 'Gift-Anna', kind: 'percent', percent: 50 },
        })
      ).status,
    ).toBe(201);
    await expectProblem(
      await call('/v1/catalog/vouchers', { method: 'POST', body: { code: 'GIFT-ANNA', kind: 'percent', percent: 10 } }),
      409,
      'voucher_code_taken',
    );
  });

  it('422 voucher_invalid names the fields the kind needs', async () => {
    const body = await expectProblem(
      await call('/v1/catalog/vouchers', { method: 'POST', body: { kind: 'value', value: 100, percent: 5 } }),
      422,
      'voucher_invalid',
    );
    expect(fields(body)).toEqual(['currency', 'percent']);
  });
});

describe('external ids', () => {
  // Unique per test: the tenant is shared by the whole file.
  const externalId = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}`;

  it('set on create, shown in every read, changed and cleared by PATCH, resolved to our id', async () => {
    const courseDate = externalId('12792066');
    const product = await newProduct({ external_id: externalId('25883') });
    const occurrence = await newOccurrence(product.id, { external_id: courseDate });
    expect(occurrence.external_id).toBe(courseDate);
    expect(await findProductByExternalId(stack.database.db, tenant.id, product.external_id)).toBe(product.id);
    expect(await findOccurrenceByExternalId(stack.database.db, tenant.id, courseDate)).toEqual({
      id: occurrence.id,
      productId: product.id,
    });
    // Another tenant's ids resolve to nothing here.
    expect(await findProductByExternalId(stack.database.db, other.id, product.external_id)).toBeUndefined();
    expect(await findOccurrenceByExternalId(stack.database.db, other.id, courseDate)).toBeUndefined();

    expect(await jsonOf(await call(`/v1/catalog/products/${product.id}`))).toMatchObject({
      external_id: product.external_id,
    });
    expect(await jsonOf(await call(`/v1/catalog/occurrences/${occurrence.id}`))).toEqual(occurrence);
    const listed = await jsonOf(await call(`/v1/catalog/occurrences?product_id=${product.id}`));
    expect(listed.data).toEqual([occurrence]);

    const renamed = externalId('renamed');
    const changed = await call(`/v1/catalog/products/${product.id}`, {
      method: 'PATCH',
      body: { external_id: renamed },
    });
    expect(changed.status).toBe(200);
    expect(await jsonOf(changed)).toEqual({ ...product, external_id: renamed });
    expect(await findProductByExternalId(stack.database.db, tenant.id, renamed)).toBe(product.id);
    expect(await findProductByExternalId(stack.database.db, tenant.id, product.external_id)).toBeUndefined();
    // A patch that does not name it leaves it as it is.
    const untouched = await jsonOf(
      await call(`/v1/catalog/products/${product.id}`, { method: 'PATCH', body: { name: 'Sailing III' } }),
    );
    expect(untouched.external_id).toBe(renamed);

    const cleared = await call(`/v1/catalog/products/${product.id}`, { method: 'PATCH', body: { external_id: null } });
    expect(await jsonOf(cleared)).toMatchObject({ id: product.id, external_id: null });
    expect(await findProductByExternalId(stack.database.db, tenant.id, renamed)).toBeUndefined();

    const clearedOccurrence = await call(`/v1/catalog/occurrences/${occurrence.id}`, {
      method: 'PATCH',
      body: { external_id: null, capacity: 11 },
    });
    expect(await jsonOf(clearedOccurrence)).toMatchObject({ capacity: 11, external_id: null });
    expect(await findOccurrenceByExternalId(stack.database.db, tenant.id, courseDate)).toBeUndefined();
    // Freed, the id can be given to another occurrence.
    const again = await newOccurrence(product.id, { external_id: courseDate });
    expect(await findOccurrenceByExternalId(stack.database.db, tenant.id, courseDate)).toEqual({
      id: again.id,
      productId: product.id,
    });
  });

  it('409 external_id_taken for a second product or occurrence of the tenant; another tenant may use it', async () => {
    const id = externalId('adeprimo_digital');
    const product = await newProduct({ external_id: id });
    const problem = await expectProblem(
      await call('/v1/catalog/products', {
        method: 'POST',
        body: { type: 'item', name: 'Other', price: 100, vat_rate: 25, external_id: id },
      }),
      409,
      'external_id_taken',
    );
    expect(problem.detail).toContain(id);
    const second = await newProduct();
    await expectProblem(
      await call(`/v1/catalog/products/${second.id}`, { method: 'PATCH', body: { external_id: id } }),
      409,
      'external_id_taken',
    );
    expect((await jsonOf(await call(`/v1/catalog/products/${second.id}`))).external_id).toBeNull();
    // Ids match exactly: another case is another id.
    const upper = await newProduct({ external_id: id.toUpperCase() });
    expect(upper.external_id).toBe(id.toUpperCase());
    // Unique per table: an occurrence may carry the id its product has.
    const occurrence = await newOccurrence(product.id, { external_id: id });
    await expectProblem(
      await call('/v1/catalog/occurrences', {
        method: 'POST',
        body: {
          product_id: product.id,
          name: 'Again',
          starts_at: '2030-07-01T09:00:00Z',
          capacity: 1,
          external_id: id,
        },
      }),
      409,
      'external_id_taken',
    );
    const otherOccurrence = await newOccurrence(product.id);
    await expectProblem(
      await call(`/v1/catalog/occurrences/${otherOccurrence.id}`, { method: 'PATCH', body: { external_id: id } }),
      409,
      'external_id_taken',
    );
    // Setting an entity's own id again is no conflict.
    const same = await call(`/v1/catalog/occurrences/${occurrence.id}`, { method: 'PATCH', body: { external_id: id } });
    expect(same.status).toBe(200);

    const foreign = await newProduct({ external_id: id }, other.apiKey);
    expect(foreign.external_id).toBe(id);
    expect(await findProductByExternalId(stack.database.db, other.id, id)).toBe(foreign.id);
    expect(await findProductByExternalId(stack.database.db, tenant.id, id)).toBe(product.id);
  });

  it('concurrent creates with one external id: one 201, the rest 409', async () => {
    const id = externalId('race');
    const products = await Promise.all(
      Array.from({ length: 5 }, () =>
        call('/v1/catalog/products', {
          method: 'POST',
          body: { type: 'course', name: 'Race', price: 1000, vat_rate: 25, external_id: id },
        }),
      ),
    );
    expect(products.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409]);
    for (const answer of products.filter((a) => a.status === 409))
      await expectProblem(answer, 409, 'external_id_taken');

    const product = await newProduct();
    const occurrences = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        call('/v1/catalog/occurrences', {
          method: 'POST',
          body: {
            product_id: product.id,
            name: `Race ${i}`,
            starts_at: '2030-08-01T09:00:00Z',
            capacity: 5,
            external_id: id,
          },
        }),
      ),
    );
    expect(occurrences.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409]);
    for (const answer of occurrences.filter((a) => a.status === 409))
      await expectProblem(answer, 409, 'external_id_taken');
  });

  it('400 for an empty, a 129-character or a control-character external id; 128 characters are fine', async () => {
    const product = await newProduct();
    for (const [externalIdValue, code] of [
      ['', 'validation_failed'],
      ['x'.repeat(129), 'validation_failed'],
      ['a\u0000b', 'control_character'],
      ['a\u007fb', 'control_character'],
      [42, 'validation_failed'],
    ] as const) {
      const created = await expectProblem(
        await call('/v1/catalog/products', {
          method: 'POST',
          body: { type: 'course', name: 'Bad', price: 1, vat_rate: 25, external_id: externalIdValue },
        }),
        400,
        code,
      );
      expect(fields(created)).toEqual(['external_id']);
      await expectProblem(
        await call(`/v1/catalog/products/${product.id}`, { method: 'PATCH', body: { external_id: externalIdValue } }),
        400,
        code,
      );
      await expectProblem(
        await call('/v1/catalog/occurrences', {
          method: 'POST',
          body: {
            product_id: product.id,
            name: 'Bad',
            starts_at: '2030-06-01T09:00:00Z',
            capacity: 1,
            external_id: externalIdValue,
          },
        }),
        400,
        code,
      );
    }
    expect((await jsonOf(await call(`/v1/catalog/products/${product.id}`))).external_id).toBeNull();
    // Characters, not bytes or UTF-16 units: 128 of "å" or of an emoji are 128.
    for (const character of ['x', 'å', '🙂']) {
      const long = crypto.randomUUID().slice(0, 8) + character.repeat(120);
      const made = await newProduct({ external_id: long });
      expect(made.external_id).toBe(long);
    }
    // The table refuses it too, whatever path a write takes.
    await expect(
      sql`UPDATE products SET external_id = ${'x'.repeat(129)} WHERE id = ${product.id}`.execute(stack.database.db),
    ).rejects.toThrow(/check constraint/);
    await expect(
      sql`UPDATE products SET external_id = ${'a\u0001b'} WHERE id = ${product.id}`.execute(stack.database.db),
    ).rejects.toThrow(/check constraint/);
  });

  it('?external_id= finds exactly the product or occurrence with it', async () => {
    const id = externalId('6789');
    const product = await newProduct({ external_id: id });
    await newProduct({ external_id: `${id}0` });
    const occurrence = await newOccurrence(product.id, { external_id: id });
    await newOccurrence(product.id, { external_id: `${id}0` });

    const products = await jsonOf(await call(`/v1/catalog/products?external_id=${encodeURIComponent(id)}`));
    expect(products.data.map((p: { id: string }) => p.id)).toEqual([product.id]);
    const occurrences = await jsonOf(await call(`/v1/catalog/occurrences?external_id=${encodeURIComponent(id)}`));
    expect(occurrences).toEqual({ data: [occurrence], next_cursor: null });
    // Combined with the other filters, and nothing for an id no entity has (or another case of it).
    const course = await jsonOf(await call(`/v1/catalog/products?type=course&external_id=${encodeURIComponent(id)}`));
    expect(course.data).toHaveLength(1);
    const item = await jsonOf(await call(`/v1/catalog/products?type=item&external_id=${encodeURIComponent(id)}`));
    expect(item.data).toEqual([]);
    const upper = await jsonOf(await call(`/v1/catalog/products?external_id=${encodeURIComponent(id.toUpperCase())}`));
    expect(upper.data).toEqual([]);
    // Another tenant's list does not see it.
    const foreign = await jsonOf(
      await call(`/v1/catalog/products?external_id=${encodeURIComponent(id)}`, { key: other.apiKey }),
    );
    expect(foreign.data).toEqual([]);

    await expectProblem(await call('/v1/catalog/products?external_id='), 400, 'validation_failed');
    await expectProblem(await call(`/v1/catalog/occurrences?external_id=${'x'.repeat(129)}`), 400, 'validation_failed');
    await expectProblem(await call('/v1/catalog/occurrences?external_id=a%00b'), 400, 'control_character');
  });
});

describe('the contract', () => {
  it('documents the admin endpoints and their input schemas', async () => {
    const doc = await jsonOf(await fetch(`${stack.baseUrl}/openapi.json`));
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/catalog/products/{id}',
        '/v1/catalog/occurrences/{id}',
        '/v1/catalog/exchange-rates',
        '/v1/catalog/exchange-rates/{currency}',
        '/v1/catalog/campaigns',
        '/v1/catalog/vouchers',
      ]),
    );
    expect(doc.paths['/v1/catalog/products'].post.requestBody.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/ProductCreate',
    );
    for (const name of [
      'ProductCreate',
      'ProductPatch',
      'OccurrenceCreate',
      'OccurrencePatch',
      'ExchangeRatePut',
      'CampaignCreate',
      'VoucherCreate',
    ]) {
      expect(doc.components.schemas[name].additionalProperties).toBe(false);
    }
  });
});
