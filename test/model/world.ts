import { randomBytes } from 'node:crypto';
import { ALL_SCOPES } from '../../domain/api-key';
import type { ExtraApi } from '../helpers/extra-api';
import { addApiKey, createOccurrence, createProduct, createTenant } from '../helpers/fixtures';
import type { TestStack } from '../helpers/test-stack';
import { type HttpAnswer, type SendOptions, send } from './http';
import type { Fixtures, Model } from './model';

/** What a run is generated with besides its commands: the tenant's policy and the capacities. */
export interface WorldParams {
  feePercent: number;
  latePolicy: 'refund' | 'rebook';
  capacityA: number;
  capacityB: number;
}

/** The real side of a run: the stack, the run's tenant and a trace of what happened. */
export interface Real {
  stack: TestStack;
  shortApi: ExtraApi;
  fx: Fixtures;
  trace: string[];
  /** Issued documents as first seen (id → JSON without the fields that may change). */
  documents: Map<string, string>;
}

export const EUR_RATE = '0.0853';

/** A fresh tenant with its catalogue, codes and keys for one run. */
export async function createFixtures(stack: TestStack, params: WorldParams): Promise<Fixtures> {
  const { db } = stack.database;
  const runId = randomBytes(3).toString('hex');
  const tenant = await createTenant(db, { slug: `m${runId}`, preliminaryMinutes: 30 });
  await db
    .updateTable('tenants')
    .set({
      cancellation_fee_percent: String(params.feePercent),
      late_payment_policy: params.latePolicy,
    })
    .where('id', '=', tenant.id)
    .execute();
  const clientKey = await addApiKey(db, tenant.id, ['orders:read', 'orders:write', 'invoices']);
  const opsKey = await addApiKey(db, tenant.id, [...ALL_SCOPES]);
  await db
    .insertInto('exchange_rates')
    .values({ tenant_id: tenant.id, quote_currency: 'eur', rate: EUR_RATE })
    .execute();
  const course = await createProduct(db, tenant.id, { price: 100_000, vatRateBp: 2500, name: 'First aid' });
  const workshop = await createProduct(db, tenant.id, { price: 40_000, vatRateBp: 1200, name: 'Workshop' });
  const lunch = await createProduct(db, tenant.id, { type: 'item', price: 15_000, vatRateBp: 1500, name: 'Lunch' });
  const freeEvent = await createProduct(db, tenant.id, { price: 0, vatRateBp: 0, name: 'Open day' });
  const freeItem = await createProduct(db, tenant.id, { type: 'item', price: 0, vatRateBp: 0, name: 'Brochure' });
  const A = await createOccurrence(db, tenant.id, course, { capacity: params.capacityA, name: 'First aid — Oslo' });
  const B = await createOccurrence(db, tenant.id, workshop, { capacity: params.capacityB, name: 'Workshop — Bergen' });
  const FREE = await createOccurrence(db, tenant.id, freeEvent, { capacity: 4, name: 'Open day — Oslo' });
  const diving = await createProduct(db, tenant.id, { price: 20_000, vatRateBp: 2500, name: 'Diving' });
  await db.updateTable('products').set({ requires_approval: true }).where('id', '=', diving).execute();
  const HELD = await createOccurrence(db, tenant.id, diving, { capacity: 6, name: 'Diving — Lofoten' });
  for (const [code, kind, percent, amount] of [
    ['SPRING', 'percent', '10', null],
    ['FIXED', 'amount', null, 5_000],
  ] as const) {
    await db
      .insertInto('campaigns')
      .values({
        id: crypto.randomUUID(),
        tenant_id: tenant.id,
        code,
        kind,
        percent,
        amount,
        currency: amount ? 'nok' : null,
      })
      .execute();
  }
  const subscription = await createSubscriptionProduct(stack, opsKey);
  return {
    runId,
    tenantId: tenant.id,
    tenantSlug: tenant.slug,
    clientKey,
    opsKey,
    feePercent: params.feePercent,
    latePolicy: params.latePolicy,
    eurRate: EUR_RATE,
    occurrences: { A, B, FREE, HELD },
    capacities: { [A]: params.capacityA, [B]: params.capacityB, [FREE]: 4, [HELD]: 6 },
    products: { course, workshop, lunch, freeEvent, freeItem, diving },
    subscription,
  };
}

/** The period every subscription of a run is bought on: three days, by card or invoice. */
export const SUBSCRIPTION_PERIOD = 'every-3-days';

/**
 * A newspaper sold in three-day periods (card or invoice, the notice one day before), through the
 * catalogue API as an integrator would set it up. With the stack's day length a period lasts
 * 3 × MODEL_SUBSCRIPTION_DAY_MS.
 */
async function createSubscriptionProduct(stack: TestStack, opsKey: string) {
  const product = await send(stack.baseUrl, 'POST', '/v1/catalog/products', {
    key: opsKey,
    body: { type: 'subscription', name: 'Model News', price: 0, vat_rate: 25 },
  });
  if (product.status !== 201 || typeof product.body?.id !== 'string')
    throw new Error(`subscription product: ${product.status} ${JSON.stringify(product.body)}`);
  const price = 10_000;
  const period = await send(stack.baseUrl, 'POST', `/v1/catalog/products/${product.body.id}/periods`, {
    key: opsKey,
    body: {
      code: SUBSCRIPTION_PERIOD,
      name: 'Three days',
      length_unit: 'day',
      length_count: 3,
      price,
      payment_methods: ['card', 'invoice'],
      renewal_notice_days: 1,
    },
  });
  if (period.status !== 201) throw new Error(`subscription period: ${period.status} ${JSON.stringify(period.body)}`);
  return { productId: product.body.id as string, periodCode: SUBSCRIPTION_PERIOD, periodDays: 3, price };
}

/**
 * A voucher made for one order: a value voucher (in the order's currency) is used up by the order
 * that takes it up to its total, a percent voucher (20 %) is single-use.
 */
export async function createVoucher(
  real: Real,
  model: Model,
  kind: 'value' | 'percent',
  currency: string,
  value: number,
) {
  model.seq += 1;
  const code = `${kind === 'value' ? 'GIFT' : 'PCT'}-${real.fx.runId}-${model.seq}`.toUpperCase();
  await real.stack.database.db
    .insertInto('vouchers')
    .values({
      id: crypto.randomUUID(),
      tenant_id: real.fx.tenantId,
      code,
      kind,
      currency: kind === 'value' ? currency : null,
      initial_value: kind === 'value' ? value : null,
      remaining_value: kind === 'value' ? value : null,
      percent: kind === 'percent' ? '20' : null,
      valid_until: null,
    })
    .execute();
  return code;
}

export function api(real: Real, method: string, path: string, options: Partial<SendOptions> = {}): Promise<HttpAnswer> {
  return send(real.stack.baseUrl, method, path, { key: real.fx.clientKey, ...options });
}
