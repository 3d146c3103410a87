import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOccurrence, createProduct, createTenant, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

let stack: TestStack;
let tenant: TestTenant;
let client: ReturnType<typeof orderClient>;

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await createTenant(stack.database.db);
  client = orderClient(stack, tenant.apiKey);
});
afterAll(async () => stack.stop());

describe('gapless invoice numbers', () => {
  it('100 invoice orders at once get the numbers n..n+99, no gap, no duplicate', async () => {
    const course = await createProduct(stack.database.db, tenant.id, { price: 10_000, name: 'Course' });
    const occurrence = await createOccurrence(stack.database.db, tenant.id, course, { capacity: 1000 });
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        client.placeOrder({
          payment_method: 'invoice',
          booker: { email: `buyer${i}@example.com` },
          lines: [{ occurrence_id: occurrence, quantity: 1 }],
        }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(100).fill(201));
    const invoices = await eventually(
      async () => {
        const rows = await stack.database.db
          .selectFrom('invoices')
          .select(['number', 'series', 'order_id'])
          .where('tenant_id', '=', tenant.id)
          .where('kind', '=', 'invoice')
          .execute();
        return rows.length === 100 ? rows : undefined;
      },
      60_000,
      250,
    );
    const numbers = invoices.map((i) => i.number).sort((a, b) => a - b);
    const first = numbers[0]!;
    expect(numbers).toEqual(Array.from({ length: 100 }, (_, i) => first + i));
    expect(new Set(invoices.map((i) => i.order_id)).size).toBe(100);
    const series = await stack.database.db
      .selectFrom('invoice_series')
      .select(['next_number'])
      .where('tenant_id', '=', tenant.id)
      .executeTakeFirstOrThrow();
    expect(series.next_number).toBe(first + 100);
  }, 120_000);
});
