import { type Kysely, type RawBuilder, sql } from 'kysely';

// The sandbox provider's hosted page is reached through a random page token, not through the
// session id (derived from the order id, so guessable), and its form carries a random CSRF
// token. Sessions opened before get fresh tokens too, and the links we hand out for them
// (payments.redirect_url, shown by GET /v1/orders/{id}) are rewritten: the old, guessable links
// stop working rather than stay open.
const RANDOM_TOKEN = sql`replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', '')`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('sandbox_psp_sessions')
    .addColumn('page_token', 'text')
    .addColumn('form_token', 'text')
    .execute();
  await sql`
    UPDATE sandbox_psp_sessions SET page_token = 'sbxpay_' || ${RANDOM_TOKEN}, form_token = ${RANDOM_TOKEN}`.execute(
    db,
  );
  await sql`
    ALTER TABLE sandbox_psp_sessions
      ALTER COLUMN page_token SET NOT NULL,
      ALTER COLUMN form_token SET NOT NULL,
      ADD CONSTRAINT sandbox_psp_sessions_page_token_key UNIQUE (page_token)`.execute(db);
  await rewriteLinks(db, sql`s.page_token`);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await rewriteLinks(db, sql`s.id`);
  await db.schema.alterTable('sandbox_psp_sessions').dropColumn('form_token').dropColumn('page_token').execute();
}

async function rewriteLinks(db: Kysely<unknown>, segment: RawBuilder<unknown>): Promise<void> {
  await sql`
    UPDATE payments p
    SET redirect_url = regexp_replace(p.redirect_url, '/psp/sandbox/pay/[^/?#]+$', '/psp/sandbox/pay/' || ${segment})
    FROM sandbox_psp_sessions s
    WHERE p.provider = 'sandbox' AND p.kind = 'charge' AND p.provider_session_id = s.id
      AND p.redirect_url IS NOT NULL`.execute(db);
}
