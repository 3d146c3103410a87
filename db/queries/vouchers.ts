import { type Selectable, sql } from 'kysely';
import { jsonObjectFrom } from 'kysely/helpers/postgres';
import type { Db } from '../database';
import type { VouchersTable } from '../schema';

/** What a gift voucher was sold for: one unit of the order line that bought it, in minor units. */
export interface VoucherCreationPrice {
  order_id: string;
  order_line_id: string;
  /** The unit price including VAT, before discounts (the voucher's face value). */
  amount: number;
  /** The discount on that unit, including VAT. */
  discount: number;
  /** What the unit cost: amount − discount. */
  paid: number;
  vat_rate_bp: number;
  currency: string;
}

/** A voucher with the database's verdict on its validity window (its clock, not ours). */
export type VoucherStateRow = Selectable<VouchersTable> & {
  expired: boolean;
  creation_price: VoucherCreationPrice | null;
};

/**
 * The line of the issuing order a gift voucher was sold on: a voucher product's line whose face
 * value (its unit price with VAT, as activities/gift-vouchers.ts values a card) is the voucher's
 * initial value — the first such line when several match. Vouchers made in the catalogue admin
 * API were not sold: null.
 */
const FACE_VALUE = sql<number>`(CASE WHEN t.prices_include_vat THEN l.unit_price
  ELSE l.unit_price + round(l.unit_price * l.vat_rate_bp / 10000.0)::bigint END)`;
const PAID_PER_UNIT = sql<number>`round(l.incl_vat::numeric / l.quantity)::bigint`;

const creationPrice = (db: Db) =>
  jsonObjectFrom(
    db
      .selectFrom('order_lines as l')
      .innerJoin('products as p', 'p.id', 'l.product_id')
      .innerJoin('orders as o', 'o.id', 'l.order_id')
      .innerJoin('tenants as t', 't.id', 'o.tenant_id')
      .select(['l.order_id', 'l.id as order_line_id', 'l.vat_rate_bp', 'o.currency'])
      .select(sql<number>`${FACE_VALUE}`.as('amount'))
      .select(sql<number>`greatest(${FACE_VALUE} - ${PAID_PER_UNIT}, 0)`.as('discount'))
      .select(sql<number>`least(${PAID_PER_UNIT}, ${FACE_VALUE})`.as('paid'))
      .where('l.order_id', '=', sql.ref<string>('vouchers.issued_by_order_id'))
      .where('p.type', '=', 'voucher')
      .where('l.quantity', '>', 0)
      .where(sql<boolean>`${FACE_VALUE} = vouchers.initial_value`)
      .orderBy('l.position')
      .limit(1),
  );

export async function findVoucherByCode(db: Db, tenantId: string, code: string): Promise<VoucherStateRow | undefined> {
  return db
    .selectFrom('vouchers')
    .selectAll()
    .select(sql<boolean>`(valid_until IS NOT NULL AND valid_until < now())`.as('expired'))
    .select(creationPrice(db).as('creation_price'))
    .where('tenant_id', '=', tenantId)
    .where(sql`upper(code)`, '=', code.trim().toUpperCase())
    .executeTakeFirst();
}

export type RedeemOutcome =
  | { ok: true; voucher: VoucherStateRow; redemption: { id: string; amount: number | null; created_at: Date } }
  | {
      ok: false;
      reason: 'not_found' | 'expired' | 'already_redeemed' | 'insufficient_value' | 'amount_not_allowed';
      voucher?: VoucherStateRow;
    };

/**
 * Redeems a voucher without an order (marks it used, e.g. at a till or a gate). The change is one
 * conditional UPDATE — still unredeemed, not expired, enough value left — so two redemptions at
 * once can never both take the same value; the redemption row is written in the same
 * transaction. `amount` absent takes everything left of a value voucher: the value seen is
 * taken only if it is still there, and re-read when a concurrent partial redemption changed it.
 */
export async function redeemVoucher(
  db: Db,
  tenantId: string,
  code: string,
  amount: number | undefined,
): Promise<RedeemOutcome> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const voucher = await findVoucherByCode(db, tenantId, code);
    if (!voucher) return { ok: false, reason: 'not_found' };
    if (voucher.kind === 'percent' && amount !== undefined) return { ok: false, reason: 'amount_not_allowed', voucher };
    if (voucher.expired) return { ok: false, reason: 'expired', voucher };
    if (voucher.redeemed_at !== null) return { ok: false, reason: 'already_redeemed', voucher };

    const take = voucher.kind === 'value' ? (amount ?? voucher.remaining_value ?? 0) : null;
    if (take !== null && (voucher.remaining_value ?? 0) <= 0) return { ok: false, reason: 'already_redeemed', voucher };
    if (take !== null && take > (voucher.remaining_value ?? 0))
      return { ok: false, reason: 'insufficient_value', voucher };

    const outcome = await db.transaction().execute(async (trx) => {
      let update = trx
        .updateTable('vouchers')
        .where('id', '=', voucher.id)
        .where('tenant_id', '=', tenantId)
        .where('redeemed_at', 'is', null)
        .where(sql<boolean>`(valid_until IS NULL OR valid_until >= now())`);
      update =
        take === null
          ? update.set({ redeemed_at: sql`now()` }).where('kind', '=', 'percent')
          : update
              .set({
                remaining_value: sql`remaining_value - ${take}`,
                redeemed_at: sql`CASE WHEN remaining_value - ${take} = 0 THEN now() ELSE NULL END`,
              })
              .where('kind', '=', 'value')
              .where('remaining_value', '>=', take);
      const updated = await update.returningAll().executeTakeFirst();
      if (!updated) return undefined;
      const redemption = await trx
        .insertInto('voucher_redemptions')
        .values({ id: crypto.randomUUID(), tenant_id: tenantId, voucher_id: voucher.id, amount: take, order_id: null })
        .returning(['id', 'amount', 'created_at'])
        .executeTakeFirstOrThrow();
      // What it was sold for does not change with a redemption.
      return { voucher: { ...updated, expired: false, creation_price: voucher.creation_price }, redemption };
    });
    if (outcome) return { ok: true, ...outcome };

    // Someone else changed the voucher between our read and our update: read it again to say why.
    const now = await findVoucherByCode(db, tenantId, code);
    if (!now) return { ok: false, reason: 'not_found' };
    if (now.expired) return { ok: false, reason: 'expired', voucher: now };
    if (now.redeemed_at !== null || (now.kind === 'value' && (now.remaining_value ?? 0) <= 0))
      return { ok: false, reason: 'already_redeemed', voucher: now };
    if (now.kind === 'value' && amount !== undefined && amount > (now.remaining_value ?? 0))
      return { ok: false, reason: 'insufficient_value', voucher: now };
    // "Everything left" while a partial redemption ran: take what is left now.
  }
  const last = await findVoucherByCode(db, tenantId, code);
  return { ok: false, reason: 'already_redeemed', ...(last ? { voucher: last } : {}) };
}
