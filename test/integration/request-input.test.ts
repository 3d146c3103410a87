import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

// Input that is easy to ignore or misread: unknown query parameters (refused, not ignored),
// order input the order cannot honour (a 422 naming the field), participant addresses
// (returned), chunked bodies (read, not taken for "no body"), repeated participant indexes
// (refused).

let stack: TestStack;
let tenant: TestTenant;
let courseId: string;
let client: ReturnType<typeof orderClient>;

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await createTenant(stack.database.db);
  courseId = await createProduct(stack.database.db, tenant.id, { price: 100_000, name: 'Course' });
  client = orderClient(stack, tenant.apiKey);
});
afterAll(async () => stack.stop());

const headers = (extra: Record<string, string> = {}) => ({
  'X-API-Key': tenant.apiKey,
  'Content-Type': 'application/json',
  ...extra,
});

function call(path: string, init: RequestInit = {}) {
  return fetch(`${stack.baseUrl}${path}`, { ...init, headers: headers(init.headers as Record<string, string>) });
}

type Answer = { status: number; body: any; contentType?: string };

async function expectProblem(response: Response | Answer, status: number, code: string) {
  const body = response instanceof Response ? await jsonOf(response) : response.body;
  const contentType = response instanceof Response ? response.headers.get('content-type') : response.contentType;
  expect({ status: response.status, code: body.code }, JSON.stringify(body)).toEqual({ status, code });
  expect(contentType).toMatch(/^application\/problem\+json/);
  return body;
}

/**
 * Sends the body with Transfer-Encoding: chunked and no Content-Length, one write per chunk,
 * as a streaming client or a proxy that re-chunks does.
 */
function sendChunked(method: string, path: string, chunks: string[], extra: Record<string, string> = {}) {
  return new Promise<Answer>((resolve, reject) => {
    const options = { method, headers: headers({ 'Transfer-Encoding': 'chunked', ...extra }) };
    const request = http.request(new URL(path, stack.baseUrl), options, (response) => {
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        const contentType = response.headers['content-type'];
        resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : null, contentType });
      });
      response.on('error', reject);
    });
    request.on('error', reject);
    expect(request.getHeader('content-length')).toBeUndefined();
    for (const chunk of chunks) request.write(chunk);
    request.end();
  });
}

/** A request with neither Content-Length nor Transfer-Encoding: in HTTP/1.1 it has no body at all. */
function sendWithoutBody(method: string, path: string) {
  return new Promise<Answer>((resolve, reject) => {
    const request = http.request(new URL(path, stack.baseUrl), { method, headers: headers() }, (response) => {
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : null });
      });
      response.on('error', reject);
    });
    request.on('error', reject);
    // node would add `Content-Length: 0`; removing both headers sends neither.
    request.removeHeader('content-length');
    request.removeHeader('transfer-encoding');
    request.end();
  });
}

/** fetch with a stream body: undici sends it chunked too. */
function fetchStreamed(method: string, path: string, text: string) {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const bytes = new TextEncoder().encode(text);
      controller.enqueue(bytes.subarray(0, 5));
      controller.enqueue(bytes.subarray(5));
      controller.close();
    },
  });
  return fetch(`${stack.baseUrl}${path}`, { method, headers: headers(), body, duplex: 'half' } as RequestInit);
}

const people = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => ({ firstname: `P${i}`, lastname: 'Doe', email: `${tag}-${i}@example.com` }));

/** An invoice order for `n` named participants, waited for until it is invoiced. */
async function invoicedOrder(n: number, tag: string, extra: Record<string, unknown> = {}) {
  const occurrence = await createOccurrence(stack.database.db, tenant.id, courseId, { capacity: 20 });
  const placed = await client.placeOrder({
    payment_method: 'invoice',
    booker: { email: `${tag}@example.com` },
    ...extra,
    lines: [{ occurrence_id: occurrence, participants: people(n, tag) }],
  });
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  return { occurrence, order: await client.waitForStatus(placed.body.id, 'invoiced') };
}

