import { XMLParser } from 'fast-xml-parser';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addApiKey, createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

let stack: TestStack;
let tenant: TestTenant;
let other: TestTenant;
let courseA: string;
let courseB: string;
let openDay: string;
let client: ReturnType<typeof orderClient>;
/** The seven orders of this file, in the order they were placed. */
const placed: { id: string; number: number; kind: string }[] = [];
let theirOrderId: string;

function call(path: string, init: { key?: string; accept?: string } = {}) {
  return fetch(`${stack.baseUrl}${path}`, {
    headers: { 'X-API-Key': init.key ?? tenant.apiKey, ...(init.accept ? { Accept: init.accept } : {}) },
  });
}

async function list(query: string, key?: string) {
  const response = await call(`/v1/orders${query ? `?${query}` : ''}`, { key });
  expect(response.status).toBe(200);
  return jsonOf(response);
}

async function ids(query: string, key?: string): Promise<string[]> {
  return (await list(query, key)).data.map((o: { id: string }) => o.id);
}

async function expectProblem(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = await jsonOf(response);
  expect(body).toMatchObject({ status, code });
  return body;
}

async function settle(id: string, status: string) {
  return eventually(async () => {
    const { body } = await client.getOrder(id);
    return body.status === status ? body : undefined;
  });
}

beforeAll(async () => {
  stack = await startTestStack();
  const { db } = stack.database;
  tenant = await createTenant(db);
  other = await createTenant(db);
  const course = await createProduct(db, tenant.id, { price: 100_000, name: 'Kayak' });
  courseA = await createOccurrence(db, tenant.id, course, { capacity: 20, name: 'Kayak — A' });
  courseB = await createOccurrence(db, tenant.id, course, { capacity: 20, name: 'Kayak — B', startsInDays: 20 });
  const free = await createProduct(db, tenant.id, { price: 0, vatRateBp: 0, type: 'ticket', name: 'Open day' });
  openDay = await createOccurrence(db, tenant.id, free, { capacity: 100, name: 'Open day' });
  client = orderClient(stack, tenant.apiKey);

  const orders: [string, Record<string, unknown>][] = [
    [
      'invoice',
      {
        payment_method: 'invoice',
        external_id: 'erp-1',
        booker: { name: 'Alice', email: 'alice@example.com' },
        lines: [
          { occurrence_id: courseA, participants: [{ firstname: 'Bob', lastname: 'Baker', email: 'Bob@Example.com' }] },
        ],
      },
    ],
    [
      'free',
      {
        payment_method: 'free',
        booker: { email: 'carol@example.com' },
        lines: [{ occurrence_id: openDay, quantity: 2 }],
      },
    ],
    [
      'invoice',
      {
        payment_method: 'invoice',
        booker: { name: 'Dave', email: 'dave@example.com' },
        lines: [
          {
            occurrence_id: courseB,
            participants: [
              { firstname: 'Erin', lastname: 'E', email: 'erin@example.com' },
              { firstname: 'Bob', lastname: 'Baker', email: 'bob@example.com' },
            ],
          },
        ],
      },
    ],
    [
      'free',
      {
        payment_method: 'free',
        booker: { email: 'alice@example.com' },
        lines: [{ occurrence_id: openDay, quantity: 1 }],
      },
    ],
    [
      'invoice',
      {
        payment_method: 'invoice',
        external_id: 'erp-5',
        booker: { email: 'frank@example.com' },
        lines: [
          { occurrence_id: courseA, participants: [{ firstname: 'Frank', lastname: 'F', email: 'frank@example.com' }] },
        ],
      },
    ],
    [
      'free',
      {
        payment_method: 'free',
        booker: { email: 'gina@example.com' },
        lines: [{ occurrence_id: openDay, quantity: 1 }],
      },
    ],
    [
      'free',
      {
        payment_method: 'free',
        booker: { email: 'hank@example.com' },
        lines: [{ occurrence_id: openDay, quantity: 1 }],
      },
    ],
  ];
  for (const [kind, body] of orders) {
    const result = await client.placeOrder(body);
    expect(result.status).toBe(201);
    placed.push({ id: result.body.id, number: result.body.number, kind });
  }
  await Promise.all(placed.map((o) => settle(o.id, o.kind === 'invoice' ? 'invoiced' : 'completed')));

  const theirs = await createProduct(db, other.id, { price: 0, vatRateBp: 0, type: 'ticket', name: 'Their day' });
  const theirOccurrence = await createOccurrence(db, other.id, theirs, { capacity: 10 });
  const theirOrder = await orderClient(stack, other.apiKey).placeOrder({
    payment_method: 'free',
    booker: { email: 'alice@example.com' },
    lines: [{ occurrence_id: theirOccurrence }],
  });
  expect(theirOrder.status).toBe(201);
  theirOrderId = theirOrder.body.id;
});
afterAll(async () => stack.stop());

