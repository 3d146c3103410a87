import { type Kysely, sql } from 'kysely';

// The sandbox provider's webhook outbox: every webhook it must send is a row here, written in
// the same transaction as the session change it reports, and delivered at once (fast path) or
// by the delivery loop with backoff while the merchant's endpoint is down. A redelivery of the
// same event is a new row with the same event_id (the merchant deduplicates by it).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sandbox_webhook_deliveries')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) => c.notNull().references('sandbox_psp_sessions.id').onDelete('cascade'))
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0).check(sql`attempts >= 0`))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('delivered_at', 'timestamptz')
    .addColumn('gave_up_at', 'timestamptz')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // What the delivery loop scans: only rows still to be delivered.
  await db.schema
    .createIndex('sandbox_webhook_deliveries_due')
    .on('sandbox_webhook_deliveries')
    .column('next_attempt_at')
    .where(sql.ref('delivered_at'), 'is', null)
    .where(sql.ref('gave_up_at'), 'is', null)
    .execute();
  await db.schema
    .createIndex('sandbox_webhook_deliveries_session')
    .on('sandbox_webhook_deliveries')
    .columns(['session_id', 'event_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('sandbox_webhook_deliveries').execute();
}
