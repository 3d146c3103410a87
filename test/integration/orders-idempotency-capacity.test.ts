import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOccurrence, createProduct, createTenant, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { startTestStack, type TestStack } from '../helpers/test-stack';

let stack: TestStack;
let tenant: TestTenant;
let courseId: string;
let client: ReturnType<typeof orderClient>;

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await createTenant(stack.database.db);
  courseId = await createProduct(stack.database.db, tenant.id, { price: 50_000, name: 'Course' });
  client = orderClient(stack, tenant.apiKey);
});
afterAll(async () => stack.stop());

const order = (occurrenceId: string, email = 'jane@example.com') => ({
  payment_method: 'card',
  booker: { name: 'Jane Doe', email },
  lines: [
    { occurrence_id: occurrenceId, participants: [{ firstname: 'John', lastname: 'Doe', email: 'john@example.com' }] },
  ],
});

describe('Idempotency-Key', () => {
  it('the same key and body answer the same again, with no second order', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, courseId, { capacity: 5 });
    const key = `key-${crypto.randomUUID()}`;
    const first = await client.placeOrder(order(occurrence), key);
    const second = await client.placeOrder(order(occurrence), key);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.location).toBe(first.location);
    const orders = await stack.database.db
      .selectFrom('orders')
      .select('id')
      .where('tenant_id', '=', tenant.id)
      .where('id', '=', first.body.id)
      .execute();
    expect(orders).toHaveLength(1);
    expect((await client.occurrence(occurrence)).seats_left).toBe(4);
  });

  it('the same key with another body is 422 idempotency_key_reused', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, courseId, { capacity: 5 });
    const key = `key-${crypto.randomUUID()}`;
    expect((await client.placeOrder(order(occurrence), key)).status).toBe(201);
    const reused = await client.placeOrder(order(occurrence, 'someone-else@example.com'), key);
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('idempotency_key_reused');
  });

  it('concurrent duplicates make one order: the others get it too or a 409', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, courseId, { capacity: 5 });
    const key = `key-${crypto.randomUUID()}`;
    const answers = await Promise.all(Array.from({ length: 5 }, () => client.placeOrder(order(occurrence), key)));
    const created = answers.filter((a) => a.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((a) => a.body.id)).size).toBe(1);
    for (const other of answers.filter((a) => a.status !== 201)) {
      expect(other.status).toBe(409);
      expect(other.body.code).toBe('request_in_progress');
    }
    expect((await client.occurrence(occurrence)).seats_left).toBe(4);
  });

  it('a replay is the first answer byte for byte, with its Content-Type (201 and 422)', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, courseId, { capacity: 5 });
    const post = async (body: unknown, key: string) => {
      const response = await fetch(`${stack.baseUrl}/v1/orders`, {
        method: 'POST',
        headers: { 'X-API-Key': tenant.apiKey, 'Content-Type': 'application/json', 'Idempotency-Key': key },
        body: JSON.stringify(body),
      });
      const bytes = Buffer.from(await response.arrayBuffer());
      const type = response.headers.get('content-type');
      return { status: response.status, type, location: response.headers.get('location'), bytes };
    };
    const placedKey = `key-${crypto.randomUUID()}`;
    const placed = await post(order(occurrence), placedKey);
    expect(placed.status).toBe(201);
    // The order moves on (its payment session, later its status); the replay stays the first answer.
    const again = await post(order(occurrence), placedKey);
    expect(again).toEqual(placed);
    const rejectedKey = `key-${crypto.randomUUID()}`;
    const rejected = await post({ payment_method: 'card', lines: [] }, rejectedKey);
    expect(rejected.status).toBe(422);
    expect(rejected.type).toBe('application/problem+json');
    const rejectedAgain = await post({ payment_method: 'card', lines: [] }, rejectedKey);
    // Including the first request's request_id: it is the same answer.
    expect(rejectedAgain.bytes.equals(rejected.bytes)).toBe(true);
    expect(rejectedAgain.type).toBe(rejected.type);
  });

  it('a rejected order replays its 422 for the same key', async () => {
    const key = `key-${crypto.randomUUID()}`;
    const first = await client.placeOrder({ payment_method: 'card', lines: [] }, key);
    const second = await client.placeOrder({ payment_method: 'card', lines: [] }, key);
    expect(first.status).toBe(422);
    expect(second.status).toBe(422);
    expect(second.body.errors).toEqual(first.body.errors);
  });
});

describe('capacity', () => {
  it('50 concurrent orders for 10 seats: exactly 10 accepted, 40 occurrence_full, nothing negative', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, courseId, { capacity: 10 });
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => client.placeOrder(order(occurrence, `buyer${i}@example.com`))),
    );
    const accepted = answers.filter((a) => a.status === 201);
    const full = answers.filter((a) => a.status === 422);
    expect(accepted).toHaveLength(10);
    expect(full).toHaveLength(40);
    for (const answer of full)
      expect(answer.body.errors.map((e: { code: string }) => e.code)).toContain('occurrence_full');
    const row = await stack.database.db
      .selectFrom('occurrences')
      .select(['capacity', 'seats_taken'])
      .where('id', '=', occurrence)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ capacity: 10, seats_taken: 10 });
    expect((await client.occurrence(occurrence)).seats_left).toBe(0);
    const held = await stack.database.db
      .selectFrom('reservations')
      .select('quantity')
      .where('occurrence_id', '=', occurrence)
      .execute();
    expect(held.reduce((n, r) => n + r.quantity, 0)).toBe(10);
  });
});