describe('B: unknown query parameters are refused on every endpoint that takes query parameters', () => {
  it('GET /v1/invoices?afterNumber=… is a 400 naming the parameter, not a listing from the start', async () => {
    const problem = await expectProblem(await call('/v1/invoices?afterNumber=2026-000001'), 400, 'validation_failed');
    expect(problem.errors).toEqual([expect.objectContaining({ code: 'unknown_field', field: 'afterNumber' })]);
    expect((await call('/v1/invoices?limit=5')).status).toBe(200);
  });

  it('every GET operation with query parameters in the OpenAPI document refuses an unknown one', async () => {
    const doc = await jsonOf(await call('/openapi.json'));
    const withQuery = Object.entries(
      doc.paths as Record<string, Record<string, { parameters?: { in: string }[] }>>,
    ).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, operation]) => operation.parameters?.some((p) => p.in === 'query'))
        .map(([method]) => ({ method, path })),
    );
    expect(withQuery.map((o) => o.path)).toEqual(
      expect.arrayContaining([
        '/v1/orders',
        '/v1/invoices',
        '/v1/customers',
        '/v1/catalog/products',
        '/v1/catalog/occurrences',
        '/v1/catalog/campaigns',
      ]),
    );
    for (const { method, path } of withQuery) {
      const url = `${path.replace(/\{[^}]+\}/g, crypto.randomUUID())}?limit=1&colour=red`;
      const problem = await expectProblem(await call(url, { method: method.toUpperCase() }), 400, 'validation_failed');
      const unknown = expect.objectContaining({ code: 'unknown_field', field: 'colour' });
      expect(problem.errors, `${method} ${path}`).toContainEqual(unknown);
    }
  });
});

describe('C: order input the order cannot honour is a 422 naming the field', () => {
  it('a date on a line whose product has no per-date inventory', async () => {
    const book = await createProduct(stack.database.db, tenant.id, { type: 'item', price: 5_000, name: 'Book' });
    const placed = await client.placeOrder({
      payment_method: 'invoice',
      booker: { email: 'dated-book@example.com' },
      lines: [{ product_id: book, date: '2030-01-15', quantity: 1 }],
    });
    expect(placed.status).toBe(422);
    expect(placed.body.code).toBe('date_not_allowed');
    const error = { code: 'date_not_allowed', field: 'lines.0.date', index: 0 };
    expect(placed.body.errors).toEqual([expect.objectContaining(error)]);
  });

  it('participants: [] on an occurrence line books nobody', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, courseId, { capacity: 5 });
    const placed = await client.placeOrder({
      payment_method: 'invoice',
      booker: { email: 'nobody@example.com' },
      lines: [{ occurrence_id: occurrence, participants: [] }],
    });
    expect(placed.status).toBe(422);
    const error = { code: 'participants_empty', field: 'lines.0.participants' };
    expect(placed.body.errors).toEqual([expect.objectContaining(error)]);
    expect((await client.occurrence(occurrence)).seats_left).toBe(5);
  });

  it("a deactivated product's occurrences are not for sale", async () => {
    const retired = await createProduct(stack.database.db, tenant.id, { price: 80_000, name: 'Retired course' });
    const occurrence = await createOccurrence(stack.database.db, tenant.id, retired, { capacity: 5 });
    const deactivated = await call(`/v1/catalog/products/${retired}`, {
      method: 'PATCH',
      body: JSON.stringify({ active: false }),
    });
    expect(deactivated.status).toBe(200);
    const placed = await client.placeOrder({
      payment_method: 'invoice',
      booker: { email: 'retired@example.com' },
      lines: [{ occurrence_id: occurrence, participants: people(1, 'retired') }],
    });
    expect(placed.status).toBe(422);
    const error = { code: 'product_inactive', field: 'lines.0.occurrence_id' };
    expect(placed.body.errors).toEqual([expect.objectContaining(error)]);
    expect((await client.occurrence(occurrence)).seats_left).toBe(5);
  });
});

