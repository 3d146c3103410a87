import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

// Seed 001's integrators send orders already paid through their own provider: the payment is in
// our ledger from the start, checked against the total, and the order is booked and receipted at
// once. A transaction code pays one order; a mismatch is a 422 that holds nothing.

let stack: TestStack;
let tenant: TestTenant;
let course: string;
let client: ReturnType<typeof orderClient>;

/** 1000.00 NOK a seat excl. VAT; the order's two seats cost 2500.00 incl. 25 % VAT. */
const PRICE = 100_000;
const TWO_SEATS = 250_000;

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await createTenant(stack.database.db);
  client = orderClient(stack, tenant.apiKey);
  course = await createProduct(stack.database.db, tenant.id, { price: PRICE, vatRateBp: 2500, name: 'First aid' });
});
afterAll(async () => stack?.stop());

const prepaidOrder = (occurrenceId: string, prepayment: Record<string, unknown> | undefined, seats = 2) => ({
  payment_method: 'prepaid',
  ...(prepayment ? { prepayment } : {}),
  booker: { name: 'Kari Nordmann', email: 'kari@example.com' },
  external_contact_id: '47403',
  lines: [{ occurrence_id: occurrenceId, quantity: seats }],
});

const payment = (amount: number, transactionCode = `psp-${crypto.randomUUID()}`) => ({
  amount,
  currency: 'nok',
  method: 'card',
  transaction_code: transactionCode,
  provider: 'adyen',
  paid_at: '2026-11-30T12:00:00Z',
});

async function seatsLeft(occurrenceId: string): Promise<number> {
  return (await client.occurrence(occurrenceId)).seats_left;
}

function errorCodes(body: { errors?: { code: string }[] }): string[] {
  return (body.errors ?? []).map((e) => e.code);
}

