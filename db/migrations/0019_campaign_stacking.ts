import { type Kysely, sql } from 'kysely';

// Several campaign codes on one order, where the tenant allows it (facility-booking systems take
// a list of coupons). `tenants.campaign_stacking` is off by default: one code per order, as before.
// `orders.campaign_codes` holds every code the order took a use of, in the order applied (the
// first is also `campaign_code`, which readers of one code keep using); `discount_breakdown` is
// where `total_discounts` came from — lines, each campaign (code, id, amount), the voucher — as
// the API shows it. Orders priced before this migration keep an empty breakdown unless their
// discounts can only have come from their lines.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('tenants')
    .addColumn('campaign_stacking', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await db.schema
    .alterTable('orders')
    .addColumn('campaign_codes', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('discount_breakdown', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .execute();
  await sql`UPDATE orders SET campaign_codes = ARRAY[campaign_code] WHERE campaign_code IS NOT NULL`.execute(db);
  await sql`
    UPDATE orders SET discount_breakdown = jsonb_build_array(jsonb_build_object(
      'source', 'lines', 'code', NULL, 'campaign_id', NULL, 'amount', total_discounts))
    WHERE campaign_code IS NULL AND voucher_code IS NULL AND total_discounts > 0`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('orders').dropColumn('discount_breakdown').dropColumn('campaign_codes').execute();
  await db.schema.alterTable('tenants').dropColumn('campaign_stacking').execute();
}
