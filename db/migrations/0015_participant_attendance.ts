import { type Kysely, sql } from 'kysely';

// Whether a booked participant came: recorded by the provider after the event (course platforms
// mark participants attended or absent). Separate from `status`, which only a cancellation changes,
// because attendance moves no money and no seats.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('participants')
    .addColumn('attendance', 'text', (c) => c.check(sql`attendance IN ('attended', 'no_show')`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('participants').dropColumn('attendance').execute();
}
