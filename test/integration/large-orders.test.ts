import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PARTICIPANTS_PER_ORDER } from '../../domain/order-validation';
import { createOccurrence, createProduct, createTenant, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { startTestStack, type TestStack } from '../helpers/test-stack';

// The largest order a tenant may place goes through in one request; nothing near Temporal's
// payload limit or PostgreSQL's parameter limit (docs/api-examples.md, "Large orders").

let stack: TestStack;
let tenant: TestTenant;
let client: ReturnType<typeof orderClient>;
let occurrences: string[];

const LINES = 50;
const PER_LINE = MAX_PARTICIPANTS_PER_ORDER / LINES;

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await createTenant(stack.database.db);
  const course = await createProduct(stack.database.db, tenant.id, { price: 10_000, name: 'Course' });
  occurrences = [];
  for (let i = 0; i < LINES; i++)
    occurrences.push(await createOccurrence(stack.database.db, tenant.id, course, { capacity: 250 }));
  client = orderClient(stack, tenant.apiKey);
});
afterAll(async () => stack.stop());

function order(perLine: number, tag: string) {
  return {
    payment_method: 'invoice',
    booker: { name: 'Big Booker', email: `booker-${tag}@example.com` },
    lines: occurrences.map((occurrence_id, li) => ({
      occurrence_id,
      participants: Array.from({ length: perLine }, (_, pi) => ({
        firstname: `First${li}`,
        lastname: `Last${pi}`,
        email: `p-${tag}-${li}-${pi}@example.com`,
        phone: '12345678',
      })),
    })),
  };
}

describe('large orders', () => {
  it(`${MAX_PARTICIPANTS_PER_ORDER} participants over ${LINES} lines are placed, invoiced ` +
    `and kept out of the workflow history`, async () => {
    const startedAt = Date.now();
    const placed = await client.placeOrder(order(PER_LINE, 'max'));
    const tookMs = Date.now() - startedAt;
    expect(placed.status, JSON.stringify(placed.body).slice(0, 500)).toBe(201);
    console.log(`[large-orders] ${MAX_PARTICIPANTS_PER_ORDER} participants placed in ${tookMs} ms`);
    expect(placed.body.number_of_participants).toBe(MAX_PARTICIPANTS_PER_ORDER);
    expect(placed.body.lines).toHaveLength(MAX_PARTICIPANTS_PER_ORDER);
    await client.waitForStatus(placed.body.id, 'invoiced', 60_000);

    const row = await stack.database.db
      .selectFrom('orders')
      .select('workflow_id')
      .where('id', '=', placed.body.id)
      .executeTakeFirstOrThrow();
    const history = await stack.temporal.workflow.getHandle(row.workflow_id).fetchHistory();
    const sizes = (history.events ?? []).map((event) => JSON.stringify(event).length);
    const largest = Math.max(...sizes);
    console.log(
      `[large-orders] history: ${sizes.length} events, largest ${largest} bytes, total ` +
        `${sizes.reduce((a, b) => a + b, 0)} bytes`,
    );
    // The request itself goes in once as the submit's argument and once to the intake activity;
    // nothing the workflow answers or decides on grows with the order.
    expect(largest).toBeLessThan(1_500_000);
    const answers = (history.events ?? []).filter(
      (e) => e.activityTaskCompletedEventAttributes || e.workflowExecutionUpdateCompletedEventAttributes,
    );
    for (const answer of answers) expect(JSON.stringify(answer).length).toBeLessThan(4_000);

    const cancelled = await fetch(`${stack.baseUrl}/v1/orders/${placed.body.id}`, {
      method: 'DELETE',
      headers: { 'X-API-Key': tenant.apiKey },
    });
    expect(cancelled.status).toBe(204);
    const closed = await client.waitForStatus(placed.body.id, 'cancelled', 60_000);
    expect(closed).toMatchObject({ amount_credited: placed.body.totals.incl_vat, left_to_pay: 0 });
    const credited = await stack.database.db
      .selectFrom('order_lines')
      .select((eb) => eb.fn.sum<number>('credited').as('n'))
      .where('order_id', '=', placed.body.id)
      .executeTakeFirstOrThrow();
    expect(Number(credited.n)).toBe(placed.body.totals.incl_vat);
  }, 120_000);

  it('one participant more is a 422 naming the limit', async () => {
    const body = order(PER_LINE, 'over');
    body.lines[0]!.participants.push({ firstname: 'One', lastname: 'More', email: 'one-more@example.com', phone: '1' });
    const refused = await client.placeOrder(body);
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([expect.objectContaining({ code: 'too_many_participants', field: 'lines' })]);
  }, 60_000);
});
