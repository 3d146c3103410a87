import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { MIGRATION_NAMES, migrateDownAll, migrateToLatest } from '../../db/migrate';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { createOccurrence, createProduct, createTenant } from '../helpers/fixtures';

async function tableNames(database: TestDatabase): Promise<string[]> {
  const result = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_name NOT LIKE 'kysely_%' ORDER BY table_name`.execute(database.db);
  return result.rows.map((r) => r.table_name);
}

describe('migrations on a real PostgreSQL', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(inject('adminDatabaseUrl'), { migrate: false });
  });
  afterAll(async () => database.drop());

  it('go up, all the way down, and up again', async () => {
    expect(await migrateToLatest(database.db)).toEqual(MIGRATION_NAMES);
    const tables = await tableNames(database);
    for (const table of [
      'tenants',
      'api_keys',
      'products',
      'occurrences',
      'reservations',
      'orders',
      'order_lines',
      'participants',
      'customers',
      'payments',
      'payment_events',
      'invoices',
      'invoice_series',
      'vouchers',
      'campaigns',
      'exchange_rates',
      'email_outbox',
      'order_events',
      'idempotency_keys',
      'product_date_inventory',
    ]) {
      expect(tables).toContain(table);
    }
    await migrateDownAll(database.db);
    expect(await tableNames(database)).toEqual([]);
    expect(await migrateToLatest(database.db)).toEqual(MIGRATION_NAMES);
    expect(await migrateToLatest(database.db)).toEqual([]);
  });

  it('enforces capacity in the database itself', async () => {
    const tenant = await createTenant(database.db);
    const product = await createProduct(database.db, tenant.id, { price: 1000 });
    const occurrence = await createOccurrence(database.db, tenant.id, product, { capacity: 2 });
    await expect(
      database.db.updateTable('occurrences').set({ seats_taken: 3 }).where('id', '=', occurrence).execute(),
    ).rejects.toThrow(/occurrences_seats_within_capacity/);
    await expect(
      database.db.updateTable('occurrences').set({ seats_taken: -1 }).where('id', '=', occurrence).execute(),
    ).rejects.toThrow(/occurrences_seats_within_capacity/);
  });

  it('keeps tenants apart with composite foreign keys', async () => {
    const a = await createTenant(database.db);
    const b = await createTenant(database.db);
    const productOfA = await createProduct(database.db, a.id, { price: 1000 });
    // An occurrence of tenant B pointing at tenant A's product is refused by the database.
    await expect(createOccurrence(database.db, b.id, productOfA, { capacity: 1 })).rejects.toThrow(
      /occurrences_product_fk/,
    );
  });
});
