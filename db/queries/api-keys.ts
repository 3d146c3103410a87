import type { Kysely } from 'kysely';
import type { Database } from '../schema';

export interface ActiveApiKey {
  id: string;
  /** The key's name, for the audit trail of operator actions. */
  name: string;
  tenant_id: string;
  scopes: string[];
  /** The tenant's slug, for log lines. */
  slug: string;
}

/** The unrevoked key with this hash, with its tenant's slug; undefined for unknown or revoked. */
export async function findActiveApiKey(db: Kysely<Database>, keyHash: string): Promise<ActiveApiKey | undefined> {
  return db
    .selectFrom('api_keys')
    .innerJoin('tenants', 'tenants.id', 'api_keys.tenant_id')
    .select(['api_keys.id', 'api_keys.name', 'api_keys.tenant_id', 'api_keys.scopes', 'tenants.slug'])
    .where('api_keys.key_hash', '=', keyHash)
    .where('api_keys.revoked_at', 'is', null)
    .executeTakeFirst();
}
