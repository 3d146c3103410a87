import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { startTestStack, type TestStack } from '../helpers/test-stack';

// Several campaign codes on one order (`campaign_codes`), where the tenant's `campaign_stacking`
// allows it: refused while it is off, applied in the order given while it is on, each code's
// discount shown in `totals.discount_breakdown`, and one use of each code taken race-free and
// given back when the order goes.

let stack: TestStack;
let tenant: TestTenant;
let occurrenceId: string;
let client: ReturnType<typeof orderClient>;

beforeAll(async () => {
  stack = await startTestStack();
  const { db } = stack.database;
  tenant = await createTenant(db);
  // 1000.00 excl. VAT at 25 %.
  const course = await createProduct(db, tenant.id, { price: 100_000, name: 'Kayak course' });
  occurrenceId = await createOccurrence(db, tenant.id, course, { capacity: 100, name: 'Kayak — May' });
  client = orderClient(stack, tenant.apiKey);
});
afterAll(async () => stack.stop());

function call(method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = { 'X-API-Key': tenant.apiKey };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  return fetch(`${stack.baseUrl}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

/** Creates a campaign through the API; answers its id. */
async function campaign(body: Record<string, unknown>): Promise<string> {
  const response = await call('POST', '/v1/catalog/campaigns', body);
  expect(response.status).toBe(201);
  return (await jsonOf(response)).id;
}

async function usesOf(...codes: string[]): Promise<number[]> {
  const rows = await stack.database.db
    .selectFrom('campaigns')
    .select(['code', 'uses'])
    .where('tenant_id', '=', tenant.id)
    .where('code', 'in', codes)
    .execute();
  return codes.map((code) => rows.find((r) => r.code === code)?.uses ?? -1);
}

async function seatsTaken(): Promise<number> {
  return (await client.occurrence(occurrenceId)).seats_taken;
}

let n = 0;
function order(codes: Record<string, unknown>) {
  n += 1;
  return {
    payment_method: 'invoice',
    booker: { name: 'Stack', email: `stack${n}@example.com` },
    lines: [
      { occurrence_id: occurrenceId, participants: [{ firstname: 'P', lastname: `${n}`, email: `p${n}@example.com` }] },
    ],
    ...codes,
  };
}

async function setStacking(on: boolean) {
  const response = await call('PATCH', '/v1/settings', { campaign_stacking: on });
  expect(response.status).toBe(200);
  expect((await jsonOf(response)).campaign_stacking).toBe(on);
}

describe('with campaign_stacking off (the default)', () => {
  it('shows the setting as false and refuses two codes, taking nothing', async () => {
    expect((await jsonOf(await call('GET', '/v1/settings'))).campaign_stacking).toBe(false);
    await campaign({ code: 'OFF-A', kind: 'percent', percent: 10 });
    await campaign({ code: 'OFF-B', kind: 'amount', amount: 5_000, currency: 'nok' });
    const seats = await seatsTaken();
    const refused = await client.placeOrder(order({ campaign_codes: ['OFF-A', 'OFF-B'] }));
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('campaign_stacking_not_allowed');
    expect(refused.body.errors).toEqual([expect.objectContaining({ code: 'campaign_stacking_not_allowed' })]);
    expect(refused.body.errors[0].field).toBe('campaign_codes');
    expect(await usesOf('OFF-A', 'OFF-B')).toEqual([0, 0]);
    expect(await seatsTaken()).toBe(seats);
  });

  it('takes one code as a list of one, like campaign_code, with its breakdown', async () => {
    const id = await campaign({ code: 'OFF-ONE', kind: 'percent', percent: 10 });
    const placed = await client.placeOrder(order({ campaign_codes: ['off-one'] }));
    expect(placed.status).toBe(201);
    expect(placed.body.totals).toMatchObject({ before_discounts: 100_000, discounts: 10_000, excl_vat: 90_000 });
    expect(placed.body.totals.discount_breakdown).toEqual([
      { source: 'campaign', code: 'OFF-ONE', campaign_id: id, amount: 10_000 },
    ]);
    expect(await usesOf('OFF-ONE')).toEqual([1]);
    // campaign_code keeps working and shows the same breakdown.
    const single = await client.placeOrder(order({ campaign_code: 'OFF-ONE' }));
    expect(single.status).toBe(201);
    expect(single.body.totals.discount_breakdown).toEqual(placed.body.totals.discount_breakdown);
    expect(await usesOf('OFF-ONE')).toEqual([2]);
  });

  it('refuses both fields at once, a code twice and more than five codes', async () => {
    const both = await client.placeOrder(order({ campaign_code: 'OFF-ONE', campaign_codes: ['OFF-ONE'] }));
    expect(both.status).toBe(422);
    expect(both.body.errors).toEqual([expect.objectContaining({ code: 'campaign_codes_conflict' })]);
    const twice = await client.placeOrder(order({ campaign_codes: ['OFF-ONE', 'off-one'] }));
    expect(twice.status).toBe(422);
    expect(twice.body.errors).toEqual([
      expect.objectContaining({ code: 'campaign_code_duplicate', field: 'campaign_codes.1' }),
    ]);
    const six = await client.placeOrder(order({ campaign_codes: ['A', 'B', 'C', 'D', 'E', 'F'] }));
    expect(six.status).toBe(400);
    const notText = await client.placeOrder(order({ campaign_codes: 'OFF-ONE' }));
    expect(notText.status).toBe(400);
    expect(await usesOf('OFF-ONE')).toEqual([2]);
  });
});

describe('with campaign_stacking on (PATCH /v1/settings)', () => {
  let ids: Record<string, string>;
  beforeAll(async () => {
    await setStacking(true);
    ids = {
      TEN: await campaign({ code: 'TEN', kind: 'percent', percent: 10 }),
      FIFTY: await campaign({ code: 'FIFTY', kind: 'amount', amount: 5_000, currency: 'nok' }),
      LAST: await campaign({ code: 'LAST', kind: 'percent', percent: 20, max_uses: 1 }),
      OTHER: await campaign({ code: 'OTHER', kind: 'amount', amount: 1_000, currency: 'nok' }),
    };
  });

  it('applies the codes in the order given, each on what the ones before it left', async () => {
    const percentFirst = await client.placeOrder(order({ campaign_codes: ['ten', 'FIFTY'] }));
    expect(percentFirst.status).toBe(201);
    // 1000.00 − 10 % = 900.00 − 50.00 = 850.00 excl., 1062.50 incl.
    expect(percentFirst.body.totals).toMatchObject({
      before_discounts: 100_000,
      discounts: 15_000,
      excl_vat: 85_000,
      vat: 21_250,
      incl_vat: 106_250,
    });
    expect(percentFirst.body.totals.discount_breakdown).toEqual([
      { source: 'campaign', code: 'TEN', campaign_id: ids.TEN, amount: 10_000 },
      { source: 'campaign', code: 'FIFTY', campaign_id: ids.FIFTY, amount: 5_000 },
    ]);

    // The amount first: 1000.00 − 50.00 = 950.00 − 10 % = 855.00.
    const amountFirst = await client.placeOrder(order({ campaign_codes: ['FIFTY', 'TEN'] }));
    expect(amountFirst.status).toBe(201);
    expect(amountFirst.body.totals).toMatchObject({ discounts: 14_500, excl_vat: 85_500 });
    expect(amountFirst.body.totals.discount_breakdown.map((p: { code: string; amount: number }) => p)).toEqual([
      { source: 'campaign', code: 'FIFTY', campaign_id: ids.FIFTY, amount: 5_000 },
      { source: 'campaign', code: 'TEN', campaign_id: ids.TEN, amount: 9_500 },
    ]);

    // GET /v1/orders/{id} shows the codes in order and the same breakdown, adding up to the discount.
    const details = (await client.getOrder(amountFirst.body.id)).body;
    expect(details.campaign_codes).toEqual(['FIFTY', 'TEN']);
    expect(details.campaign_code).toBe('FIFTY');
    expect(details.totals.discount_breakdown).toEqual(amountFirst.body.totals.discount_breakdown);
    const sum = details.totals.discount_breakdown.reduce((a: number, p: { amount: number }) => a + p.amount, 0);
    expect(sum).toBe(details.totals.discounts);

    // Each code counted once per order.
    expect(await usesOf('TEN', 'FIFTY')).toEqual([2, 2]);
  });

  it('an unknown or expired code in the list is refused as a single code is, naming its place', async () => {
    await campaign({
      code: 'GONE',
      kind: 'percent',
      percent: 5,
      valid_from: new Date(Date.now() - 2 * 86_400_000).toISOString(),
      valid_until: new Date(Date.now() - 86_400_000).toISOString(),
    });
    const before = await usesOf('TEN', 'FIFTY');
    const seats = await seatsTaken();
    const refused = await client.placeOrder(order({ campaign_codes: ['TEN', 'NOPE', 'GONE'] }));
    expect(refused.status).toBe(422);
    expect(refused.body.errors.map((e: { code: string; field: string }) => [e.code, e.field])).toEqual([
      ['campaign_code_invalid', 'campaign_codes.1'],
      ['campaign_code_expired', 'campaign_codes.2'],
    ]);
    expect(await usesOf('TEN', 'FIFTY')).toEqual(before);
    expect(await seatsTaken()).toBe(seats);
  });

  it('a code at its last use, in two stacked orders at once: exactly one wins, the loser takes no code', async () => {
    const seats = await seatsTaken();
    const results = await Promise.all([
      client.placeOrder(order({ campaign_codes: ['OTHER', 'LAST'] })),
      client.placeOrder(order({ campaign_codes: ['last', 'OTHER'] })),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 422]);
    const loser = results.find((r) => r.status === 422);
    expect(loser?.body.code).toBe('campaign_code_used_up');
    expect(loser?.body.errors[0].field).toMatch(/^campaign_codes\.[01]$/);
    expect(await usesOf('LAST', 'OTHER')).toEqual([1, 1]);
    expect(await seatsTaken()).toBe(seats + 1);
    const third = await client.placeOrder(order({ campaign_codes: ['OTHER', 'LAST'] }));
    expect(third.status).toBe(422);
    expect(third.body.errors).toEqual([
      expect.objectContaining({ code: 'campaign_code_used_up', field: 'campaign_codes.1' }),
    ]);
    expect(await usesOf('LAST', 'OTHER')).toEqual([1, 1]);
  });

  it('a cancelled order gives back one use of each of its codes; a change to one code swaps them', async () => {
    await campaign({ code: 'BACK-A', kind: 'percent', percent: 10 });
    await campaign({ code: 'BACK-B', kind: 'amount', amount: 2_000, currency: 'nok' });
    await campaign({ code: 'BACK-C', kind: 'percent', percent: 5 });
    // Codes change while a card order awaits its payment.
    const placed = await client.placeOrder({
      ...order({ campaign_codes: ['BACK-A', 'BACK-B'] }),
      payment_method: 'card',
    });
    expect(placed.status).toBe(201);
    expect(await usesOf('BACK-A', 'BACK-B')).toEqual([1, 1]);

    const changed = await call('PATCH', `/v1/orders/${placed.body.id}`, { campaign_code: 'BACK-C' });
    expect(changed.status).toBe(200);
    expect((await jsonOf(changed)).totals.discount_breakdown).toEqual([
      expect.objectContaining({ source: 'campaign', code: 'BACK-C', amount: 5_000 }),
    ]);
    expect(await usesOf('BACK-A', 'BACK-B', 'BACK-C')).toEqual([0, 0, 1]);

    const other = await client.placeOrder(order({ campaign_codes: ['BACK-A', 'BACK-B', 'BACK-C'] }));
    expect(other.status).toBe(201);
    expect(await usesOf('BACK-A', 'BACK-B', 'BACK-C')).toEqual([1, 1, 2]);
    expect((await call('DELETE', `/v1/orders/${other.body.id}`)).status).toBe(204);
    expect(await usesOf('BACK-A', 'BACK-B', 'BACK-C')).toEqual([0, 0, 1]);
  });

  it('PATCH campaign_codes replaces the list, re-priced in the new order; null removes it', async () => {
    const a = await campaign({ code: 'SWAP-A', kind: 'amount', amount: 10_000, currency: 'nok' });
    const b = await campaign({ code: 'SWAP-B', kind: 'percent', percent: 50 });
    const placed = await client.placeOrder({ ...order({ campaign_codes: ['SWAP-A'] }), payment_method: 'card' });
    expect(placed.status).toBe(201);
    expect(await usesOf('SWAP-A', 'SWAP-B')).toEqual([1, 0]);

    // 1000.00 − 50 % = 500.00 − 100.00 = 400.00.
    const changed = await call('PATCH', `/v1/orders/${placed.body.id}`, { campaign_codes: ['SWAP-B', 'SWAP-A'] });
    expect(changed.status).toBe(200);
    const body = await jsonOf(changed);
    expect(body.totals).toMatchObject({ discounts: 60_000, excl_vat: 40_000 });
    expect(body.totals.discount_breakdown).toEqual([
      { source: 'campaign', code: 'SWAP-B', campaign_id: b, amount: 50_000 },
      { source: 'campaign', code: 'SWAP-A', campaign_id: a, amount: 10_000 },
    ]);
    expect((await client.getOrder(placed.body.id)).body.campaign_codes).toEqual(['SWAP-B', 'SWAP-A']);
    expect(await usesOf('SWAP-A', 'SWAP-B')).toEqual([1, 1]);

    const both = await call('PATCH', `/v1/orders/${placed.body.id}`, { campaign_code: 'SWAP-A', campaign_codes: [] });
    expect(both.status).toBe(422);
    expect((await jsonOf(both)).code).toBe('campaign_codes_conflict');
    expect(await usesOf('SWAP-A', 'SWAP-B')).toEqual([1, 1]);

    const removed = await call('PATCH', `/v1/orders/${placed.body.id}`, { campaign_codes: null });
    expect(removed.status).toBe(200);
    expect((await jsonOf(removed)).totals).toMatchObject({ discounts: 0, discount_breakdown: [] });
    expect(await usesOf('SWAP-A', 'SWAP-B')).toEqual([0, 0]);
  });

  it('turned off again, two codes are refused again', async () => {
    await setStacking(false);
    const refused = await client.placeOrder(order({ campaign_codes: ['TEN', 'FIFTY'] }));
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('campaign_stacking_not_allowed');
  });
});
