import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { startTestStack, type TestStack } from '../helpers/test-stack';

// Seed 001's integrators place orders for a contact and a company of their own system, from a
// source type: the references and the origin are stored with the order, returned with it, and
// find it again in the order list — per tenant, exactly, and never another tenant's.

let stack: TestStack;
let tenant: TestTenant;
let other: TestTenant;
let openDay: string;
let course: string;
let client: ReturnType<typeof orderClient>;
/** This tenant's orders by name, placed in this order (A oldest). */
const orders: Record<'a' | 'b' | 'c' | 'd', string> = { a: '', b: '', c: '', d: '' };
let theirs: string;

const freeOrder = (occurrenceId: string, email: string, extra: Record<string, unknown> = {}) => ({
  payment_method: 'free',
  booker: { name: 'Booker', email },
  lines: [{ occurrence_id: occurrenceId, quantity: 1 }],
  ...extra,
});

const person = (n: number) => ({ firstname: `P${n}`, lastname: 'Doe', email: `p${n}@example.com` });

async function place(body: unknown, key = tenant.apiKey): Promise<string> {
  const placed = await orderClient(stack, key).placeOrder(body);
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  return placed.body.id;
}

function call(path: string, init: { key?: string; accept?: string } = {}) {
  return fetch(`${stack.baseUrl}${path}`, {
    headers: { 'X-API-Key': init.key ?? tenant.apiKey, ...(init.accept ? { Accept: init.accept } : {}) },
  });
}

async function ok(path: string, key?: string) {
  const response = await call(path, { key });
  expect(response.status, path).toBe(200);
  return jsonOf(response);
}

async function ids(query: string, key?: string): Promise<string[]> {
  return (await ok(`/v1/orders?${query}`, key)).data.map((o: { id: string }) => o.id);
}

async function expectProblem(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = await jsonOf(response);
  expect(body).toMatchObject({ status, code });
  return body;
}

beforeAll(async () => {
  stack = await startTestStack();
  const { db } = stack.database;
  tenant = await createTenant(db);
  other = await createTenant(db);
  const ticket = await createProduct(db, tenant.id, { price: 0, vatRateBp: 0, type: 'ticket', name: 'Open day' });
  openDay = await createOccurrence(db, tenant.id, ticket, { capacity: 100 });
  const paid = await createProduct(db, tenant.id, { price: 50_000, name: 'Course' });
  course = await createOccurrence(db, tenant.id, paid, { capacity: 20 });
  client = orderClient(stack, tenant.apiKey);

  orders.a = await place({
    ...freeOrder(openDay, 'ann@example.com', {
      external_contact_id: 'c-1',
      external_company_id: 'co-1',
      origin: 'staff',
    }),
    lines: [{ occurrence_id: openDay, participants: [{ firstname: 'Pia', lastname: 'P', email: 'pia@example.com' }] }],
  });
  orders.b = await place(
    freeOrder(openDay, 'ann@example.com', {
      external_contact_id: 'c-1',
      external_company_id: 'co-2',
      origin: 'import',
    }),
  );
  orders.c = await place(
    freeOrder(openDay, 'carl@example.com', { external_contact_id: 'c-2', external_company_id: 'co-1' }),
  );
  orders.d = await place(freeOrder(openDay, 'dora@example.com'));

  // The same references in another tenant: never found through this tenant's key.
  const theirTicket = await createProduct(db, other.id, { price: 0, vatRateBp: 0, type: 'ticket', name: 'Theirs' });
  const theirDay = await createOccurrence(db, other.id, theirTicket, { capacity: 10 });
  theirs = await place(
    freeOrder(theirDay, 'ann@example.com', {
      external_contact_id: 'c-1',
      external_company_id: 'co-1',
      origin: 'staff',
    }),
    other.apiKey,
  );
});
afterAll(async () => stack.stop());

