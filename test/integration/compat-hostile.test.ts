import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOccurrence, createProduct, createTenant, type TestTenant } from '../helpers/fixtures';
import { startTestStack, type TestStack } from '../helpers/test-stack';

// Every adapter's create, as a hostile or unlucky client sends it, with no worker to take an order
// (the workflow's intake does not answer within the request deadline): the same body chunked
// (Transfer-Encoding: chunked, no Content-Length) answers what it answers with a Content-Length; no
// body, a NUL byte and malformed text are refused in the platform's shape (a 4xx; or, where the
// order's own intake is what would refuse it, the 503 with Retry-After of the outage) — never a 500,
// never our problem+json.
// Each adapter's own file tests its shapes in depth; this one holds them all to the same rules.

let stack: TestStack;
let tenant: TestTenant;
let occurrence: string;

interface Adapter {
  name: string;
  path: string;
  contentType: string;
  auth: (key: string) => { headers: Record<string, string>; query: string };
  valid: () => string;
}

const header = (key: string) => ({ headers: { 'X-API-Key': key }, query: '' });
const adapters: Adapter[] = [
  {
    name: 'course-booking',
    path: '/compat/course-booking/v2/orders',
    contentType: 'application/json',
    auth: header,
    valid: () =>
      JSON.stringify({
        coursedate_id: occurrence,
        payment_method: 'invoice',
        booker_email: 'jane@example.com',
        participants: [{ firstname: 'John', lastname: 'Doe', email: 'john@example.com' }],
      }),
  },
  {
    name: 'administrate',
    path: '/compat/administrate/api/v2/orders',
    contentType: 'application/json',
    auth: (key) => ({ headers: { Authorization: `Basic ${Buffer.from(`api:${key}`).toString('base64')}` }, query: '' }),
    valid: () =>
      JSON.stringify({
        contact_id: 'c-1',
        contact: { first_name: 'Jane', last_name: 'Doe', email: 'jane@example.com' },
        currency_id: 'NOK',
        items: [{ event_id: occurrence, quantity: 1 }],
      }),
  },
  {
    name: 'payway',
    path: '/compat/payway/external/api/v2/accounts/create_order',
    contentType: 'application/json',
    auth: (key) => ({ headers: { Authorization: `Bearer ${key}` }, query: '' }),
    // No subscription product in this catalogue: refused by the adapter (422), before any workflow.
    valid: () =>
      JSON.stringify({
        email: 'jane@example.com',
        product_code: 'none',
        period_id: 'none',
        receipt_url: 'https://x.test/',
      }),
  },
  {
    name: 'facility',
    path: '/compat/facility/orders.xml',
    contentType: 'application/xml',
    auth: (key) => ({ headers: {}, query: `?apikey=${encodeURIComponent(key)}&email=jane%40example.com` }),
    valid: () => `<order><items><item><occurrenceid>${occurrence}</occurrenceid></item></items></order>`,
  },
  {
    name: 'venue',
    path: '/compat/venue/order',
    contentType: 'application/json',
    auth: header,
    valid: () =>
      JSON.stringify({
        orderLines: [{ sellableId: occurrence, quantity: 1 }],
        clientName: 'App',
        customer: { email: 'jane@example.com' },
      }),
  },
];

function chunked(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  const middle = Math.ceil(bytes.length / 2);
  const parts = [bytes.slice(0, middle), bytes.slice(middle)].filter((part) => part.length > 0);
  return new ReadableStream({
    pull(controller) {
      const next = parts.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
}

async function send(adapter: Adapter, body: string | undefined, options: { chunked?: boolean } = {}) {
  const { headers, query } = adapter.auth(tenant.apiKey);
  const response = await fetch(`${stack.baseUrl}${adapter.path}${query}`, {
    method: 'POST',
    headers: { 'Content-Type': adapter.contentType, ...headers },
    body: body === undefined ? undefined : options.chunked ? chunked(body) : body,
    ...(options.chunked ? { duplex: 'half' } : {}),
  } as RequestInit);
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type') ?? '', text, response };
}

beforeAll(async () => {
  // No worker: an order that reaches its workflow waits until the request deadline, then 503.
  stack = await startTestStack({ worker: false, requestTimeoutMs: 2_000 });
  tenant = await createTenant(stack.database.db);
  const product = await createProduct(stack.database.db, tenant.id, { type: 'course', price: 10_000, name: 'Course' });
  occurrence = await createOccurrence(stack.database.db, tenant.id, product, { capacity: 10 });
});
afterAll(async () => stack?.stop());

/** A refusal in the platform's shape, or the outage's 503 with Retry-After: anything but a 500. */
function expectRefusedOrUnavailable(answer: Awaited<ReturnType<typeof send>>) {
  expect(answer.status, answer.text).toBeGreaterThanOrEqual(400);
  if (answer.status >= 500) {
    expect(answer.status, answer.text).toBe(503);
    expect(answer.response.headers.get('retry-after')).toBeTruthy();
  }
  expect(answer.type).not.toContain('problem+json');
}

describe.each(adapters)('$name', (adapter) => {
  it('answers a chunked body as it answers the same body with a Content-Length', async () => {
    for (const body of ['{"not": "closed"', adapter.valid().replace(/\d/, 'x'), '']) {
      const plain = await send(adapter, body);
      const streamed = await send(adapter, body, { chunked: true });
      expectRefusedOrUnavailable(plain);
      expect(streamed.status, streamed.text).toBe(plain.status);
      expect(streamed.type).toBe(plain.type);
    }
  });

  it('refuses no body, a NUL byte and malformed text in its own shape', async () => {
    for (const body of [undefined, `${adapter.valid().slice(0, 20)}\u0000${adapter.valid().slice(20)}`, '<<<']) {
      expectRefusedOrUnavailable(await send(adapter, body));
    }
  });

  it('answers a valid body it cannot take now with a 503 and Retry-After (or a 4xx), never a 500', async () => {
    expectRefusedOrUnavailable(await send(adapter, adapter.valid()));
  });
});
