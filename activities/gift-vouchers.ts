import { randomInt } from 'node:crypto';
import { sql } from 'kysely';
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
     * Gift vouchers sold as products (seed 002): once the order is paid, one value voucher per
     * unit bought, worth what the buyer paid for it. Idempotent: vouchers are keyed by the order
     * and the line position, so a retry issues none twice.
     */
    async issueGiftVouchers(input: { tenantId: string; orderId: string }): Promise<{ issued: number }> {
      return db.transaction().execute(async (trx) => {
        const existing = await trx.selectFrom('vouchers').select(({ fn }) => fn.countAll<number>().as('n'))
          .where('issued_by_order_id', '=', input.orderId).executeTakeFirstOrThrow();
        if (Number(existing.n) > 0) return { issued: 0 };
        const lines = await trx.selectFrom('order_lines').innerJoin('products', 'products.id', 'order_lines.product_id')
          .innerJoin('orders', 'orders.id', 'order_lines.order_id')
          .select(['order_lines.quantity', 'order_lines.incl_vat', 'orders.currency'])
          .where('order_lines.order_id', '=', input.orderId).where('products.type', '=', 'voucher').execute();
        let issued = 0;
        for (const line of lines) {
          // The value is what was paid per unit (after discounts), so a discounted voucher
          // never becomes worth more than it cost.
          const unitValue = Math.floor(line.incl_vat / line.quantity);
          if (unitValue <= 0) continue;
          for (let i = 0; i < line.quantity; i++) {
            await trx.insertInto('vouchers').values({
              id: crypto.randomUUID(), tenant_id: input.tenantId, code: newCode(), kind: 'value', currency: line.currency,
              initial_value: unitValue, remaining_value: unitValue, valid_until: sql`now() + make_interval(days => ${VALID_FOR_DAYS})`,
              issued_by_order_id: input.orderId,
            }).execute();
            issued += 1;
          }
        }
        await appendOrderEvent(trx, {
          tenantId: input.tenantId, orderId: input.orderId, eventKey: 'gift_vouchers', type: 'order.gift_vouchers_issued',
          message: `${issued} gift voucher(s) issued`,
        });
        return { issued };
      });
    },
  };
}
