import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMigrator, MIGRATION_NAMES, migrateToLatest } from '../../db/migrate';
import { createTestDatabase } from '../helpers/test-database';
import { addApiKey, createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { startTestStack, type TestStack } from '../helpers/test-stack';

let stack: TestStack;
let tenant: TestTenant;
let other: TestTenant;
let occurrenceId: string;
let theirOccurrenceId: string;
let client: ReturnType<typeof orderClient>;
const orders: Record<string, string> = {};

function call(path: string, key?: string) {
  return fetch(`${stack.baseUrl}${path}`, { headers: { 'X-API-Key': key ?? tenant.apiKey } });
}

async function ok(path: string, key?: string) {
  const response = await call(path, key);
  expect(response.status, path).toBe(200);
  return jsonOf(response);
}

async function expectProblem(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  const body = await jsonOf(response);
  expect(body).toMatchObject({ status, code });
  return body;
}

async function customerByEmail(email: string, key?: string) {
  const body = await ok(`/v1/customers?email=${encodeURIComponent(email)}`, key);
  expect(body.data.length).toBeLessThanOrEqual(1);
  return body.data[0];
}

const person = (firstname: string, email: string) => ({ firstname, lastname: 'Smith', email });

beforeAll(async () => {
  stack = await startTestStack();
  const { db } = stack.database;
  tenant = await createTenant(db);
  other = await createTenant(db);
  const ticket = await createProduct(db, tenant.id, { price: 0, vatRateBp: 0, type: 'ticket', name: 'Meetup' });
  occurrenceId = await createOccurrence(db, tenant.id, ticket, { capacity: 200, name: 'Meetup' });
  const theirTicket = await createProduct(db, other.id, {
    price: 0,
    vatRateBp: 0,
    type: 'ticket',
    name: 'Their meetup',
  });
  theirOccurrenceId = await createOccurrence(db, other.id, theirTicket, { capacity: 10 });
  client = orderClient(stack, tenant.apiKey);

  const place = async (name: string, body: Record<string, unknown>, c = client) => {
    const result = await c.placeOrder({ payment_method: 'free', ...body });
    expect(result.status, JSON.stringify(result.body)).toBe(201);
    orders[name] = result.body.id;
  };
  await place('first', {
    booker: { name: 'Alice Smith', email: 'alice@example.com' },
    lines: [
      {
        occurrence_id: occurrenceId,
        participants: [person('Bob', 'bob@example.com'), person('Carol', 'Carol@Example.com')],
      },
    ],
  });
  await place('second', {
    booker: { name: 'Dave Smith', email: 'dave@example.com' },
    lines: [
      {
        occurrence_id: occurrenceId,
        participants: [person('Bob', 'BOB@example.com'), person('Dave', 'dave@example.com')],
      },
    ],
  });
  await place('optedOut', {
    booker: { name: 'Erin Smith', email: 'erin@example.com' },
    config: { allow_customer_autoconnect: false },
    lines: [{ occurrence_id: occurrenceId, participants: [person('Frank', 'frank@example.com')] }],
  });
  await place(
    'theirs',
    {
      booker: { email: 'zoe@example.com' },
      lines: [{ occurrence_id: theirOccurrenceId, participants: [person('Bob', 'bob@example.com')] }],
    },
    orderClient(stack, other.apiKey),
  );
});
afterAll(async () => stack.stop());

describe('participants become customers', () => {
  it('connects participants, not only bookers, by email regardless of case', async () => {
    const bob = await customerByEmail('Bob@Example.COM');
    expect(bob).toMatchObject({
      id: expect.any(String),
      email: 'bob@example.com',
      name: 'Bob Smith',
      phone: null,
      created_at: expect.any(String),
    });
    const carol = await customerByEmail('carol@example.com');
    expect(carol.name).toBe('Carol Smith');
    const rows = await stack.database.db
      .selectFrom('participants')
      .select(['email', 'customer_id'])
      .where('order_id', 'in', [orders.first!, orders.second!])
      .execute();
    const bobRows = rows.filter((r) => r.email?.toLowerCase() === 'bob@example.com');
    expect(bobRows).toHaveLength(2);
    expect(bobRows.every((r) => r.customer_id === bob.id)).toBe(true);
    // The booker who also takes part is one customer.
    const dave = await customerByEmail('dave@example.com');
    expect(rows.find((r) => r.email === 'dave@example.com')!.customer_id).toBe(dave.id);
    const order = await stack.database.db
      .selectFrom('orders')
      .select('customer_id')
      .where('id', '=', orders.second!)
      .executeTakeFirstOrThrow();
    expect(order.customer_id).toBe(dave.id);
  });

  it('connects nobody when the order says allow_customer_autoconnect: false', async () => {
    expect(await customerByEmail('frank@example.com')).toBeUndefined();
    expect(await customerByEmail('erin@example.com')).toBeUndefined();
    const frank = await stack.database.db
      .selectFrom('participants')
      .select('customer_id')
      .where('order_id', '=', orders.optedOut!)
      .executeTakeFirstOrThrow();
    expect(frank.customer_id).toBeNull();
    // The order is still found by email.
    expect((await ok('/v1/orders?customer_email=frank@example.com')).data.map((o: { id: string }) => o.id)).toEqual([
      orders.optedOut,
    ]);
  });

  it('survives orders at once that share people in crossed roles (no deadlock, one customer per email)', async () => {
    const pairs = Array.from({ length: 4 }, (_, i) => [`x${i}@example.com`, `y${i}@example.com`] as const);
    const results = await Promise.all(
      pairs.flatMap(([x, y]) => [
        client.placeOrder({
          payment_method: 'free',
          booker: { email: x },
          lines: [{ occurrence_id: occurrenceId, participants: [person('Y', y), person('X', x)] }],
        }),
        client.placeOrder({
          payment_method: 'free',
          booker: { email: y },
          lines: [{ occurrence_id: occurrenceId, participants: [person('X', x), person('Y', y)] }],
        }),
      ]),
    );
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(201));
    for (const [x, y] of pairs) {
      const cx = await customerByEmail(x);
      const cy = await customerByEmail(y);
      expect((await ok(`/v1/customers/${cx.id}`)).orders).toHaveLength(2);
      expect((await ok(`/v1/customers/${cy.id}`)).orders).toHaveLength(2);
    }
  });
});

