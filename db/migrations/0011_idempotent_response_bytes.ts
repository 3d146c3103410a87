import { type Kysely, sql } from 'kysely';

// An Idempotency-Key's replay must be the first answer byte for byte. A jsonb body is not: it
// reorders keys and drops whitespace, and re-serialising it on each replay is a second answer.
// The exact bytes and their Content-Type are stored instead; rows written before keep their
// response_body, which is replayed as before.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('idempotency_keys')
    .addColumn('response_bytes', 'bytea')
    .addColumn('response_content_type', 'text')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // Older code replays response_body: give it the stored answers (our bodies are JSON).
  await sql`UPDATE idempotency_keys SET response_body = convert_from(response_bytes, 'UTF8')::jsonb
    WHERE response_bytes IS NOT NULL`.execute(db);
  await db.schema
    .alterTable('idempotency_keys')
    .dropColumn('response_content_type')
    .dropColumn('response_bytes')
    .execute();
}
