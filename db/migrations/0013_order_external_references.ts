import { type Kysely, sql } from 'kysely';

// Orders from an integrator's system (the training-management system's contact_id, company_id
// and source type) keep that system's references and where they came from, so the integrator
// finds its orders by its own ids (GET /v1/orders?external_contact_id=…) and operators tell
// staff and imported orders from the API's. A customer record keeps the contact id too.
//
// The filters start from the few matching orders of one tenant: the indexes end in
// (created_at, id), so a match is also read in the list's order and a page stops at its limit.
// The reference indexes are partial because most orders carry none; origin's is not, because
// `import` or `staff` may be a handful among a tenant's many API orders. The allowed origins
// are written out rather than imported: this migration must not change when the domain grows.

const ORIGINS = "'api', 'staff', 'import'";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('orders')
    .addColumn('external_contact_id', 'text')
    .addColumn('external_company_id', 'text')
    .addColumn('origin', 'text', (c) =>
      c
        .notNull()
        .defaultTo('api')
        .check(sql`origin IN (${sql.raw(ORIGINS)})`),
    )
    .execute();
  await sql`CREATE INDEX orders_tenant_external_contact_idx
    ON orders (tenant_id, external_contact_id, created_at, id) WHERE external_contact_id IS NOT NULL`.execute(db);
  await sql`CREATE INDEX orders_tenant_external_company_idx
    ON orders (tenant_id, external_company_id, created_at, id) WHERE external_company_id IS NOT NULL`.execute(db);
  await sql`CREATE INDEX orders_tenant_origin_idx ON orders (tenant_id, origin, created_at, id)`.execute(db);

  await db.schema.alterTable('customers').addColumn('external_contact_id', 'text').execute();
  await sql`CREATE INDEX customers_tenant_external_contact_idx
    ON customers (tenant_id, external_contact_id) WHERE external_contact_id IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // Dropping a column drops its indexes with it.
  await db.schema.alterTable('customers').dropColumn('external_contact_id').execute();
  await db.schema
    .alterTable('orders')
    .dropColumn('origin')
    .dropColumn('external_company_id')
    .dropColumn('external_contact_id')
    .execute();
}
