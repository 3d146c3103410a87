import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
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

describe('gift vouchers sold as a product', () => {
  it('are created when the order is paid, emailed to the buyer, and redeemable in a later order', async () => {
    const giftCard = await createProduct(stack.database.db, tenant.id, {
      type: 'voucher',
      name: 'Gift card 500',
      price: 50_000,
      vatRateBp: 0,
    });
    const placed = await client.placeOrder({
      payment_method: 'card',
      booker: { name: 'Giver', email: 'giver@example.com' },
      lines: [{ product_id: giftCard, quantity: 2 }],
    });
    expect(placed.status).toBe(201);
    expect(placed.body.totals.incl_vat).toBe(100_000);
    // Nothing exists before payment.
    expect(
      await stack.database.db
        .selectFrom('vouchers')
        .select('id')
        .where('issued_by_order_id', '=', placed.body.id)
        .execute(),
    ).toEqual([]);

    await client.actOnPaymentPage(placed.body.payment.redirect_url, 'pay');
    const vouchers = await eventually(async () => {
      const rows = await stack.database.db
        .selectFrom('vouchers')
        .select(['code', 'initial_value', 'remaining_value', 'valid_until'])
        .where('issued_by_order_id', '=', placed.body.id)
        .execute();
      return rows.length === 2 ? rows : undefined;
    });
    expect(vouchers.map((v) => v.initial_value)).toEqual([50_000, 50_000]);
    expect(vouchers[0]!.valid_until!.getTime()).toBeGreaterThan(Date.now() + 300 * 86_400_000);
    const mail = await eventually(async () =>
      (await stack.mail()).find((m) => m.to.includes('giver@example.com') && /gift|gavekort/i.test(m.subject)),
    );
    for (const v of vouchers) expect(mail.text).toContain(v.code);

    const lookup = await fetch(`${stack.baseUrl}/v1/vouchers/${vouchers[0]!.code}`, {
      headers: { 'X-API-Key': tenant.apiKey },
    });
    expect(await jsonOf(lookup)).toMatchObject({ valid: true, remaining_value: 50_000 });

    const course = await createProduct(stack.database.db, tenant.id, { price: 80_000, vatRateBp: 0, name: 'Course' });
    const occurrence = await createOccurrence(stack.database.db, tenant.id, course, { capacity: 5 });
    const spend = await client.placeOrder({
      payment_method: 'card',
      voucher_code: vouchers[0]!.code,
      booker: { email: 'receiver@example.com' },
      lines: [{ occurrence_id: occurrence, quantity: 1 }],
    });
    expect(spend.status).toBe(201);
    expect(spend.body.totals.incl_vat).toBe(30_000);
  });
});