describe('external references and origin on POST /v1/orders', () => {
  it('are returned by GET /v1/orders/{id} and in the list items', async () => {
    const a = (await client.getOrder(orders.a)).body;
    expect(a).toMatchObject({ external_contact_id: 'c-1', external_company_id: 'co-1', origin: 'staff' });
    const listed = await ok(`/v1/orders?number=${a.number}`);
    expect(listed.data).toEqual([
      expect.objectContaining({
        id: orders.a,
        external_contact_id: 'c-1',
        external_company_id: 'co-1',
        origin: 'staff',
      }),
    ]);
    const c = (await client.getOrder(orders.c)).body;
    expect(c).toMatchObject({ external_contact_id: 'c-2', external_company_id: 'co-1', origin: 'api' });
  });

  it('are null, and the origin api, when the order leaves them out', async () => {
    const d = (await client.getOrder(orders.d)).body;
    expect(d).toMatchObject({ external_contact_id: null, external_company_id: null, origin: 'api' });
    const item = (await ok('/v1/orders')).data.find((o: { id: string }) => o.id === orders.d);
    expect(item).toMatchObject({ external_contact_id: null, external_company_id: null, origin: 'api' });
  });

  it('are in the XML list too', async () => {
    const response = await call('/v1/orders?external_contact_id=c-2', { accept: 'application/xml' });
    expect(response.status).toBe(200);
    const xml = new XMLParser({ isArray: (name) => name === 'order', parseTagValue: false }).parse(
      await response.text(),
    );
    expect(xml.orders.order).toEqual([
      expect.objectContaining({ id: orders.c, external_contact_id: 'c-2', external_company_id: 'co-1', origin: 'api' }),
    ]);
  });

  it('refuses a reference too long, empty or not text, and an unknown origin: 400 validation_failed', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ external_contact_id: 'x'.repeat(101) }, 'external_contact_id'],
      [{ external_company_id: 'x'.repeat(101) }, 'external_company_id'],
      [{ external_contact_id: '' }, 'external_contact_id'],
      [{ external_company_id: 47403 }, 'external_company_id'],
      [{ origin: 'web' }, 'origin'],
      [{ origin: 'API' }, 'origin'],
      [{ origin: null }, 'origin'],
    ];
    for (const [extra, field] of cases) {
      const placed = await client.placeOrder(freeOrder(openDay, 'bad@example.com', extra));
      expect(placed.status, JSON.stringify(extra)).toBe(400);
      expect(placed.body.code).toBe('validation_failed');
      expect(placed.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    }
    // 100 characters is the limit, not over it.
    const longest = 'x'.repeat(100);
    const id = await place(freeOrder(openDay, 'long@example.com', { external_contact_id: longest }));
    expect((await client.getOrder(id)).body.external_contact_id).toBe(longest);
  });

  it('refuses a control character in a reference: 400 control_character naming the field', async () => {
    const response = await fetch(`${stack.baseUrl}/v1/orders`, {
      method: 'POST',
      headers: { 'X-API-Key': tenant.apiKey, 'Content-Type': 'application/json' },
      body: JSON.stringify(
        freeOrder(openDay, 'ctl@example.com', { external_company_id: 'co\u0007', external_contact_id: 'c\n1' }),
      ),
    });
    const problem = await expectProblem(response, 400, 'control_character');
    expect(problem.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'external_company_id',
      'external_contact_id',
    ]);
    const written = await stack.database.db
      .selectFrom('orders')
      .select('id')
      .where('tenant_id', '=', tenant.id)
      .where('booker_email', '=', 'ctl@example.com')
      .execute();
    expect(written).toEqual([]);
  });
});

