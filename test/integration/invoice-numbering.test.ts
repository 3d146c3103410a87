import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOccurrence, createProduct, createTenant, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';
import { createDocumentActivities } from '../../activities/documents/issue-document';

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

  it("one order's document issued by two attempts at once: one document, one number, no gap", async () => {
    const db = stack.database.db;
    const course = await createProduct(db, tenant.id, { price: 10_000, name: 'Retried course' });
    const occurrence = await createOccurrence(db, tenant.id, course, { capacity: 10 });
    // A card order waiting for payment has no document yet; a retry racing the first attempt of the
    // activity is what two concurrent calls are.
    const placed = await client.placeOrder({
      payment_method: 'card',
      booker: { email: 'racer@example.com' },
      lines: [{ occurrence_id: occurrence, quantity: 1 }],
    });
    expect(placed.status).toBe(201);
    const before = await db
      .selectFrom('invoice_series')
      .select(['next_number'])
      .where('tenant_id', '=', tenant.id)
      .executeTakeFirst();
    const { issueDocument } = createDocumentActivities({ db } as Parameters<typeof createDocumentActivities>[0]);
    const input = { tenantId: tenant.id, orderId: placed.body.id, kind: 'receipt' as const };
    const outcomes = await Promise.allSettled([issueDocument(input), issueDocument(input)]);
    // The loser fails on the one-per-order index and gives its number back; its retry finds the document.
    const retried = await issueDocument(input);
    const issued = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.documentNumber] : []));
    expect(issued.length).toBeGreaterThanOrEqual(1);
    expect(new Set([...issued, retried.documentNumber]).size).toBe(1);
    const receipts = await db
      .selectFrom('invoices')
      .select(['number'])
      .where('order_id', '=', placed.body.id)
      .where('kind', '=', 'receipt')
      .execute();
    expect(receipts).toHaveLength(1);
    const after = await db
      .selectFrom('invoice_series')
      .select(['next_number'])
      .where('tenant_id', '=', tenant.id)
      .executeTakeFirstOrThrow();
    expect(after.next_number).toBe(receipts[0]!.number + 1);
    if (before) expect(after.next_number).toBe(before.next_number + 1);
  });
});