describe('D: participant addresses are returned', () => {
  it('GET /v1/orders/{id} shows home_address and work_address as given; the OpenAPI schema has them', async () => {
    const home = { line_1: '125 Holburn Lane', zipcode: '0262', city: 'Oslo', country_code: 'NO' };
    const work = { line_1: 'Storgata 1', line_2: '4th floor', city: 'Bergen' };
    const occurrence = await createOccurrence(stack.database.db, tenant.id, courseId, { capacity: 5 });
    const placed = await client.placeOrder({
      payment_method: 'invoice',
      booker: { email: 'addresses@example.com' },
      lines: [
        {
          occurrence_id: occurrence,
          participants: [
            { firstname: 'Ann', lastname: 'Home', email: 'ann@example.com', home_address: home },
            { firstname: 'Bob', lastname: 'Work', email: 'bob@example.com', work_address: work },
          ],
        },
      ],
    });
    expect(placed.status).toBe(201);
    const order = (await client.getOrder(placed.body.id)).body;
    const absent = { line_1: null, line_2: null, line_3: null, zipcode: null, city: null, country_code: null };
    expect(order.participants.map((p: any) => [p.firstname, p.home_address, p.work_address])).toEqual([
      ['Ann', { ...absent, ...home }, null],
      ['Bob', null, { ...absent, ...work }],
    ]);

    const doc = await jsonOf(await call('/openapi.json'));
    const documented = Object.keys(doc.components.schemas.OrderParticipant.properties);
    expect(documented).toEqual(expect.arrayContaining(['home_address', 'work_address']));
  });
});

