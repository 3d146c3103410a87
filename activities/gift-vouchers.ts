import { randomInt } from 'node:crypto';
import { countGiftVouchersOf, insertGiftVoucher, loadGiftVoucherLines } from '../db/queries/gift-vouchers';
import { appendOrderEvent } from '../db/queries/order-events';
import type { ActivityDeps } from './activity-deps';

// Unambiguous characters only (no 0/O, 1/I/L): codes are read aloud and typed from paper.
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const VALID_FOR_DAYS = 365;

function newCode(): string {
  let code = 'GIFT-';
  for (let i = 0; i < 8; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return code;
}

export function createGiftVoucherActivities({ db }: ActivityDeps) {
  return {
    /**
     * Gift vouchers sold as products: once the order is paid, one value voucher per unit
     * bought, worth the product's face value (its unit price). Idempotent: vouchers are keyed by the order
     * and the line position, so a retry issues none twice.
     */
    async issueGiftVouchers(input: { tenantId: string; orderId: string }): Promise<{ issued: number }> {
      return db.transaction().execute(async (trx) => {
        if ((await countGiftVouchersOf(trx, input.orderId)) > 0) return { issued: 0 };
        const lines = await loadGiftVoucherLines(trx, input.orderId);
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
        return { issued };
      });
    },
  };
}