/** The tenant's orders in the documented order, straight from the database. */
async function expectedOrder(): Promise<string[]> {
  const rows = await stack.database.db
    .selectFrom('orders')
    .select('id')
    .where('tenant_id', '=', tenant.id)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map((r) => r.id);
}

async function pageThrough(query: string, accept?: string): Promise<{ pages: string[][] }> {
  const pages: string[][] = [];
  let cursor: string | null = null;
  do {
    const response = await call(`/v1/orders?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, {
      accept,
    });
    expect(response.status).toBe(200);
    if (accept) {
      const xml = new XMLParser({ isArray: (name) => name === 'order', parseTagValue: false }).parse(
        await response.text(),
      );
      pages.push((xml.orders.order ?? []).map((o: { id: string }) => o.id));
      cursor = xml.orders.next_cursor || null;
    } else {
      const body = await jsonOf(response);
      pages.push(body.data.map((o: { id: string }) => o.id));
      cursor = body.next_cursor;
    }
    expect(pages.length).toBeLessThan(20);
  } while (cursor);
  return { pages };
}

describe('GET /v1/orders', () => {
  it('answers compact summaries, newest first', async () => {
    const body = await list('');
    expect(body.data.map((o: { id: string }) => o.id)).toEqual([...placed].reverse().map((o) => o.id));
    const first = body.data.find((o: { id: string }) => o.id === placed[0]!.id);
    expect(first).toEqual({
      id: placed[0]!.id,
      number: placed[0]!.number,
      status: 'invoiced',
      currency: 'nok',
      totals: { before_discounts: 100_000, discounts: 0, excl_vat: 100_000, vat: 25_000, incl_vat: 125_000 },
      payment_method: 'invoice',
      booker_email: 'alice@example.com',
      external_id: 'erp-1',
      external_contact_id: null,
      external_company_id: null,
      origin: 'api',
      preliminary_until: null,
      created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      number_of_participants: 1,
      attention_reason: null,
      ordered_by: expect.objectContaining({ name: 'Alice', email: 'alice@example.com' }),
      lines: [expect.objectContaining({ occurrence_id: courseA, product_name: 'Kayak', incl_vat: 125_000 })],
      left_to_pay: 125_000,
    });
    const free = body.data.find((o: { id: string }) => o.id === placed[1]!.id);
    expect(free).toMatchObject({
      status: 'completed',
      payment_method: 'free',
      left_to_pay: 0,
      number_of_participants: 0,
      external_id: null,
    });
    expect(body.next_cursor).toBeNull();
  });

  it('pages with limit 3 through a stable order, without duplicates or gaps, even with equal timestamps', async () => {
    // Three orders created in the same microsecond: the id decides between them.
    const same = '2026-01-15T10:00:00.123456Z';
    const tied = [placed[1]!.id, placed[2]!.id, placed[3]!.id];
    await stack.database.db.updateTable('orders').set({ created_at: same }).where('id', 'in', tied).execute();
    // And one a microsecond later: a cursor that dropped the microseconds would skip or repeat it.
    await stack.database.db
      .updateTable('orders')
      .set({ created_at: '2026-01-15T10:00:00.123457Z' })
      .where('id', '=', placed[4]!.id)
      .execute();
    try {
      const expected = await expectedOrder();
      const query = 'limit=3&created_from=2020-01-01';
      const { pages } = await pageThrough(query);
      expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
      expect(pages.flat()).toEqual(expected);
      expect(new Set(pages.flat()).size).toBe(7);
      // The same again: the order is stable.
      expect((await pageThrough(query)).pages.flat()).toEqual(expected);
      // Page 2 of a limit-3 walk equals rows 4–6 of one big page.
      expect(pages[1]).toEqual((await ids('limit=200&created_from=2020-01-01')).slice(3, 6));
    } finally {
      await stack.database.db
        .updateTable('orders')
        .set({ created_at: sql`now()` })
        .where('id', 'in', [...tied, placed[4]!.id])
        .execute();
    }
  });

  it('leaves expired preliminary orders out unless asked: include_expired=true or a status filter', async () => {
    const abandoned = placed[1]!.id;
    const all = await ids('limit=200');
    const { status } = await stack.database.db
      .selectFrom('orders')
      .select('status')
      .where('id', '=', abandoned)
      .executeTakeFirstOrThrow();
    // An expired order as the expiry activity leaves it (orders-expiry.test.ts expires them for real).
    await stack.database.db.updateTable('orders').set({ status: 'expired' }).where('id', '=', abandoned).execute();
    try {
      expect(await ids('limit=200')).toEqual(all.filter((id) => id !== abandoned));
      expect(await ids('limit=200&include_expired=true')).toEqual(all);
      expect(await ids('status=expired')).toEqual([abandoned]);
      expect(await ids('limit=200&include_expired=false')).toEqual(all.filter((id) => id !== abandoned));
    } finally {
      await stack.database.db.updateTable('orders').set({ status }).where('id', '=', abandoned).execute();
    }
  });

  it('filters by number, status, payment method, external id, occurrence and dates', async () => {
    expect(await ids(`number=${placed[2]!.number}`)).toEqual([placed[2]!.id]);
    const invoiced = placed
      .filter((o) => o.kind === 'invoice')
      .map((o) => o.id)
      .sort();
    expect((await ids('status=invoiced')).sort()).toEqual(invoiced);
    expect((await ids('status=invoiced,completed')).length).toBe(7);
    expect(await ids('status=expired')).toEqual([]);
    expect((await ids('payment_method=invoice')).sort()).toEqual(invoiced);
    expect((await ids('payment_method=free')).length).toBe(4);
    expect(await ids('external_id=erp-5')).toEqual([placed[4]!.id]);
    expect((await ids(`occurrence_id=${courseA}`)).sort()).toEqual([placed[0]!.id, placed[4]!.id].sort());
    expect(await ids(`occurrence_id=${courseB}`)).toEqual([placed[2]!.id]);
    expect(await ids(`occurrence_id=${crypto.randomUUID()}`)).toEqual([]);
    const today = new Date().toISOString().slice(0, 10);
    expect((await ids(`created_from=${today}&created_to=${today}`)).length).toBe(7);
    expect(await ids('created_from=2020-01-01&created_to=2020-12-31')).toEqual([]);
    expect(
      (await ids(`created_from=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`)).length,
    ).toBe(7);
    expect(await ids(`created_to=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`)).toEqual([]);
    expect(await ids(`number=${placed[2]!.number}&status=completed`)).toEqual([]);
  });

  it('finds orders by customer email, as booker or participant, regardless of case', async () => {
    // Bob is a participant of orders 1 and 3 (written Bob@Example.com once).
    expect((await ids('customer_email=BOB@example.COM')).sort()).toEqual([placed[0]!.id, placed[2]!.id].sort());
    // Alice booked orders 1 and 4 (another tenant's order with her email stays out).
    expect((await ids('customer_email=alice@example.com')).sort()).toEqual([placed[0]!.id, placed[3]!.id].sort());
    // Frank is booker and participant of one order: it is listed once.
    expect(await ids('customer_email=frank@example.com')).toEqual([placed[4]!.id]);
    expect(await ids('customer_email=nobody@example.com')).toEqual([]);
  });

  it('finds orders by customer id, as booker or participant', async () => {
    const bob = await jsonOf(await call('/v1/customers?email=bob@example.com'));
    expect(bob.data).toHaveLength(1);
    expect((await ids(`customer_id=${bob.data[0].id}`)).sort()).toEqual([placed[0]!.id, placed[2]!.id].sort());
    const alice = await jsonOf(await call('/v1/customers?email=alice@example.com'));
    expect((await ids(`customer_id=${alice.data[0].id}`)).sort()).toEqual([placed[0]!.id, placed[3]!.id].sort());
    expect(await ids(`customer_id=${crypto.randomUUID()}`)).toEqual([]);
  });

  it('defaults to one year ago until tomorrow, and says so', async () => {
    const now = new Date();
    const yearAgo = new Date(now);
    yearAgo.setUTCFullYear(yearAgo.getUTCFullYear() - 1);
    const body = await list('');
    expect(body.created_from).toBe(yearAgo.toISOString().slice(0, 10));
    expect(body.created_to).toBe(new Date(now.getTime() + 86_400_000).toISOString().slice(0, 10));

    const old = placed[5]!.id;
    await stack.database.db
      .updateTable('orders')
      .set({ created_at: sql`now() - interval '400 days'` })
      .where('id', '=', old)
      .execute();
    const future = placed[6]!.id;
    await stack.database.db
      .updateTable('orders')
      .set({ created_at: sql`now() + interval '3 days'` })
      .where('id', '=', future)
      .execute();
    try {
      const seen = await ids('');
      expect(seen).not.toContain(old);
      expect(seen).not.toContain(future);
      expect(seen).toHaveLength(5);
      expect(await ids('created_from=2000-01-01')).toContain(old);
      expect(await ids('created_to=2100-01-01')).toContain(future);
    } finally {
      await stack.database.db
        .updateTable('orders')
        .set({ created_at: sql`now()` })
        .where('id', 'in', [old, future])
        .execute();
    }
  });

  it('answers XML when asked with Accept: application/xml', async () => {
    const response = await call('/v1/orders?limit=3', { accept: 'application/xml' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/xml/);
    const text = await response.text();
    expect(text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>/);
    const xml = new XMLParser({ isArray: (name) => name === 'order', parseTagValue: false }).parse(text);
    const json = await list('limit=3');
    expect(xml.orders.order.map((o: { id: string }) => o.id)).toEqual(json.data.map((o: { id: string }) => o.id));
    const first = xml.orders.order[0];
    const expected = json.data[0];
    expect(first).toMatchObject({
      id: expected.id,
      number: String(expected.number),
      status: expected.status,
      payment_method: expected.payment_method,
      totals: { incl_vat: String(expected.totals.incl_vat) },
      left_to_pay: String(expected.left_to_pay),
      booker_email: expected.booker_email,
      external_id: expected.external_id ?? '',
      created_at: expected.created_at,
    });
    expect(xml.orders.next_cursor).toBe(json.next_cursor);
    expect(xml.orders.created_from).toBe(json.created_from);

    // Paging through XML gives the same as JSON.
    const all = await pageThrough('limit=3', 'application/xml');
    expect(all.pages.flat()).toEqual(await ids(''));

    // JSON stays the default, and wins a tie.
    expect((await call('/v1/orders', { accept: '*/*' })).headers.get('content-type')).toMatch(/^application\/json/);
    expect(
      (await call('/v1/orders', { accept: 'application/json, application/xml' })).headers.get('content-type'),
    ).toMatch(/^application\/json/);
    expect(
      (await call('/v1/orders', { accept: 'application/json;q=0.5, text/xml' })).headers.get('content-type'),
    ).toMatch(/^application\/xml/);
  });

  it('answers 400 validation_failed for bad filters and cursor_invalid for a forged cursor', async () => {
    const cases: [string, string][] = [
      ['status=shipped', 'status'],
      ['status=', 'status'],
      ['payment_method=cash', 'payment_method'],
      ['created_from=yesterday', 'created_from'],
      ['created_to=2026-02-30', 'created_to'],
      ['created_from=2026-02-01T10:00:00', 'created_from'],
      ['occurrence_id=nope', 'occurrence_id'],
      ['customer_id=42', 'customer_id'],
      ['number=abc', 'number'],
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['colour=red', 'colour'],
      ['created_from=2026-05-01&created_to=2026-04-01', 'created_to'],
    ];
    for (const [query, field] of cases) {
      const problem = await expectProblem(await call(`/v1/orders?${query}`), 400, 'validation_failed');
      expect(
        problem.errors.map((e: { field: string }) => e.field),
        query,
      ).toContain(field);
    }
    await expectProblem(await call('/v1/orders?cursor=garbage'), 400, 'cursor_invalid');
    const forged = Buffer.from(JSON.stringify({ t: 'not a time', id: 'x' })).toString('base64url');
    await expectProblem(await call(`/v1/orders?cursor=${forged}`), 400, 'cursor_invalid');
  });

  it("never shows another tenant's orders", async () => {
    const ours = await ids('limit=200');
    expect(ours).not.toContain(theirOrderId);
    const theirs = await ids('limit=200', other.apiKey);
    expect(theirs).toEqual([theirOrderId]);
    expect(await ids(`customer_email=alice@example.com`, other.apiKey)).toEqual([theirOrderId]);
    expect(await ids(`occurrence_id=${courseA}`, other.apiKey)).toEqual([]);
    expect(await ids(`number=${placed[0]!.number}`, other.apiKey)).not.toContain(placed[0]!.id);
    // A cursor from our listing walks only their orders.
    const page = await list('limit=1');
    expect(await ids(`cursor=${encodeURIComponent(page.next_cursor)}`, other.apiKey)).not.toEqual(
      expect.arrayContaining([placed[0]!.id]),
    );
  });

  it('needs orders:read or orders:write', async () => {
    const writeOnly = await addApiKey(stack.database.db, tenant.id, ['orders:write']);
    const readOnly = await addApiKey(stack.database.db, tenant.id, ['orders:read']);
    const catalogOnly = await addApiKey(stack.database.db, tenant.id, ['catalog:admin']);
    expect((await call('/v1/orders', { key: writeOnly })).status).toBe(200);
    expect((await call('/v1/orders', { key: readOnly })).status).toBe(200);
    await expectProblem(await call('/v1/orders', { key: catalogOnly }), 403, 'missing_scope');
    await expectProblem(await call('/v1/orders?status=nope', { key: catalogOnly }), 403, 'missing_scope');
    await expectProblem(await fetch(`${stack.baseUrl}/v1/orders`), 401, 'unauthorized');
  });
});