describe('orders paid elsewhere', () => {
  it('are recorded in the ledger, booked and receipted at once', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, course, { capacity: 5 });
    const paid = payment(TWO_SEATS, 'psp-8812-3');
    const placed = await client.placeOrder(prepaidOrder(occurrence, paid), `prepaid-${crypto.randomUUID()}`);
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect(placed.body.payment).toMatchObject({ method: 'prepaid', requires_redirect: false, redirect_url: null });

    const order = await client.waitForStatus(placed.body.id, 'completed');
    expect(order).toMatchObject({ amount_paid: TWO_SEATS, left_to_pay: 0, preliminary_until: null });
    expect(order.payments).toEqual([
      expect.objectContaining({
        kind: 'charge',
        provider: 'prepaid',
        status: 'succeeded',
        amount: TWO_SEATS,
        currency: 'nok',
        method: 'card',
        transaction_code: 'psp-8812-3',
        external_provider: 'adyen',
        paid_at: '2026-11-30T12:00:00.000Z',
      }),
    ]);
    const receipt = order.documents.find((d: { kind: string }) => d.kind === 'receipt');
    expect(receipt).toMatchObject({ status: 'paid', total_incl_vat: TWO_SEATS });
    expect(await seatsLeft(occurrence)).toBe(3);
    const mail = await eventually(async () => {
      const rows = await stack.database.db
        .selectFrom('email_outbox')
        .select(['kind', 'recipient'])
        .where('order_id', '=', placed.body.id)
        .execute();
      return rows.length > 0 ? rows : undefined;
    });
    expect(mail).toEqual([{ kind: 'receipt', recipient: 'kari@example.com' }]);

    // Nothing is left to pay, and nothing asks for it.
    const pay = await fetch(`${stack.baseUrl}/v1/orders/${placed.body.id}/payments`, {
      method: 'POST',
      headers: { 'X-API-Key': tenant.apiKey, 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(pay.status).toBe(200);
    expect(await jsonOf(pay)).toMatchObject({ left_to_pay: 0 });
  });

  it('that do not match the total are refused with 422, holding nothing', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, course, { capacity: 5 });
    const before = await stack.database.db
      .selectFrom('payments')
      .select(({ fn }) => fn.countAll<string>().as('n'))
      .where('tenant_id', '=', tenant.id)
      .executeTakeFirstOrThrow();

    const short = await client.placeOrder(prepaidOrder(occurrence, payment(TWO_SEATS - 1)));
    expect(short.status).toBe(422);
    expect(short.body.errors).toEqual([
      expect.objectContaining({ code: 'prepayment_amount_mismatch', field: 'prepayment.amount', expected: TWO_SEATS }),
    ]);
    const over = await client.placeOrder(prepaidOrder(occurrence, payment(TWO_SEATS + 100)));
    expect(errorCodes(over.body)).toEqual(['prepayment_amount_mismatch']);
    const euros = await client.placeOrder(prepaidOrder(occurrence, { ...payment(TWO_SEATS), currency: 'eur' }));
    expect(errorCodes(euros.body)).toEqual(['prepayment_currency_mismatch']);
    const missing = await client.placeOrder(prepaidOrder(occurrence, undefined));
    expect(errorCodes(missing.body)).toEqual(['prepayment_missing']);
    const card = await client.placeOrder({ ...prepaidOrder(occurrence, payment(TWO_SEATS)), payment_method: 'card' });
    expect(card.status).toBe(422);
    expect(errorCodes(card.body)).toEqual(['prepayment_not_allowed']);

    expect(await seatsLeft(occurrence)).toBe(5);
    const after = await stack.database.db
      .selectFrom('payments')
      .select(({ fn }) => fn.countAll<string>().as('n'))
      .where('tenant_id', '=', tenant.id)
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('refuse a malformed prepayment with 400', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, course, { capacity: 5 });
    for (const bad of [
      { ...payment(TWO_SEATS), amount: 12.5 },
      { ...payment(TWO_SEATS), currency: 'NOK' },
      { ...payment(TWO_SEATS), transaction_code: '' },
      { ...payment(TWO_SEATS), paid_at: 'yesterday' },
      { ...payment(TWO_SEATS), extra: true },
    ]) {
      const placed = await client.placeOrder(prepaidOrder(occurrence, bad));
      expect(placed.status, JSON.stringify(bad)).toBe(400);
    }
  });

  it('pay one order per transaction code, even when two arrive at once', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, course, { capacity: 10 });
    const code = `psp-${crypto.randomUUID()}`;
    const both = await Promise.all([
      client.placeOrder(prepaidOrder(occurrence, payment(TWO_SEATS, code))),
      client.placeOrder(prepaidOrder(occurrence, payment(TWO_SEATS, code))),
    ]);
    expect(both.map((p) => p.status).sort()).toEqual([201, 422]);
    const refused = both.find((p) => p.status === 422)!;
    expect(refused.body.errors).toEqual([
      expect.objectContaining({ code: 'prepayment_already_recorded', field: 'prepayment.transaction_code' }),
    ]);
    const later = await client.placeOrder(prepaidOrder(occurrence, payment(TWO_SEATS, code)));
    expect(errorCodes(later.body)).toEqual(['prepayment_already_recorded']);
    const winner = both.find((p) => p.status === 201)!;
    await client.waitForStatus(winner.body.id, 'completed');
    expect(await seatsLeft(occurrence)).toBe(8);
  });

  it('are replayed, not paid twice, when the client retries with its Idempotency-Key', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, course, { capacity: 5 });
    const key = `prepaid-retry-${crypto.randomUUID()}`;
    const body = prepaidOrder(occurrence, payment(TWO_SEATS));
    const first = await client.placeOrder(body, key);
    const second = await client.placeOrder(body, key);
    expect(first.status).toBe(201);
    expect(second.body.id).toBe(first.body.id);
    const order = await client.waitForStatus(first.body.id, 'completed');
    expect(order.payments).toHaveLength(1);
    expect(await seatsLeft(occurrence)).toBe(3);
  });

  it('when cancelled, owe the refund by hand: no card to refund to', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, course, { capacity: 5 });
    const placed = await client.placeOrder(prepaidOrder(occurrence, payment(TWO_SEATS)));
    await client.waitForStatus(placed.body.id, 'completed');
    const cancel = await fetch(`${stack.baseUrl}/v1/orders/${placed.body.id}`, {
      method: 'DELETE',
      headers: { 'X-API-Key': tenant.apiKey },
    });
    expect(cancel.status).toBe(204);
    const order = await client.waitForStatus(placed.body.id, 'cancelled');
    const refunds = order.payments.filter((p: { kind: string }) => p.kind === 'refund');
    expect(refunds).toEqual([expect.objectContaining({ provider: 'manual', status: 'pending', amount: TWO_SEATS })]);
    expect(order.documents.map((d: { kind: string }) => d.kind).sort()).toEqual(['credit_note', 'receipt']);
    expect(await seatsLeft(occurrence)).toBe(5);
  });
});
