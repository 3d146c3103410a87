import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOccurrence, createProduct, createTenant, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

let stack: TestStack;
let tenant: TestTenant;
let other: TestTenant;
let occurrenceId: string;
let freeEventId: string;
let client: ReturnType<typeof orderClient>;

beforeAll(async () => {
  stack = await startTestStack();
  const { db } = stack.database;
  tenant = await createTenant(db);
  other = await createTenant(db);
  const course = await createProduct(db, tenant.id, { price: 125_000, name: 'First aid' });
  occurrenceId = await createOccurrence(db, tenant.id, course, { capacity: 5, name: 'First aid — Oslo' });
  const openDay = await createProduct(db, tenant.id, { price: 0, vatRateBp: 0, type: 'ticket', name: 'Open day' });
  freeEventId = await createOccurrence(db, tenant.id, openDay, { capacity: 100, name: 'Open day' });
  client = orderClient(stack, tenant.apiKey);
});
afterAll(async () => stack.stop());

describe('invoice order', () => {
  it('books at once, issues an invoice, and completes when the invoice is marked paid', async () => {
    const placed = await client.placeOrder({
      payment_method: 'invoice',
      external_id: 'erp-4711',
      booker: { name: 'Jane Doe', email: 'jane@example.com' },
      company: { name: 'Example Inc', number: '123456789' },
      invoice: {
        email: 'invoice@example.com',
        reference: 'Ref 1234',
        address: { line_1: '125 Holburn Lane', zipcode: '0262', city: 'Oslo', country_code: 'NO' },
      },
      lines: [
        {
          occurrence_id: occurrenceId,
          participants: [{ firstname: 'John', lastname: 'Doe', email: 'john@example.com' }],
        },
      ],
    });
    expect(placed.status).toBe(201);
    expect(placed.body.payment).toEqual({
      method: 'invoice',
      requires_redirect: false,
      session_id: null,
      redirect_url: null,
    });
    expect(placed.body.preliminary_until).toBeNull();

    const invoiced = await client.waitForStatus(placed.body.id, 'invoiced');
    expect(invoiced.participants[0].booking_id).toBeTruthy();
    expect(invoiced.documents).toEqual([
      expect.objectContaining({ kind: 'invoice', status: 'open', total_incl_vat: 156_250 }),
    ]);
    expect(invoiced.left_to_pay).toBe(156_250);
    const invoiceMail = await eventually(async () =>
      (await stack.mail()).find((m) => m.to.includes('invoice@example.com')),
    );
    expect(invoiceMail.subject).toContain(invoiced.documents[0].number);
    expect(invoiceMail.text).toContain('1562.50 NOK');

    const markPaid = await fetch(`${stack.baseUrl}/v1/invoices/by-external-id/erp-4711/paid`, {
      method: 'PUT',
      headers: { 'X-API-Key': tenant.apiKey },
    });
    expect(markPaid.status).toBe(204);
    const completed = await client.waitForStatus(placed.body.id, 'completed');
    expect(completed.documents[0].status).toBe('paid');
    expect(completed.left_to_pay).toBe(0);

    const unknown = await fetch(`${stack.baseUrl}/v1/invoices/by-external-id/nope/paid`, {
      method: 'PUT',
      headers: { 'X-API-Key': tenant.apiKey },
    });
    expect(unknown.status).toBe(404);
  });
});

describe('free order', () => {
  it('is booked and completed at once, with a confirmation email', async () => {
    const placed = await client.placeOrder({
      payment_method: 'free',
      booker: { name: 'Jane Doe', email: 'free@example.com' },
      lines: [{ occurrence_id: freeEventId, quantity: 3 }],
    });
    expect(placed.status).toBe(201);
    expect(placed.body.totals.incl_vat).toBe(0);
    const order = await client.waitForStatus(placed.body.id, 'completed');
    expect(order.reservations).toEqual([expect.objectContaining({ quantity: 3, status: 'booked' })]);
    expect(order.payments).toEqual([]);
    await eventually(async () => (await stack.mail()).find((m) => m.to.includes('free@example.com')));
    expect((await client.occurrence(freeEventId)).seats_left).toBe(97);
  });
});

