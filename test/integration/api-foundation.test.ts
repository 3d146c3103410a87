import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../domain/api-key';
import { addApiKey, createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { startTestStack, type TestStack } from '../helpers/test-stack';

let stack: TestStack;
let tenant: TestTenant;
let other: TestTenant;

beforeAll(async () => {
  stack = await startTestStack({ worker: false });
  tenant = await createTenant(stack.database.db);
  other = await createTenant(stack.database.db);
  const product = await createProduct(stack.database.db, tenant.id, { price: 125_000, name: 'First aid' });
  await createOccurrence(stack.database.db, tenant.id, product, { capacity: 8, name: 'First aid — Oslo' });
});
afterAll(async () => stack.stop());

function call(path: string, init: RequestInit & { key?: string | null } = {}) {
  const headers = new Headers(init.headers);
  if (init.key !== null) headers.set('X-API-Key', init.key ?? tenant.apiKey);
  return fetch(`${stack.baseUrl}${path}`, { ...init, headers });
}

async function expectProblem(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(response.headers.get('x-request-id')).toBeTruthy();
  const body = await jsonOf(response);
  expect(body).toMatchObject({ status, code, title: expect.any(String), type: expect.stringContaining(code) });
  expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  return body;
}

describe('health, readiness and the contract', () => {
  it('GET /health answers without a key', async () => {
    const response = await call('/health', { key: null });
    expect(response.status).toBe(200);
    expect(await jsonOf(response)).toEqual({ status: 'ok' });
  });

  it(
    'GET /ready checks PostgreSQL, Temporal and that a worker polls the task queue ' + '(this stack runs none)',
    async () => {
      const response = await call('/ready', { key: null });
      expect(response.status).toBe(503);
      expect(await jsonOf(response)).toMatchObject({
        status: 'unavailable',
        checks: { postgres: 'ok', temporal: 'ok', worker: expect.stringMatching(/^down: no worker polls/) },
      });
    },
  );

  it('serves the OpenAPI document and the docs page', async () => {
    const doc = await jsonOf(await call('/openapi.json', { key: null }));
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/orders', '/v1/orders/{id}', '/v1/catalog/products', '/v1/catalog/occurrences']),
    );
    expect(doc.components.schemas.OrderRequest.properties).toHaveProperty('payment_method');
    const docs = await call('/docs', { key: null });
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
  });
});

describe('authentication', () => {
  it('401 without a key', async () => {
    const response = await call('/v1/catalog/products', { key: null });
    const body = await expectProblem(response, 401, 'unauthorized');
    expect(body.detail).toMatch(/X-API-Key/);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('401 with an unknown key', async () => {
    await expectProblem(await call('/v1/catalog/products', { key: 'ook_not-a-real-key' }), 401, 'unauthorized');
  });

  it('accepts Authorization: Bearer as well as X-API-Key', async () => {
    const response = await call('/v1/catalog/products', {
      key: null,
      headers: { Authorization: `Bearer ${tenant.apiKey}` },
    });
    expect(response.status).toBe(200);
  });

  it('another tenant sees only its own catalogue', async () => {
    const mine = await jsonOf(await call('/v1/catalog/occurrences'));
    const theirs = await jsonOf(await call('/v1/catalog/occurrences', { key: other.apiKey }));
    expect(mine.data).toHaveLength(1);
    expect(theirs.data).toHaveLength(0);
  });

  it('403 names the missing scope', async () => {
    const readOnly = await addApiKey(stack.database.db, tenant.id, ['orders:read']);
    const response = await call('/v1/orders', {
      key: readOnly,
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    const body = await expectProblem(response, 403, 'missing_scope');
    expect(body.detail).toContain('orders:write');
  });

  it('a revoked key stops working', async () => {
    const key = await addApiKey(stack.database.db, tenant.id, ['orders:read']);
    await stack.database.db
      .updateTable('api_keys')
      .set({ revoked_at: new Date() })
      .where('key_hash', '=', hashApiKey(key))
      .execute();
    // A fresh key is not in the auth cache yet, so the revocation shows at once.
    await expectProblem(await call('/v1/catalog/products', { key }), 401, 'unauthorized');
  });
});

describe('problem+json for every error class', () => {
  const json = { 'Content-Type': 'application/json' };

  it('400 for malformed JSON', async () => {
    await expectProblem(
      await call('/v1/orders', { method: 'POST', headers: json, body: '{"payment_method": "card",' }),
      400,
      'malformed_body',
    );
  });

  it('400 lists every failing field, unknown fields included', async () => {
    const response = await call('/v1/orders', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ payment_method: 'cash', lines: [{ quantity: 'two' }], surprise: true }),
    });
    const body = await expectProblem(response, 400, 'validation_failed');
    const fields = body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['payment_method', 'lines.0.quantity', 'surprise']));
    expect(body.errors.find((e: { field: string }) => e.field === 'surprise').code).toBe('unknown_field');
  });

  it('400 for a bad query parameter', async () => {
    const body = await expectProblem(await call('/v1/catalog/occurrences?limit=5000'), 400, 'validation_failed');
    expect(body.errors[0].field).toBe('limit');
  });

  it('404 for an unknown route and for an unknown order', async () => {
    await expectProblem(await call('/v1/nothing-here'), 404, 'route_not_found');
    await expectProblem(await call(`/v1/orders/${crypto.randomUUID()}`), 404, 'not_found');
    await expectProblem(await call('/v1/orders/not-a-uuid'), 404, 'not_found');
  });

  it('405 with Allow for a wrong method', async () => {
    const response = await call('/v1/catalog/products', { method: 'DELETE' });
    await expectProblem(response, 405, 'method_not_allowed');
    expect(response.headers.get('allow')).toContain('GET');
  });

  it('413 for a body over the limit', async () => {
    const body = JSON.stringify({ payment_method: 'card', lines: [], notes: { internal: 'x'.repeat(2_200_000) } });
    await expectProblem(await call('/v1/orders', { method: 'POST', headers: json, body }), 413, 'payload_too_large');
  });

  it('415 for a body that is not JSON', async () => {
    await expectProblem(
      await call('/v1/orders', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'hello' }),
      415,
      'unsupported_media_type',
    );
  });

  it('400 for a cursor we never handed out', async () => {
    await expectProblem(await call('/v1/catalog/products?cursor=bm9wZQ'), 400, 'cursor_invalid');
  });
});

describe('catalogue reads', () => {
  it('lists occurrences with capacity and seats left', async () => {
    const body = await jsonOf(await call('/v1/catalog/occurrences'));
    expect(body.data[0]).toMatchObject({
      name: 'First aid — Oslo',
      capacity: 8,
      seats_taken: 0,
      seats_left: 8,
      price: 125_000,
      currency: 'nok',
    });
    expect(body.next_cursor).toBeNull();
  });

  it('pages products with a cursor', async () => {
    for (let i = 0; i < 3; i++)
      await createProduct(stack.database.db, tenant.id, { price: 100 * i, type: 'item', name: `Extra ${i}` });
    const first = await jsonOf(await call('/v1/catalog/products?limit=2'));
    expect(first.data).toHaveLength(2);
    const second = await jsonOf(await call(`/v1/catalog/products?limit=2&cursor=${first.next_cursor}`));
    expect(second.data).toHaveLength(2);
    expect(second.next_cursor).toBeNull();
    const ids = [...first.data, ...second.data].map((p: { id: string }) => p.id);
    expect(new Set(ids).size).toBe(4);
  });
});
