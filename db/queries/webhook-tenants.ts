import type { Kysely } from 'kysely';
import { compiledQuery, type SlotOf } from '../compiled-query';
import type { Database } from '../schema';

const webhookTenant = compiledQuery((db, slot: SlotOf<{ slug: string }>) =>
  db.selectFrom('tenants').select(['id', 'slug', 'webhook_secret']).where('slug', '=', slot('slug')),
);

/** The tenant a webhook URL names by slug, with the secret its sandbox webhooks are signed with. */
export async function findWebhookTenant(db: Kysely<Database>, slug: string) {
  return webhookTenant.first(db, { slug });
}
