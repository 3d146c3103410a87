import { sql } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import type { OrderRequest } from '../../domain/order-request';
import { campaignCodesToLoad } from '../../domain/campaign-codes';
import type { CatalogCampaign, CatalogSnapshot, CatalogSubscriptionPeriod } from '../../domain/order-draft';
import { compiledQuery, type SlotOf } from '../compiled-query';
import type { Db } from '../database';
import { orderCampaignCodes } from './order-campaign-codes';

// Built once (db/compiled-query.ts): every order reads these. A list is one array parameter (`= any`), so the
// statement is the same whatever the list's length; ids are uuids and codes text, as the columns.

/** The tenant, its exchange rates (as text: a numeric stays exact) and the database's clock in one read. */
const tenantSnapshot = compiledQuery((db, slot: SlotOf<{ tenantId: string }>) =>
  db
    .selectFrom('tenants')
    .selectAll()
    .select((eb) => [
      sql<Date>`now()`.as('now'),
      jsonArrayFrom(
        eb
          .selectFrom('exchange_rates')
          .select(['quote_currency', sql<string>`rate::text`.as('rate')])
          .whereRef('exchange_rates.tenant_id', '=', 'tenants.id'),
      ).as('exchange_rates'),
    ])
    .where('id', '=', slot('tenantId')),
);

type ByIds = { tenantId: string; ids: string[] };
const occurrencesByIds = compiledQuery((db, slot: SlotOf<ByIds>) =>
  db
    .selectFrom('occurrences')
    .selectAll()
    .where('tenant_id', '=', slot('tenantId'))
    .where((eb) => sql<boolean>`${eb.ref('id')} = any(${slot('ids')}::uuid[])`),
);

const productsByIds = compiledQuery((db, slot: SlotOf<ByIds>) =>
  db
    .selectFrom('products')
    .selectAll()
    .where('tenant_id', '=', slot('tenantId'))
    .where((eb) => sql<boolean>`${eb.ref('id')} = any(${slot('ids')}::uuid[])`),
);

/** `codes` upper-cased, as campaignCodesToLoad gives them. */
const campaignsByCodes = compiledQuery((db, slot: SlotOf<{ tenantId: string; codes: string[] }>) =>
  db
    .selectFrom('campaigns')
    .selectAll()
    .where('tenant_id', '=', slot('tenantId'))
    .where(sql<boolean>`upper(code) = any(${slot('codes')}::text[])`),
);

const voucherByCode = compiledQuery((db, slot: SlotOf<{ tenantId: string; code: string }>) =>
  db
    .selectFrom('vouchers')
    .selectAll()
    .where('tenant_id', '=', slot('tenantId'))
    .where(sql`upper(code)`, '=', slot('code')),
);

