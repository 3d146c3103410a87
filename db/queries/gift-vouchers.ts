import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema';

// Gift vouchers an order sold: value vouchers issued once it is paid (vouchers.issued_by_order_id).

export async function countGiftVouchersOf(trx: Kysely<Database>, orderId: string): Promise<number> {
  const row = await trx
    .selectFrom('vouchers')
    .select(({ fn }) => fn.countAll<number>().as('n'))
    .where('issued_by_order_id', '=', orderId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The order's lines that sell gift vouchers, with what a card's face value is worked out from. */
export async function loadGiftVoucherLines(trx: Kysely<Database>, orderId: string) {
  return trx
    .selectFrom('order_lines')
    .innerJoin('products', 'products.id', 'order_lines.product_id')
    .innerJoin('orders', 'orders.id', 'order_lines.order_id')
    .innerJoin('tenants', 'tenants.id', 'orders.tenant_id')
    .select([
      'order_lines.quantity',
      'order_lines.unit_price',
      'order_lines.vat_rate_bp',
      'orders.currency',
      'tenants.prices_include_vat',
    ])
    .where('order_lines.order_id', '=', orderId)
    .where('products.type', '=', 'voucher')
    .execute();
}

export interface GiftVoucher {
  tenantId: string;
  orderId: string;
  code: string;
  currency: string;
  value: number;
  validForDays: number;
}

export async function insertGiftVoucher(trx: Kysely<Database>, voucher: GiftVoucher): Promise<void> {
  await trx
    .insertInto('vouchers')
    .values({
      id: crypto.randomUUID(),
      tenant_id: voucher.tenantId,
      code: voucher.code,
      kind: 'value',
      currency: voucher.currency,
      initial_value: voucher.value,
      remaining_value: voucher.value,
      valid_until: sql`now() + make_interval(days => ${voucher.validForDays})`,
      issued_by_order_id: voucher.orderId,
    })
    .execute();
}
