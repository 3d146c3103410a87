import { type Kysely, sql } from 'kysely';

// Issue 15: a tenant migrating from another platform keeps that platform's ids on its products,
// occurrences and subscription periods (seed 000 `coursedate_id`, seed 002 `product_code` and
// `period_id`, …), so the compatibility routes can accept the old requests verbatim and resolve
// them. Optional, printable, and unique per tenant within each table so an id names one entity.
const TABLES = ['products', 'occurrences', 'subscription_periods'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of TABLES) {
    await db.schema
      .alterTable(table)
      .addColumn('external_id', 'text', (c) =>
        // 1–128 characters, none of them a control character (U+0000–U+001F, U+007F–U+009F).
        c.check(sql`length(external_id) BETWEEN 1 AND 128 AND external_id !~ '[\\x01-\\x1f\\x7f-\\x9f]'`),
      )
      .execute();
    await sql`CREATE UNIQUE INDEX ${sql.id(`${table}_tenant_external_id_key`)}
      ON ${sql.table(table)} (tenant_id, external_id) WHERE external_id IS NOT NULL`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of TABLES) {
    await sql`DROP INDEX IF EXISTS ${sql.id(`${table}_tenant_external_id_key`)}`.execute(db);
    await db.schema.alterTable(table).dropColumn('external_id').execute();
  }
}
