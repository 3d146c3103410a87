import type { Kysely } from 'kysely';
import type { Database } from '../schema';

/** The tenant a webhook URL names by slug, with the secret its sandbox webhooks are signed with. */
export async function findWebhookTenant(db: Kysely<Database>, slug: string) {
  return db.selectFrom('tenants').select(['id', 'slug', 'webhook_secret']).where('slug', '=', slug).executeTakeFirst();
}
