import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addApiKey, createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

let stack: TestStack;
let tenant: TestTenant;
let other: TestTenant;
let occurrenceId: string;
let client: ReturnType<typeof orderClient>;

beforeAll(async () => {
  stack = await startTestStack();
  const { db } = stack.database;
  tenant = await createTenant(db);
  other = await createTenant(db);
  const course = await createProduct(db, tenant.id, { price: 100_000, name: 'Climbing' });
  occurrenceId = await createOccurrence(db, tenant.id, course, { capacity: 50, name: 'Climbing — March' });
  client = orderClient(stack, tenant.apiKey);
});
afterAll(async () => stack.stop());

function call(
  path: string,
  init: { method?: string; body?: unknown; key?: string; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { 'X-API-Key': init.key ?? tenant.apiKey, ...init.headers };
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  return fetch(`${stack.baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
}

async function expectProblem(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = await jsonOf(response);
  expect(body).toMatchObject({ status, code });
  return body;
}

async function issue(body: Record<string, unknown>) {
  const response = await call('/v1/catalog/vouchers', { method: 'POST', body });
  expect(response.status).toBe(201);
  return jsonOf(response);
}

const redeem = (code: string, body?: unknown, key?: string) =>
  call(`/v1/vouchers/${code}/redeem`, { method: 'POST', body, key });

async function redemptionsOf(code: string) {
  return stack.database.db
    .selectFrom('voucher_redemptions')
    .innerJoin('vouchers', 'vouchers.id', 'voucher_redemptions.voucher_id')
    .select(['voucher_redemptions.amount', 'voucher_redemptions.order_id'])
    .where('vouchers.code', '=', code)
    .execute();
}

describe('GET /v1/vouchers/{code}', () => {
  it('answers the state of a usable voucher, whatever the case of the code', async () => {
    await issue({
      code: 'GIFT-LOOK-1',
      kind: 'value',
      value: 50_000,
      currency: 'nok',
      valid_until: '2031-01-01T00:00:00Z',
    });
    const response = await call('/v1/vouchers/gift-look-1');
    expect(response.status).toBe(200);
    expect(await jsonOf(response)).toEqual({
      id: expect.any(String),
      code: 'GIFT-LOOK-1',
      valid: true,
      kind: 'value',
      currency: 'nok',
      initial_value: 50_000,
      remaining_value: 50_000,
      percent: null,
      valid_until: '2031-01-01T00:00:00.000Z',
      redeemed_at: null,
      message: null,
      issued_by_order_id: null,
      creation_price: null,
    });
    await issue({ code: 'PCT-LOOK', kind: 'percent', percent: 12.5 });
    expect(await jsonOf(await call('/v1/vouchers/pct-look'))).toMatchObject({
      code: 'PCT-LOOK',
      valid: true,
      kind: 'percent',
      percent: 12.5,
      currency: null,
      remaining_value: null,
    });
  });

  it('answers valid: false with a message for an expired, a redeemed and an empty voucher', async () => {
    await issue({ code: 'OLD-1', kind: 'value', value: 1_000, currency: 'nok' });
    await stack.database.db
      .updateTable('vouchers')
      .set({ valid_until: new Date(Date.now() - 60_000) })
      .where('code', '=', 'OLD-1')
      .execute();
    expect(await jsonOf(await call('/v1/vouchers/OLD-1'))).toMatchObject({
      valid: false,
      message: expect.stringMatching(/expired/),
    });

    await issue({ code: 'USED-1', kind: 'percent', percent: 10 });
    await stack.database.db
      .updateTable('vouchers')
      .set({ redeemed_at: new Date() })
      .where('code', '=', 'USED-1')
      .execute();
    expect(await jsonOf(await call('/v1/vouchers/USED-1'))).toMatchObject({
      valid: false,
      message: expect.stringMatching(/already been redeemed/),
    });

    await issue({ code: 'EMPTY-1', kind: 'value', value: 1_000, currency: 'nok' });
    await stack.database.db.updateTable('vouchers').set({ remaining_value: 0 }).where('code', '=', 'EMPTY-1').execute();
    expect(await jsonOf(await call('/v1/vouchers/EMPTY-1'))).toMatchObject({
      valid: false,
      remaining_value: 0,
      message: expect.stringMatching(/no value left/),
    });
  });

  it("404 voucher_not_found for an unknown code and for another tenant's", async () => {
    await expectProblem(await call('/v1/vouchers/NOPE-NOPE'), 404, 'voucher_not_found');
    await issue({ code: 'MINE-ONLY', kind: 'percent', percent: 5 });
    await expectProblem(await call('/v1/vouchers/MINE-ONLY', { key: other.apiKey }), 404, 'voucher_not_found');
    await expectProblem(await redeem('MINE-ONLY', undefined, other.apiKey), 404, 'voucher_not_found');
    expect((await jsonOf(await call('/v1/vouchers/MINE-ONLY'))).valid).toBe(true);
  });
});

describe('POST /v1/vouchers/{code}/redeem', () => {
  it('takes part of a value voucher, then the rest, then refuses with 409 voucher_already_redeemed', async () => {
    await issue({ code: 'VAL-50', kind: 'value', value: 50_000, currency: 'nok' });
    const part = await redeem('val-50', { amount: 20_000 });
    expect(part.status).toBe(200);
    expect(await jsonOf(part)).toMatchObject({
      code: 'VAL-50',
      valid: true,
      remaining_value: 30_000,
      redeemed_at: null,
      redemption: { id: expect.any(String), amount: 20_000, created_at: expect.any(String) },
    });
    await expectProblem(await redeem('VAL-50', { amount: 30_001 }), 409, 'voucher_already_redeemed');

    const rest = await redeem('VAL-50');
    expect(rest.status).toBe(200);
    const state = await jsonOf(rest);
    expect(state).toMatchObject({
      valid: false,
      remaining_value: 0,
      redeemed_at: expect.any(String),
      redemption: { amount: 30_000 },
    });
    await expectProblem(await redeem('VAL-50'), 409, 'voucher_already_redeemed');
    await expectProblem(await redeem('VAL-50', { amount: 1 }), 409, 'voucher_already_redeemed');
    expect((await redemptionsOf('VAL-50')).map((r) => r.amount).sort()).toEqual([20_000, 30_000]);
    expect((await redemptionsOf('VAL-50')).every((r) => r.order_id === null)).toBe(true);
  });

  it('uses up a percent voucher; an amount is 422 voucher_amount_not_allowed', async () => {
    await issue({ code: 'PCT-20', kind: 'percent', percent: 20 });
    const problem = await expectProblem(await redeem('PCT-20', { amount: 100 }), 422, 'voucher_amount_not_allowed');
    expect(problem.errors[0].field).toBe('amount');
    const used = await redeem('pct-20');
    expect(used.status).toBe(200);
    expect(await jsonOf(used)).toMatchObject({
      valid: false,
      kind: 'percent',
      redeemed_at: expect.any(String),
      redemption: { amount: null },
    });
    await expectProblem(await redeem('PCT-20'), 409, 'voucher_already_redeemed');
    expect(await redemptionsOf('PCT-20')).toHaveLength(1);
  });

  it('also works with an empty JSON body', async () => {
    await issue({ code: 'PCT-EMPTY', kind: 'percent', percent: 20 });
    const response = await call('/v1/vouchers/PCT-EMPTY/redeem', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(response.status).toBe(200);
    await issue({ code: 'PCT-BRACES', kind: 'percent', percent: 20 });
    expect((await redeem('PCT-BRACES', {})).status).toBe(200);
  });

  it('409 voucher_code_expired after valid_until; 404 for an unknown code', async () => {
    await issue({ code: 'EXP-1', kind: 'value', value: 5_000, currency: 'nok' });
    await stack.database.db
      .updateTable('vouchers')
      .set({ valid_until: new Date(Date.now() - 1_000) })
      .where('code', '=', 'EXP-1')
      .execute();
    await expectProblem(await redeem('EXP-1'), 409, 'voucher_code_expired');
    await expectProblem(await redeem('EXP-1', { amount: 10 }), 409, 'voucher_code_expired');
    await expectProblem(await redeem('NOT-A-VOUCHER'), 404, 'voucher_not_found');
    expect(await redemptionsOf('EXP-1')).toEqual([]);
  });

  it('400 validation_failed for a malformed amount or an unknown field', async () => {
    await issue({ code: 'VAL-SHAPE', kind: 'value', value: 5_000, currency: 'nok' });
    for (const body of [
      { amount: 0 },
      { amount: -5 },
      { amount: 1.5 },
      { amount: '100' },
      { amount: 100, order: 'x' },
    ]) {
      await expectProblem(await redeem('VAL-SHAPE', body), 400, 'validation_failed');
    }
    expect((await jsonOf(await call('/v1/vouchers/VAL-SHAPE'))).remaining_value).toBe(5_000);
  });

  it('needs orders:write to redeem; orders:read or orders:write to look up', async () => {
    await issue({ code: 'SCOPE-1', kind: 'percent', percent: 10 });
    const readOnly = await addApiKey(stack.database.db, tenant.id, ['orders:read']);
    const writeOnly = await addApiKey(stack.database.db, tenant.id, ['orders:write']);
    const catalogOnly = await addApiKey(stack.database.db, tenant.id, ['catalog:admin']);
    expect((await call('/v1/vouchers/SCOPE-1', { key: readOnly })).status).toBe(200);
    expect((await call('/v1/vouchers/SCOPE-1', { key: writeOnly })).status).toBe(200);
    await expectProblem(await call('/v1/vouchers/SCOPE-1', { key: catalogOnly }), 403, 'missing_scope');
    await expectProblem(await redeem('SCOPE-1', undefined, readOnly), 403, 'missing_scope');
    expect((await redeem('SCOPE-1', undefined, writeOnly)).status).toBe(200);
  });

  it('of two redemptions at once, exactly one wins', async () => {
    await issue({ code: 'RACE-ALL', kind: 'value', value: 10_000, currency: 'nok' });
    const all = await Promise.all([redeem('RACE-ALL'), redeem('race-all')]);
    expect(all.map((r) => r.status).sort()).toEqual([200, 409]);
    await expectProblem(all.find((r) => r.status === 409)!, 409, 'voucher_already_redeemed');
    expect(await redemptionsOf('RACE-ALL')).toEqual([{ amount: 10_000, order_id: null }]);

    // Two partial redemptions that together want more than there is.
    await issue({ code: 'RACE-PART', kind: 'value', value: 10_000, currency: 'nok' });
    const parts = await Promise.all([redeem('RACE-PART', { amount: 6_000 }), redeem('RACE-PART', { amount: 6_000 })]);
    expect(parts.map((r) => r.status).sort()).toEqual([200, 409]);
    expect((await jsonOf(await call('/v1/vouchers/RACE-PART'))).remaining_value).toBe(4_000);

    // Ten at once on a percent voucher.
    await issue({ code: 'RACE-PCT', kind: 'percent', percent: 50 });
    const ten = await Promise.all(Array.from({ length: 10 }, () => redeem('RACE-PCT')));
    expect(ten.filter((r) => r.status === 200)).toHaveLength(1);
    expect(ten.filter((r) => r.status === 409)).toHaveLength(9);
    expect(await redemptionsOf('RACE-PCT')).toHaveLength(1);

    // Ten partial ones of 3 000 on 10 000: three fit, the value never goes below 0.
    await issue({ code: 'RACE-TEN', kind: 'value', value: 10_000, currency: 'nok' });
    const tenParts = await Promise.all(Array.from({ length: 10 }, () => redeem('RACE-TEN', { amount: 3_000 })));
    expect(tenParts.filter((r) => r.status === 200)).toHaveLength(3);
    expect((await jsonOf(await call('/v1/vouchers/RACE-TEN'))).remaining_value).toBe(1_000);
    expect((await redemptionsOf('RACE-TEN')).reduce((n, r) => n + (r.amount ?? 0), 0)).toBe(9_000);
  });
});

describe('a voucher in orders', () => {
  it('used by two orders at once: exactly one order gets it', async () => {
    // 100 000 + 25 % VAT = 125 000: the voucher covers one order completely.
    await issue({ code: 'ORDER-RACE', kind: 'value', value: 125_000, currency: 'nok' });
    const order = (n: number) => ({
      payment_method: 'free',
      voucher_code: 'order-race',
      booker: { email: `race${n}@example.com` },
      lines: [
        {
          occurrence_id: occurrenceId,
          participants: [{ firstname: 'R', lastname: `${n}`, email: `race${n}@example.com` }],
        },
      ],
    });
    const results = await Promise.all([client.placeOrder(order(1)), client.placeOrder(order(2))]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 422]);
    const winner = results.find((r) => r.status === 201)!;
    const loser = results.find((r) => r.status === 422)!;
    expect(loser.body.code).toBe('voucher_code_already_used');
    expect(winner.body.totals).toMatchObject({ incl_vat: 0 });

    await eventually(async () =>
      (await client.getOrder(winner.body.id)).body.status === 'completed' ? true : undefined,
    );
    const state = await jsonOf(await call('/v1/vouchers/ORDER-RACE'));
    expect(state).toMatchObject({ valid: false, remaining_value: 0, redeemed_at: expect.any(String) });
    const orders = await stack.database.db
      .selectFrom('orders')
      .select(['id', 'voucher_applied'])
      .where('tenant_id', '=', tenant.id)
      .where('voucher_code', '=', 'ORDER-RACE')
      .execute();
    expect(orders).toEqual([{ id: winner.body.id, voucher_applied: 125_000 }]);
    // The loser held nothing.
    const seats = await stack.database.db
      .selectFrom('occurrences')
      .select('seats_taken')
      .where('id', '=', occurrenceId)
      .executeTakeFirstOrThrow();
    expect(seats.seats_taken).toBe(1);
    // And the redeem endpoint now refuses it too.
    await expectProblem(await redeem('ORDER-RACE'), 409, 'voucher_already_redeemed');
  });
});

describe('campaign codes in orders', () => {
  let other: { product: string; occurrence: string };

  beforeAll(async () => {
    const { db } = stack.database;
    const product = await createProduct(db, tenant.id, { price: 50_000, name: 'Belay course' });
    other = {
      product,
      occurrence: await createOccurrence(db, tenant.id, product, { capacity: 50, name: 'Belay — April' }),
    };
  });

  async function campaign(body: Record<string, unknown>) {
    const response = await call('/v1/catalog/campaigns', { method: 'POST', body });
    expect(response.status).toBe(201);
    return jsonOf(response);
  }

  async function usesOf(code: string): Promise<number> {
    const row = await stack.database.db
      .selectFrom('campaigns')
      .select('uses')
      .where('tenant_id', '=', tenant.id)
      .where('code', '=', code)
      .executeTakeFirstOrThrow();
    return row.uses;
  }

  let n = 0;
  function order(code: string, lines: { occurrence: string; people?: number }[] = [{ occurrence: occurrenceId }]) {
    n += 1;
    return {
      payment_method: 'invoice',
      campaign_code: code,
      booker: { name: 'Camp', email: `camp${n}@example.com` },
      lines: lines.map((l, li) => ({
        occurrence_id: l.occurrence,
        participants: Array.from({ length: l.people ?? 1 }, (_, i) => ({
          firstname: 'P',
          lastname: `${n}-${li}-${i}`,
          email: `p${n}-${li}-${i}@example.com`,
        })),
      })),
    };
  }

  it('applies a code inside its validity window, case-insensitively', async () => {
    await campaign({
      code: 'WINDOW-NOW',
      kind: 'percent',
      percent: 10,
      valid_from: new Date(Date.now() - 86_400_000).toISOString(),
      valid_until: new Date(Date.now() + 86_400_000).toISOString(),
    });
    const placed = await client.placeOrder(order('window-now'));
    expect(placed.status).toBe(201);
    // 100 000 − 10 % = 90 000 excl. VAT, + 25 % VAT (discounts apply before VAT, as the order summary shows them).
    expect(placed.body.totals).toMatchObject({
      before_discounts: 100_000,
      discounts: 10_000,
      excl_vat: 90_000,
      incl_vat: 112_500,
    });
    expect(await usesOf('WINDOW-NOW')).toBe(1);
  });

  it('refuses a code before valid_from and after valid_until, holding nothing', async () => {
    await campaign({
      code: 'WINDOW-LATER',
      kind: 'percent',
      percent: 10,
      valid_from: new Date(Date.now() + 86_400_000).toISOString(),
    });
    await campaign({
      code: 'WINDOW-GONE',
      kind: 'percent',
      percent: 10,
      valid_from: new Date(Date.now() - 2 * 86_400_000).toISOString(),
      valid_until: new Date(Date.now() - 86_400_000).toISOString(),
    });
    const before = (await client.occurrence(occurrenceId)).seats_taken;
    const later = await client.placeOrder(order('WINDOW-LATER'));
    expect(later.status).toBe(422);
    expect(later.body.code).toBe('campaign_code_not_yet_valid');
    const gone = await client.placeOrder(order('WINDOW-GONE'));
    expect(gone.status).toBe(422);
    expect(gone.body.code).toBe('campaign_code_expired');
    expect((await client.occurrence(occurrenceId)).seats_taken).toBe(before);
    expect(await usesOf('WINDOW-LATER')).toBe(0);
    expect(await usesOf('WINDOW-GONE')).toBe(0);
  });

  it('at its last use, taken by two orders at once: exactly one wins', async () => {
    await campaign({ code: 'LAST-ONE', kind: 'percent', percent: 15, max_uses: 1 });
    const before = (await client.occurrence(occurrenceId)).seats_taken;
    const results = await Promise.all([client.placeOrder(order('LAST-ONE')), client.placeOrder(order('last-one'))]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 422]);
    expect(results.find((r) => r.status === 422)!.body.code).toBe('campaign_code_used_up');
    expect(results.find((r) => r.status === 201)!.body.totals.discounts).toBeGreaterThan(0);
    expect(await usesOf('LAST-ONE')).toBe(1);
    // The loser held no seat.
    expect((await client.occurrence(occurrenceId)).seats_taken).toBe(before + 1);
    const listed = await jsonOf(await call('/v1/catalog/campaigns?limit=200'));
    expect(listed.data.find((c: { code: string }) => c.code === 'LAST-ONE')).toMatchObject({ uses: 1, max_uses: 1 });
    // And a third order later is refused at validation.
    const third = await client.placeOrder(order('LAST-ONE'));
    expect(third.status).toBe(422);
    expect(third.body.code).toBe('campaign_code_used_up');
  });

  it('refuses an order below the minimum order value (incl. VAT, before the campaign)', async () => {
    await campaign({ code: 'MIN-200K', kind: 'amount', amount: 20_000, currency: 'nok', min_order_amount: 200_000 });
    const small = await client.placeOrder(order('MIN-200K'));
    expect(small.status).toBe(422);
    expect(small.body.code).toBe('campaign_minimum_not_met');
    expect(await usesOf('MIN-200K')).toBe(0);
    // Two participants: 200 000 excl., 250 000 incl. VAT.
    const big = await client.placeOrder(order('MIN-200K', [{ occurrence: occurrenceId, people: 2 }]));
    expect(big.status).toBe(201);
    expect(big.body.totals.before_discounts).toBe(200_000);
    expect(big.body.totals.discounts).toBeGreaterThan(0);
    expect(await usesOf('MIN-200K')).toBe(1);
  });

  it('applies only to its products', async () => {
    await campaign({ code: 'BELAY-ONLY', kind: 'percent', percent: 20, product_ids: [other.product] });
    const wrong = await client.placeOrder(order('BELAY-ONLY'));
    expect(wrong.status).toBe(422);
    expect(wrong.body.code).toBe('campaign_code_invalid');
    expect(await usesOf('BELAY-ONLY')).toBe(0);

    const mixed = await client.placeOrder(
      order('BELAY-ONLY', [{ occurrence: occurrenceId }, { occurrence: other.occurrence }]),
    );
    expect(mixed.status).toBe(201);
    const lines = mixed.body.lines as { occurrence_id: string; discount: number }[];
    expect(lines.find((l) => l.occurrence_id === occurrenceId)!.discount).toBe(0);
    expect(lines.find((l) => l.occurrence_id === other.occurrence)!.discount).toBeGreaterThan(0);
    // 20 % of the belay course only: 10 000 of its 50 000 (excl. VAT).
    expect(mixed.body.totals.discounts).toBe(10_000);
    expect(await usesOf('BELAY-ONLY')).toBe(1);
  });
});

describe('voucher look-up: ids and the creation price, in JSON or XML', () => {
  const parseXml = (text: string) => new XMLParser({ parseTagValue: false }).parse(text);

  it('a gift voucher sold with a discount: its id, the order that sold it and what one cost', async () => {
    const giftCard = await createProduct(stack.database.db, tenant.id, {
      type: 'voucher',
      name: 'Gift card 500',
      price: 50_000,
      vatRateBp: 0,
    });
    const placed = await client.placeOrder({
      payment_method: 'card',
      booker: { name: 'Giver', email: 'giver.price@example.com' },
      lines: [{ product_id: giftCard, quantity: 2, discount_percent: 10 }],
    });
    expect(placed.status).toBe(201);
    expect(placed.body.totals.incl_vat).toBe(90_000);
    await client.actOnPaymentPage(placed.body.payment.redirect_url, 'pay');
    const vouchers = await eventually(async () => {
      const rows = await stack.database.db
        .selectFrom('vouchers')
        .select(['id', 'code'])
        .where('issued_by_order_id', '=', placed.body.id)
        .execute();
      return rows.length === 2 ? rows : undefined;
    });
    const line = placed.body.lines[0];

    const json = await jsonOf(await call(`/v1/vouchers/${vouchers[0]!.code.toLowerCase()}`));
    expect(json).toMatchObject({
      id: vouchers[0]!.id,
      code: vouchers[0]!.code,
      valid: true,
      initial_value: 50_000,
      issued_by_order_id: placed.body.id,
      creation_price: {
        amount: 50_000,
        discount: 5_000,
        paid: 45_000,
        vat_rate: 0,
        currency: 'nok',
        order_id: placed.body.id,
        order_line_id: line.id,
      },
    });

    const response = await call(`/v1/vouchers/${vouchers[0]!.code}`, { headers: { Accept: 'application/xml' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/xml/);
    const xml = parseXml(await response.text());
    expect(xml.voucher).toMatchObject({
      id: json.id,
      code: json.code,
      valid: 'true',
      kind: 'value',
      initial_value: '50000',
      percent: '',
      issued_by_order_id: placed.body.id,
      creation_price: { amount: '50000', discount: '5000', paid: '45000', currency: 'nok', order_line_id: line.id },
    });

    // A redemption answers in XML too, and keeps the creation price.
    const redeemed = await call(`/v1/vouchers/${vouchers[1]!.code}/redeem`, {
      method: 'POST',
      body: { amount: 10_000 },
      headers: { Accept: 'application/xml' },
    });
    expect(redeemed.status).toBe(200);
    const redemption = parseXml(await redeemed.text());
    expect(redemption.voucher).toMatchObject({
      id: vouchers[1]!.id,
      remaining_value: '40000',
      creation_price: { paid: '45000' },
      redemption: { amount: '10000' },
    });
  });

  it('a voucher made in the catalogue has no creation price; an XML client gets problems as problem+json', async () => {
    await issue({ code: 'MADE-NOT-SOLD', kind: 'value', value: 2_000, currency: 'nok' });
    const xml = parseXml(
      await (await call('/v1/vouchers/MADE-NOT-SOLD', { headers: { Accept: 'application/xml' } })).text(),
    );
    expect(xml.voucher).toMatchObject({ code: 'MADE-NOT-SOLD', issued_by_order_id: '', creation_price: '' });
    expect(xml.voucher.id).toMatch(/^[0-9a-f-]{36}$/);

    const unknown = await call('/v1/vouchers/NOT-THERE-1', { headers: { Accept: 'application/xml' } });
    await expectProblem(unknown, 404, 'voucher_not_found');
  });
});