describe('GET /v1/customers', () => {
  it("lists the tenant's customers by email, paged", async () => {
    const all = await ok('/v1/customers?limit=200');
    const emails = all.data.map((c: { email: string }) => c.email);
    expect(emails).toEqual(
      expect.arrayContaining(['alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com']),
    );
    expect(emails).not.toContain('zoe@example.com');
    expect(emails).toEqual([...emails].sort());
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await ok(`/v1/customers?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.data.length).toBeLessThanOrEqual(3);
      seen.push(...page.data.map((c: { email: string }) => c.email));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(emails);
    expect((await ok('/v1/customers?email=nobody@example.com')).data).toEqual([]);
  });

  it('answers 400 for an unknown filter or a forged cursor', async () => {
    await expectProblem(await call('/v1/customers?name=bob'), 400, 'validation_failed');
    await expectProblem(await call('/v1/customers?cursor=xyz'), 400, 'cursor_invalid');
  });
});

describe('GET /v1/customers/{id}', () => {
  it('shows the customer with their orders, as booker or participant', async () => {
    const bob = await customerByEmail('bob@example.com');
    const body = await ok(`/v1/customers/${bob.id}`);
    expect(body).toMatchObject({
      id: bob.id,
      email: 'bob@example.com',
      name: 'Bob Smith',
      more_orders: false,
      orders_url: expect.stringContaining(`customer_id=${bob.id}`),
    });
    expect(body.orders.map((o: { id: string }) => o.id)).toEqual([orders.second, orders.first]);
    expect(body.orders.every((o: { roles: string[] }) => o.roles.join() === 'participant')).toBe(true);
    expect(body.orders[0]).toMatchObject({
      status: expect.any(String),
      payment_method: 'free',
      number_of_participants: 2,
      booker_email: 'dave@example.com',
    });

    const alice = await ok(`/v1/customers/${(await customerByEmail('alice@example.com')).id}`);
    expect(alice.orders.map((o: { id: string; roles: string[] }) => [o.id, o.roles])).toEqual([
      [orders.first, ['booker']],
    ]);
    const dave = await ok(`/v1/customers/${(await customerByEmail('dave@example.com')).id}`);
    expect(dave.orders.map((o: { roles: string[] }) => o.roles)).toEqual([['booker', 'participant']]);

    // The same orders through the list endpoint.
    const listed = await ok(`/v1/orders?customer_id=${bob.id}`);
    expect(listed.data.map((o: { id: string }) => o.id)).toEqual([orders.second, orders.first]);
  });

  it(
    "keeps tenants apart: another tenant's customer is 404, and the same email is " + 'another customer there',
    async () => {
      const ours = await customerByEmail('bob@example.com');
      await expectProblem(await call(`/v1/customers/${ours.id}`, other.apiKey), 404, 'not_found');
      const theirs = await customerByEmail('bob@example.com', other.apiKey);
      expect(theirs.id).not.toBe(ours.id);
      expect((await ok(`/v1/customers/${theirs.id}`, other.apiKey)).orders.map((o: { id: string }) => o.id)).toEqual([
        orders.theirs,
      ]);
      expect((await ok(`/v1/orders?customer_id=${ours.id}`, other.apiKey)).data).toEqual([]);
      await expectProblem(await call(`/v1/customers/${crypto.randomUUID()}`), 404, 'not_found');
      await expectProblem(await call('/v1/customers/not-a-uuid'), 404, 'not_found');
    },
  );

  it('needs orders:read', async () => {
    const writeOnly = await addApiKey(stack.database.db, tenant.id, ['orders:write']);
    const readOnly = await addApiKey(stack.database.db, tenant.id, ['orders:read']);
    await expectProblem(await call('/v1/customers', writeOnly), 403, 'missing_scope');
    expect((await call('/v1/customers', readOnly)).status).toBe(200);
    const bob = await customerByEmail('bob@example.com');
    await expectProblem(await call(`/v1/customers/${bob.id}`, writeOnly), 403, 'missing_scope');
  });
});

describe('migration 0003', () => {
  it('connects the participants of earlier orders to customers, except where the order opted out', async () => {
    const database = await createTestDatabase(inject('adminDatabaseUrl'), { migrate: false });
    try {
      const { db } = database;
      const before = MIGRATION_NAMES[MIGRATION_NAMES.indexOf('0003_order_list_indexes') - 1]!;
      const { error } = await createMigrator(db).migrateTo(before);
      expect(error).toBeUndefined();
      const t = await createTenant(db);
      const existing = crypto.randomUUID();
      await db
        .insertInto('customers')
        .values({ id: existing, tenant_id: t.id, email: 'Old@Example.com', name: 'Old' })
        .execute();
      const order = async (config: Record<string, unknown>) => {
        const id = crypto.randomUUID();
        await db
          .insertInto('orders')
          .values({
            id,
            tenant_id: t.id,
            number: Math.floor(Math.random() * 1e9),
            workflow_id: `wf-${id}`,
            status: 'completed',
            currency: 'nok',
            payment_method: 'free',
            total_before_discounts: 0,
            total_discounts: 0,
            total_excl_vat: 0,
            total_vat: 0,
            total_incl_vat: 0,
            vat_summary: '[]',
            notes: '{}',
            client: '{}',
            config: JSON.stringify(config),
          })
          .execute();
        return id;
      };
      const a = await order({});
      const b = await order({ allow_customer_autoconnect: false });
      const participant = (orderId: string, position: number, email: string | null) => ({
        id: crypto.randomUUID(),
        tenant_id: t.id,
        order_id: orderId,
        position,
        firstname: 'P',
        lastname: String(position),
        email,
        details: '{}',
      });
      await db
        .insertInto('participants')
        .values([
          participant(a, 0, 'old@example.com'),
          participant(a, 1, 'New@Example.com'),
          participant(a, 2, null),
          participant(b, 0, 'optout@example.com'),
        ])
        .execute();

      await migrateToLatest(db);
      const rows = await db
        .selectFrom('participants')
        .leftJoin('customers', 'customers.id', 'participants.customer_id')
        .select([
          'participants.order_id',
          'participants.position',
          'customers.id as customer',
          'customers.email as customer_email',
        ])
        .orderBy('participants.order_id')
        .orderBy('participants.position')
        .execute();
      const of = (orderId: string, position: number) =>
        rows.find((r) => r.order_id === orderId && r.position === position)!;
      expect(of(a, 0).customer).toBe(existing);
      expect(of(a, 1).customer_email).toBe('new@example.com');
      expect(of(a, 2).customer).toBeNull();
      expect(of(b, 0).customer).toBeNull();
      const customers = await db.selectFrom('customers').select('email').where('tenant_id', '=', t.id).execute();
      expect(customers.map((c) => c.email).sort()).toEqual(['Old@Example.com', 'new@example.com'].sort());
    } finally {
      await database.drop();
    }
  });
});
