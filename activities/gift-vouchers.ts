import { randomInt } from 'node:crypto';
import { countGiftVouchersOf, insertGiftVoucher, loadGiftVoucherLines } from '../db/queries/gift-vouchers';
import { appendOrderEvent } from '../db/queries/order-events';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import type { ActivityDeps } from './activity-deps';

// Unambiguous characters only (no 0/O, 1/I/L): codes are read aloud and typed from paper.
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const VALID_FOR_DAYS = 365;

function newCode(): string {
  let code = 'GIFT-';
  for (let i = 0; i < 8; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return code;
}

/**
 * Gift vouchers sold as products: once the order is paid, one value voucher per unit bought,
 * worth the product's face value (its unit price). Runs in the completion's transaction, so an
 * order is never seen completed without its vouchers. Answers how many the order has; a repeat
 * issues none (vouchers are keyed by the order).
 */
export async function issueGiftVouchersInTransaction(
  trx: Kysely<Database>,
  input: { tenantId: string; orderId: string },
): Promise<number> {
  // Most orders sell no gift voucher: one read answers them.
  const lines = await loadGiftVoucherLines(trx, input.orderId);
  if (lines.length === 0) return 0;
  const existing = await countGiftVouchersOf(trx, input.orderId);
  if (existing > 0) return existing;
  let issued = 0;
  for (const line of lines) {
    // A gift card is worth its face value, whatever a discount made it cost; a product
    // without a face value (priced 0) makes no card.
    const unitValue = line.prices_include_vat
      ? line.unit_price
      : line.unit_price + Math.round((line.unit_price * line.vat_rate_bp) / 10_000);
    if (unitValue <= 0) continue;
    for (let i = 0; i < line.quantity; i++) {
      await insertGiftVoucher(trx, {
        tenantId: input.tenantId,
        orderId: input.orderId,
        code: newCode(),
        currency: line.currency,
        value: unitValue,
        validForDays: VALID_FOR_DAYS,
      });
      issued += 1;
    }
  }
  await appendOrderEvent(trx, {
    tenantId: input.tenantId,
    orderId: input.orderId,
    eventKey: 'gift_vouchers',
    type: 'order.gift_vouchers_issued',
    message: `${issued} gift voucher(s) issued`,
  });
  return issued;
}

export function createGiftVoucherActivities({ db }: ActivityDeps) {
  return {
    /** The order's gift vouchers, issued now if the completion did not already (answers how many it has). */
    async issueGiftVouchers(input: { tenantId: string; orderId: string }): Promise<{ issued: number }> {
      return { issued: await db.transaction().execute((trx) => issueGiftVouchersInTransaction(trx, input)) };
    },
  };
}