/** Reads, in two to four queries, only the catalogue rows an order request names. */
export async function loadCatalogSnapshot(
  db: Db,
  tenantId: string,
  request: OrderRequest,
  changingOrderId?: string,
): Promise<CatalogSnapshot> {
  const occurrenceIds = new Set<string>();
  const productIds = new Set<string>();
  for (const line of request.lines) {
    if (line.occurrence_id) occurrenceIds.add(line.occurrence_id);
    if (line.product_id) productIds.add(line.product_id);
    for (const participant of line.participants ?? []) {
      for (const product of participant.products ?? []) productIds.add(product.id);
    }
  }

  const campaignCodes = campaignCodesToLoad(request);
  const [tenant, occurrences, campaignRows, voucher] = await Promise.all([
    tenantSnapshot.one(db, { tenantId }),
    occurrenceIds.size ? occurrencesByIds.all(db, { tenantId, ids: [...occurrenceIds] }) : Promise.resolve([]),
    campaignCodes.length > 0 ? campaignsByCodes.all(db, { tenantId, codes: campaignCodes }) : Promise.resolve([]),
    request.voucher_code
      ? voucherByCode.first(db, { tenantId, code: request.voucher_code.trim().toUpperCase() })
      : Promise.resolve(undefined),
  ]);
  const { now, exchange_rates: rates } = tenant;
  for (const occurrence of occurrences) productIds.add(occurrence.product_id);
  if (changingOrderId) {
    // A change re-requests the order's own seats: they count as free for the early check.
    const own = await db
      .selectFrom('reservations')
      .select(['occurrence_id', 'quantity'])
      .where('order_id', '=', changingOrderId)
      .where('status', '=', 'held')
      .where('occurrence_id', 'is not', null)
      .execute();
    for (const hold of own) {
      const occurrence = occurrences.find((o) => o.id === hold.occurrence_id);
      if (occurrence) occurrence.seats_taken -= hold.quantity;
    }
    // Its own campaign uses and voucher value count as free too: the change gives them back first.
    const order = await db
      .selectFrom('orders')
      .select(['campaign_code', 'campaign_codes', 'voucher_code', 'voucher_applied'])
      .where('id', '=', changingOrderId)
      .executeTakeFirst();
    const ownCodes = new Set(order ? orderCampaignCodes(order).map((c) => c.toUpperCase()) : []);
    for (const campaign of campaignRows)
      if (ownCodes.has(campaign.code.toUpperCase())) campaign.uses = Math.max(0, campaign.uses - 1);
    if (voucher && order?.voucher_code?.toUpperCase() === voucher.code.toUpperCase()) {
      if (voucher.kind === 'value') voucher.remaining_value = (voucher.remaining_value ?? 0) + order.voucher_applied;
      voucher.redeemed_at = null;
    }
  }
  const campaigns: CatalogCampaign[] = campaignRows.map((campaign) => ({
    id: campaign.id,
    code: campaign.code,
    kind: campaign.kind,
    percent: campaign.percent === null ? null : Number(campaign.percent),
    amount: campaign.amount,
    currency: campaign.currency,
    validFrom: campaign.valid_from?.toISOString() ?? null,
    validUntil: campaign.valid_until?.toISOString() ?? null,
    maxUses: campaign.max_uses,
    uses: campaign.uses,
    minOrderAmount: campaign.min_order_amount,
    productIds: campaign.product_ids,
  }));
  const products = productIds.size ? await productsByIds.all(db, { tenantId, ids: [...productIds] }) : [];
  // Only an order that names a period reads periods: every other order costs nothing more.
  const periodProductIds = request.lines.flatMap((l) => (l.period !== undefined && l.product_id ? [l.product_id] : []));
  const periods = periodProductIds.length
    ? await db
        .selectFrom('subscription_periods')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('product_id', 'in', periodProductIds)
        .where('active', '=', true)
        .execute()
    : [];
  const subscriptionPeriods: Record<string, CatalogSubscriptionPeriod[]> = {};
  for (const p of periods) {
    const list = subscriptionPeriods[p.product_id] ?? [];
    subscriptionPeriods[p.product_id] = list;
    list.push({
      id: p.id,
      code: p.code,
      name: p.name,
      lengthUnit: p.length_unit,
      lengthCount: p.length_count,
      price: Number(p.price),
      paymentMethods: p.payment_methods,
      physical: p.physical,
    });
  }

  return {
    tenant: {
      id: tenant.id,
      slug: tenant.slug,
      name: tenant.name,
      baseCurrency: tenant.base_currency,
      pricesIncludeVat: tenant.prices_include_vat,
      preliminaryMinutes: tenant.preliminary_minutes,
      locale: tenant.locale,
      campaignStacking: tenant.campaign_stacking,
      approval: {
        required: tenant.approval_required,
        deadlineHours: tenant.approval_deadline_hours,
        onDeadline: tenant.approval_deadline_action,
      },
    },
    products: Object.fromEntries(
      products.map((p) => [
        p.id,
        {
          id: p.id,
          type: p.type,
          name: p.name,
          price: p.price,
          vatRateBp: p.vat_rate_bp,
          dailyCapacity: p.daily_capacity,
          active: p.active,
          requiresApproval: p.requires_approval,
        },
      ]),
    ),
    occurrences: Object.fromEntries(
      occurrences.map((o) => [
        o.id,
        {
          id: o.id,
          productId: o.product_id,
          name: o.name,
          startsAt: o.starts_at.toISOString(),
          capacity: o.capacity,
          seatsTaken: o.seats_taken,
          price: o.price,
          status: o.status,
        },
      ]),
    ),
    exchangeRates: Object.fromEntries(rates.map((r) => [r.quote_currency, r.rate])),
    campaign: campaigns.find((c) => c.code.toUpperCase() === campaignCodes[0]) ?? null,
    campaigns,
    voucher: voucher
      ? {
          code: voucher.code,
          kind: voucher.kind,
          currency: voucher.currency,
          remainingValue: voucher.remaining_value,
          percent: voucher.percent === null ? null : Number(voucher.percent),
          validUntil: voucher.valid_until?.toISOString() ?? null,
          redeemedAt: voucher.redeemed_at?.toISOString() ?? null,
        }
      : null,
    ...(periods.length > 0 ? { subscriptionPeriods } : {}),
    now: now.toISOString(),
  };
}