describe('E: a body without Content-Length is read', () => {
  it('POST /v1/orders/{id}/cancel chunked with participant_indexes cancels only that participant', async () => {
    const { occurrence, order } = await invoicedOrder(2, 'chunked-cancel');
    const response = await sendChunked('POST', `/v1/orders/${order.id}/cancel`, ['{"participant_in', 'dexes":[1]}']);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body).toMatchObject({ full: false, seats_released: 1, status: 'invoiced' });
    const after = (await client.getOrder(order.id)).body;
    expect(after.participants.map((p: { status: string }) => p.status)).toEqual(['active', 'cancelled']);
    expect((await client.occurrence(occurrence)).seats_left).toBe(19);
  });

  it('a chunked body is validated like any other: malformed JSON and unknown fields are 400', async () => {
    const { order } = await invoicedOrder(1, 'chunked-bad');
    const path = `/v1/orders/${order.id}/cancel`;
    await expectProblem(await sendChunked('POST', path, ['{"participant_indexes":', '[0']), 400, 'malformed_body');
    const everyone = await sendChunked('POST', path, ['{"everyone":true}']);
    const unknown = await expectProblem(everyone, 400, 'validation_failed');
    expect(unknown.errors).toEqual([expect.objectContaining({ code: 'unknown_field', field: 'everyone' })]);
    expect((await client.getOrder(order.id)).body.status).toBe('invoiced');
  });

  it('a chunked body over the size limit is 413, as one with a Content-Length is', async () => {
    const { order } = await invoicedOrder(1, 'chunked-large');
    const megabyte = 'x'.repeat(1024 * 1024);
    const chunks = ['{"reason":"', megabyte, megabyte, megabyte, '"}'];
    await expectProblem(await sendChunked('POST', `/v1/orders/${order.id}/cancel`, chunks), 413, 'payload_too_large');
    expect((await client.getOrder(order.id)).body.status).toBe('invoiced');
  });

  it('an empty chunked body is {}, which the schema allows: the whole order is cancelled', async () => {
    const { order } = await invoicedOrder(1, 'chunked-empty');
    const response = await sendChunked('POST', `/v1/orders/${order.id}/cancel`, []);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body).toMatchObject({ full: true, status: 'cancelled' });
  });

  it('a body with neither Content-Length nor Transfer-Encoding is none, read as an empty one: {}', async () => {
    const { order } = await invoicedOrder(1, 'no-body-headers');
    const response = await sendWithoutBody('POST', `/v1/orders/${order.id}/cancel`);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body).toMatchObject({ full: true, status: 'cancelled' });
  });

  it('PUT /v1/invoices/by-external-id/{id}/paid chunked with an amount records only that amount', async () => {
    const externalId = `chunked-${crypto.randomUUID()}`;
    const { order } = await invoicedOrder(1, 'chunked-invoice', { external_id: externalId });
    const chunks = ['{"amount":100,', '"reference":"bank-partial-1"}'];
    const response = await sendChunked('PUT', `/v1/invoices/by-external-id/${externalId}/paid`, chunks);
    expect(response.status, JSON.stringify(response.body)).toBe(204);
    const recorded = await eventually(async () => {
      const current = (await client.getOrder(order.id)).body;
      return current.payments.some((p: { amount: number }) => p.amount === 100) ? current : undefined;
    });
    expect(recorded.status).toBe('invoiced');
    expect(recorded.left_to_pay).toBe(order.left_to_pay - 100);
    expect(recorded.documents.find((d: { kind: string }) => d.kind === 'invoice').status).toBe('open');
  });

  it('POST /v1/orders/{id}/payments chunked or streamed: saved_card_id is read and checked', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, courseId, { capacity: 5 });
    const placed = await client.placeOrder({
      payment_method: 'card',
      booker: { email: 'chunked-card@example.com' },
      lines: [{ occurrence_id: occurrence, quantity: 1 }],
    });
    expect(placed.status).toBe(201);
    const body = JSON.stringify({ saved_card_id: crypto.randomUUID() });
    const path = `/v1/orders/${placed.body.id}/payments`;
    const chunked = await sendChunked('POST', path, [body.slice(0, 7), body.slice(7)]);
    const problem = await expectProblem(chunked, 422, 'saved_card_invalid');
    expect(problem.errors).toEqual([expect.objectContaining({ field: 'saved_card_id' })]);
    await expectProblem(await fetchStreamed('POST', path, body), 422, 'saved_card_invalid');
  });

  it('a body that is not JSON is 415 however it is sent', async () => {
    const response = await fetch(`${stack.baseUrl}/v1/orders`, {
      method: 'POST',
      headers: { 'X-API-Key': tenant.apiKey, 'Content-Type': 'text/plain' },
      body: 'hello',
    });
    await expectProblem(response, 415, 'unsupported_media_type');
    const chunked = await sendChunked('POST', '/v1/orders', ['hel', 'lo'], { 'Content-Type': 'text/plain' });
    await expectProblem(chunked, 415, 'unsupported_media_type');
  });
});

describe('F: participant indexes are distinct, whole and not negative', () => {
  it('[0, 0], [-1] and [0.5] are 422 participant_indexes_invalid naming the entry; nothing is cancelled', async () => {
    const { occurrence, order } = await invoicedOrder(2, 'indexes');
    const cancel = (body: unknown) =>
      call(`/v1/orders/${order.id}/cancel`, { method: 'POST', body: JSON.stringify(body) });
    const cases: [unknown[], string][] = [
      [[0, 0], 'participant_indexes.1'],
      [[-1], 'participant_indexes.0'],
      [[1, 0.5], 'participant_indexes.1'],
    ];
    for (const [indexes, field] of cases) {
      const response = await cancel({ participant_indexes: indexes });
      const problem = await expectProblem(response, 422, 'participant_indexes_invalid');
      const error = expect.objectContaining({ code: 'participant_indexes_invalid', field });
      expect(problem.errors, JSON.stringify(indexes)).toEqual([error]);
    }
    await expectProblem(await cancel({ participant_indexes: ['0'] }), 400, 'validation_failed');

    const after = (await client.getOrder(order.id)).body;
    expect(after.status).toBe('invoiced');
    expect(after.participants.map((p: { status: string }) => p.status)).toEqual(['active', 'active']);
    expect(after.documents.map((d: { kind: string }) => d.kind)).toEqual(['invoice']);
    expect((await client.occurrence(occurrence)).seats_left).toBe(18);
  });
});
