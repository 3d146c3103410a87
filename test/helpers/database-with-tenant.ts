import { afterAll, beforeAll, inject } from 'vitest';
import { createTenant, type TestTenant } from './fixtures';
import { createTestDatabase, type TestDatabase } from './test-database';

/**
 * A migrated database of the test file's own with one tenant, for tests of queries and activities without a stack:
 * created before the file's tests and dropped after them. Read its fields inside tests, not at module level.
 */
export function databaseWithTenant(): { readonly database: TestDatabase; readonly tenant: TestTenant } {
  const context = {} as { database: TestDatabase; tenant: TestTenant };
  beforeAll(async () => {
    context.database = await createTestDatabase(inject('adminDatabaseUrl'));
    context.tenant = await createTenant(context.database.db);
  });
  afterAll(async () => context.database?.drop());
  return context;
}
