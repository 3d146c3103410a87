import { type Kysely, sql } from 'kysely';

// Customers kept through the API (POST/PATCH /v1/customers) carry a billing and a delivery
// address, as the subscription and ticketing platforms' accounts do, so a booker's details are
// there for the next order. Each address is one JSON object (name, company_name, care_of,
// line_1–3, zipcode, city, country_code; absent parts left out) rather than nine columns per
// kind: it is read and written whole, merged by PATCH in one statement, and never filtered by.
// `updated_at` tells an integrator syncing customers what changed.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('customers')
    .addColumn('billing_address', 'jsonb', (c) =>
      c.check(sql`billing_address IS NULL OR jsonb_typeof(billing_address) = 'object'`),
    )
    .addColumn('delivery_address', 'jsonb', (c) =>
      c.check(sql`delivery_address IS NULL OR jsonb_typeof(delivery_address) = 'object'`),
    )
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // Existing customers were last changed when they were made.
  await sql`UPDATE customers SET updated_at = created_at`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('customers')
    .dropColumn('updated_at')
    .dropColumn('delivery_address')
    .dropColumn('billing_address')
    .execute();
}