describe('rejected order', () => {
  it('answers 422 with every business error at once, holds nothing and writes no order', async () => {
    const before = await stack.database.db
      .selectFrom('orders')
      .select(({ fn }) => fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const placed = await client.placeOrder({
      payment_method: 'invoice',
      payment_complete_url: 'https://shop.example/thanks',
      campaign_code: 'NOPE',
      lines: [
        {
          occurrence_id: occurrenceId,
          participants: [
            { firstname: 'John', lastname: 'Doe' },
            { firstname: '', lastname: 'X', email: 'not-an-email' },
          ],
        },
        { occurrence_id: crypto.randomUUID(), quantity: 1 },
      ],
    });
    expect(placed.status).toBe(422);
    expect(placed.body.code).toBe('order_invalid');
    const codes = placed.body.errors.map((e: { code: string }) => e.code);
    expect(codes).toEqual(
      expect.arrayContaining([
        'participant_email_invalid_empty',
        'participant_name_invalid_empty',
        'participant_email_invalid',
        'course_date_identifier_invalid',
        'campaign_code_invalid',
        'card_fields_not_allowed',
        'invoice_recipient_missing',
      ]),
    );
    const emailMissing = placed.body.errors.find((e: { code: string }) => e.code === 'participant_email_invalid_empty');
    expect(emailMissing).toMatchObject({ index: 0, field: 'lines.0.participants.0.email' });
    const after = await stack.database.db
      .selectFrom('orders')
      .select(({ fn }) => fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
    expect((await client.occurrence(occurrenceId)).seats_left).toBeGreaterThan(0);
    const held = await stack.database.db
      .selectFrom('occurrences')
      .select('seats_taken')
      .where('id', '=', occurrenceId)
      .executeTakeFirstOrThrow();
    const reserved = await stack.database.db
      .selectFrom('reservations')
      .select(({ fn }) => fn.coalesce(fn.sum<number>('quantity'), ({ lit }) => lit(0)).as('q'))
      .where('occurrence_id', '=', occurrenceId)
      .where('status', '<>', 'released')
      .executeTakeFirstOrThrow();
    expect(held.seats_taken).toBe(Number(reserved.q));
  });

  it('is visible to operators as a rejected workflow', async () => {
    const placed = await client.placeOrder({ payment_method: 'card', lines: [] });
    expect(placed.status).toBe(422);
    expect(placed.body.errors[0].code).toBe('order_lines_empty');
    // The rejected order took the tenant's latest number; its workflow is order-<slug>-<number>.
    const { order_counter: number } = await stack.database.db
      .selectFrom('tenants')
      .select('order_counter')
      .where('id', '=', tenant.id)
      .executeTakeFirstOrThrow();
    const handle = stack.temporal.workflow.getHandle(`order-${tenant.slug}-${number}`);
    expect(await handle.result()).toBe('rejected');
    const described = await handle.describe();
    expect(described.status.name).toBe('COMPLETED');
    expect(described.searchAttributes.OrderStatus).toEqual(['rejected']);
    expect(described.searchAttributes.TenantId).toEqual([tenant.id]);
  });
});

describe('tenant isolation', () => {
  it("another tenant's order is a 404 and its occurrences are unknown", async () => {
    const placed = await client.placeOrder({
      payment_method: 'free',
      booker: { email: 'iso@example.com' },
      lines: [{ occurrence_id: freeEventId }],
    });
    expect(placed.status).toBe(201);
    const theirs = orderClient(stack, other.apiKey);
    const seen = await theirs.getOrder(placed.body.id);
    expect(seen.status).toBe(404);
    expect(seen.body.code).toBe('not_found');
    const attempt = await theirs.placeOrder({
      payment_method: 'free',
      booker: { email: 'iso@example.com' },
      lines: [{ occurrence_id: freeEventId }],
    });
    expect(attempt.status).toBe(422);
    expect(attempt.body.errors[0].code).toBe('course_date_identifier_invalid');
  });
});