describe('GET /v1/orders filters', () => {
  it('external_contact_id finds exactly the orders for that contact, newest first', async () => {
    expect(await ids('external_contact_id=c-1')).toEqual([orders.b, orders.a]);
    expect(await ids('external_contact_id=c-2')).toEqual([orders.c]);
    expect(await ids('external_contact_id=c-3')).toEqual([]);
    // Exact, not a prefix or any case.
    expect(await ids('external_contact_id=c-')).toEqual([]);
    expect(await ids('external_contact_id=C-1')).toEqual([]);
  });

  it('external_company_id finds exactly the orders for that company', async () => {
    expect(await ids('external_company_id=co-1')).toEqual([orders.c, orders.a]);
    expect(await ids('external_company_id=co-2')).toEqual([orders.b]);
    expect(await ids('external_company_id=co-1&external_contact_id=c-1')).toEqual([orders.a]);
  });

  it('origin finds the orders from that source; several are a comma list', async () => {
    expect(await ids('origin=staff')).toEqual([orders.a]);
    expect(await ids('origin=import')).toEqual([orders.b]);
    expect(await ids('origin=staff,import')).toEqual([orders.b, orders.a]);
    const api = await ids('origin=api');
    expect(api).toEqual(expect.arrayContaining([orders.c, orders.d]));
    expect(api).not.toContain(orders.a);
    expect(api).not.toContain(orders.b);
    expect(await ids('origin=import&external_company_id=co-1')).toEqual([]);
  });

  it("never finds another tenant's orders with the same references", async () => {
    expect(await ids('external_contact_id=c-1', other.apiKey)).toEqual([theirs]);
    expect(await ids('external_company_id=co-1', other.apiKey)).toEqual([theirs]);
    expect(await ids('origin=staff', other.apiKey)).toEqual([theirs]);
    for (const query of ['external_contact_id=c-1', 'external_company_id=co-1', 'origin=staff']) {
      expect(await ids(query)).not.toContain(theirs);
    }
  });

  it('refuses malformed filters: 400 validation_failed or control_character', async () => {
    const cases: [string, string][] = [
      ['origin=web', 'origin'],
      ['origin=', 'origin'],
      ['external_contact_id=', 'external_contact_id'],
      [`external_company_id=${'x'.repeat(101)}`, 'external_company_id'],
    ];
    for (const [query, field] of cases) {
      const problem = await expectProblem(await call(`/v1/orders?${query}`), 400, 'validation_failed');
      expect(
        problem.errors.map((e: { field: string }) => e.field),
        query,
      ).toContain(field);
    }
    const problem = await expectProblem(await call('/v1/orders?external_contact_id=c%001'), 400, 'control_character');
    expect(problem.errors.map((e: { field: string }) => e.field)).toEqual(['external_contact_id']);
  });
});

describe('changing an order', () => {
  it('keeps its references and origin; a change cannot set them', async () => {
    const refs = { external_contact_id: 'c-7', external_company_id: 'co-7', origin: 'import' };
    const placed = await client.placeOrder({
      payment_method: 'card',
      booker: { email: 'changer@example.com' },
      lines: [{ occurrence_id: course, participants: [person(1)] }],
      ...refs,
    });
    expect(placed.status).toBe(201);
    const patch = (body: unknown) =>
      fetch(`${stack.baseUrl}/v1/orders/${placed.body.id}`, {
        method: 'PATCH',
        headers: { 'X-API-Key': tenant.apiKey, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    const changed = await patch({ add_lines: [{ occurrence_id: course, participants: [person(2)] }] });
    expect(changed.status).toBe(200);
    const order = (await client.getOrder(placed.body.id)).body;
    expect(order.number_of_participants).toBe(2);
    expect(order).toMatchObject(refs);
    expect(await ids('external_contact_id=c-7')).toEqual([placed.body.id]);
    // As with external_id: the references are the order's identity in the other system.
    const refused = await expectProblem(await patch({ external_contact_id: 'c-8' }), 400, 'validation_failed');
    expect(refused.errors).toEqual([expect.objectContaining({ code: 'unknown_field', field: 'external_contact_id' })]);
  });
});

describe('customers', () => {
  async function customer(email: string, key?: string) {
    const body = await ok(`/v1/customers?email=${encodeURIComponent(email)}`, key);
    expect(body.data).toHaveLength(1);
    return body.data[0];
  }

  it("the booker's customer carries the contact id of the first order that named it", async () => {
    const ann = await customer('ann@example.com');
    expect(ann.external_contact_id).toBe('c-1');
    expect((await ok(`/v1/customers/${ann.id}`)).external_contact_id).toBe('c-1');
    // A participant is not the contact the reference names; a booker without one has none.
    expect((await customer('pia@example.com')).external_contact_id).toBeNull();
    expect((await customer('dora@example.com')).external_contact_id).toBeNull();
    // A later order with another id does not re-point the customer.
    await place(freeOrder(openDay, 'ann@example.com', { external_contact_id: 'c-9' }));
    expect((await customer('ann@example.com')).external_contact_id).toBe('c-1');
  });

  it('are found by their contact id, per tenant', async () => {
    const ann = await customer('ann@example.com');
    const found = await ok('/v1/customers?external_contact_id=c-1');
    expect(found.data.map((c: { id: string }) => c.id)).toEqual([ann.id]);
    expect((await ok('/v1/customers?external_contact_id=c-404')).data).toEqual([]);
    const theirAnn = await customer('ann@example.com', other.apiKey);
    const theirFound = await ok('/v1/customers?external_contact_id=c-1', other.apiKey);
    expect(theirFound.data.map((c: { id: string }) => c.id)).toEqual([theirAnn.id]);
  });
});
