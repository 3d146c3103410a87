import { type Kysely, sql } from 'kysely';

// A provider's event ids are unique per merchant account, not across our tenants: with one
// global key, tenant B could store tenant A's (predictable) event id first and A's real event
// would then be taken for a repeat and never stored. Events are deduplicated per tenant and
// provider instead.
//
// tenant_id stays nullable for rows written before the intake always knew the tenant; the
// NOT VALID check makes every new row carry one (a NULL would escape the unique key) without
// failing on such old rows.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE payment_events DROP CONSTRAINT payment_events_provider_event_key`.execute(db);
  await sql`
    ALTER TABLE payment_events
      ADD CONSTRAINT payment_events_tenant_provider_event_key UNIQUE (tenant_id, provider, provider_event_id)`.execute(
    db,
  );
  await sql`ALTER TABLE payment_events
    ADD CONSTRAINT payment_events_tenant_required CHECK (tenant_id IS NOT NULL) NOT VALID`.execute(db);
}

// Going back needs event ids that are unique across tenants again: it fails (and changes
// nothing) while two tenants hold the same provider event id.
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE payment_events DROP CONSTRAINT payment_events_tenant_required`.execute(db);
  await sql`ALTER TABLE payment_events DROP CONSTRAINT payment_events_tenant_provider_event_key`.execute(db);
  await sql`ALTER TABLE payment_events
    ADD CONSTRAINT payment_events_provider_event_key UNIQUE (provider, provider_event_id)`.execute(db);
}
