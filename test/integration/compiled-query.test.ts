import { NoResultError } from 'kysely';
import { describe, expect, it } from 'vitest';
import { compiledQuery, type SlotOf } from '../../db/compiled-query';
import { createTenant } from '../helpers/fixtures';
import { databaseWithTenant } from '../helpers/database-with-tenant';

// Statements built once and run with each call's values (db/compiled-query.ts): each run must see its own values, the
// query's constants must stay, and a value the builder drops must be caught, not run as a constant.
const setup = databaseWithTenant();

const tenantName = compiledQuery((db, slot: SlotOf<{ slug: string; currency: string }>) =>
  db
    .selectFrom('tenants')
    .select('name')
    .where('slug', '=', slot('slug'))
    .where('base_currency', '=', slot('currency'))
    .where('name', '<>', 'a constant of the query'),
);

const rename = compiledQuery((db, slot: SlotOf<{ id: string; name: string }>) =>
  db
    .updateTable('tenants')
    .set({ name: slot('name') })
    .where('id', '=', slot('id')),
);

describe('compiledQuery', () => {
  it('runs each call with its own values and keeps the constants', async () => {
    const { db } = setup.database;
    const other = await createTenant(db, { baseCurrency: 'eur' });
    const [mine, theirs] = await Promise.all([
      tenantName.first(db, { slug: setup.tenant.slug, currency: 'nok' }),
      tenantName.first(db, { slug: other.slug, currency: 'eur' }),
    ]);
    expect(mine).toEqual({ name: `Tenant ${setup.tenant.slug}` });
    expect(theirs).toEqual({ name: `Tenant ${other.slug}` });
    expect(await tenantName.all(db, { slug: other.slug, currency: 'nok' })).toEqual([]);
    expect(tenantName.sql(db)).toMatch(/"name" <> \$3/);
  });

  it('counts the rows a write touched and runs inside a transaction', async () => {
    const { db } = setup.database;
    const other = await createTenant(db);
    await expect(
      db.transaction().execute(async (trx) => {
        expect(await rename.affected(trx, { id: other.id, name: 'Renamed' })).toBe(1);
        expect(await tenantName.first(trx, { slug: other.slug, currency: 'nok' })).toEqual({ name: 'Renamed' });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await tenantName.first(db, { slug: other.slug, currency: 'nok' })).toEqual({ name: `Tenant ${other.slug}` });
    expect(await rename.affected(db, { id: crypto.randomUUID(), name: 'nobody' })).toBe(0);
  });

  it('one: the row, or NoResultError as executeTakeFirstOrThrow', async () => {
    const { db } = setup.database;
    expect(await tenantName.one(db, { slug: setup.tenant.slug, currency: 'nok' })).toEqual({
      name: `Tenant ${setup.tenant.slug}`,
    });
    await expect(tenantName.one(db, { slug: setup.tenant.slug, currency: 'eur' })).rejects.toBeInstanceOf(
      NoResultError,
    );
  });

  it('refuses a builder that drops a value', async () => {
    const dropped = compiledQuery((db, slot: SlotOf<{ slug: string }>) => {
      slot('slug');
      return db.selectFrom('tenants').select('name');
    });
    await expect(dropped.all(setup.database.db, { slug: 'x' })).rejects.toThrow(/slug not in the statement/);
  });
});
