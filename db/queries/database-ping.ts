import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema';

/** Resolves when PostgreSQL answers a trivial query; rejects with the driver's error otherwise. */
export async function pingDatabase(db: Kysely<Database>): Promise<void> {
  await sql`SELECT 1`.execute(db);
}
