import { type Selectable, sql } from 'kysely';
import type { Db } from '../database';
import type { VouchersTable } from '../schema';

/** A voucher with the database's verdict on its validity window (its clock, not ours). */
export type VoucherStateRow = Selectable<VouchersTable> & { expired: boolean };

export async function findVoucherByCode(db: Db, tenantId: string, code: string): Promise<VoucherStateRow | undefined> {
  return db
    .selectFrom('vouchers')
    .selectAll()
    .select(sql<boolean>`(valid_until IS NOT NULL AND valid_until < now())`.as('expired'))
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
      return { voucher: { ...updated, expired: false }, redemption };
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
