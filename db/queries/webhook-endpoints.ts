import { randomUUID } from 'node:crypto';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database, WebhookEndpointsTable } from '../schema';

// A tenant's outbound webhook endpoints (docs/webhooks-outbound.md). Every query is scoped by
// tenant: another tenant's endpoint reads as absent.

export type WebhookEndpointRow = Selectable<WebhookEndpointsTable>;

export interface NewWebhookEndpoint {
  tenantId: string;
  url: string;
  eventTypes: readonly string[];
  description: string | null;
  secret: string;
  enabled: boolean;
}

export async function insertWebhookEndpoint(
  db: Kysely<Database>,
  input: NewWebhookEndpoint,
): Promise<WebhookEndpointRow> {
  return db
    .insertInto('webhook_endpoints')
    .values({
      id: randomUUID(),
      tenant_id: input.tenantId,
      url: input.url,
      event_types: sql<string[]>`${[...input.eventTypes]}::text[]`,
      description: input.description,
      secret: input.secret,
      enabled: input.enabled,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Oldest first, at most `limit`, after the endpoint `afterId` of the same order (a page cursor). */
export async function listWebhookEndpoints(
  db: Kysely<Database>,
  tenantId: string,
  page: { limit: number; after?: { createdAt: Date; id: string } },
): Promise<WebhookEndpointRow[]> {
  let query = db.selectFrom('webhook_endpoints').selectAll().where('tenant_id', '=', tenantId);
  if (page.after) {
    const { createdAt, id } = page.after;
    query = query.where(sql<boolean>`(created_at, id) > (${createdAt}, ${id}::uuid)`);
  }
  return query.orderBy('created_at').orderBy('id').limit(page.limit).execute();
}

export async function getWebhookEndpoint(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
): Promise<WebhookEndpointRow | undefined> {
  return db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export interface WebhookEndpointChanges {
  url?: string;
  eventTypes?: readonly string[];
  description?: string | null;
  enabled?: boolean;
}

export async function updateWebhookEndpoint(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  changes: WebhookEndpointChanges,
): Promise<WebhookEndpointRow | undefined> {
  return db
    .updateTable('webhook_endpoints')
    .set({
      ...(changes.url !== undefined ? { url: changes.url } : {}),
      ...(changes.eventTypes !== undefined ? { event_types: sql<string[]>`${[...changes.eventTypes]}::text[]` } : {}),
      ...(changes.description !== undefined ? { description: changes.description } : {}),
      ...(changes.enabled !== undefined ? { enabled: changes.enabled } : {}),
      updated_at: sql<Date>`now()`,
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/** Deletes the endpoint and (cascade) its delivery log; true when it existed. */
export async function deleteWebhookEndpoint(db: Kysely<Database>, tenantId: string, id: string): Promise<boolean> {
  const result = await db
    .deleteFrom('webhook_endpoints')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** A new secret; the current one becomes the previous one, still signed with until `previousValidMs` from now. */
export async function rotateWebhookSecret(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  rotation: { secret: string; previousValidMs: number },
): Promise<WebhookEndpointRow | undefined> {
  return db
    .updateTable('webhook_endpoints')
    .set((eb) => ({
      previous_secret: eb.ref('secret'),
      previous_secret_expires_at: sql<Date>`now() + make_interval(secs => ${rotation.previousValidMs / 1000})`,
      secret: rotation.secret,
      updated_at: sql<Date>`now()`,
    }))
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/** What the dispatcher needs to sign and send: the URL and the secrets valid now. */
export async function loadEndpointForSending(
  db: Kysely<Database>,
  id: string,
): Promise<{ url: string; secrets: string[] } | undefined> {
  const row = await db
    .selectFrom('webhook_endpoints')
    .select([
      'url',
      'secret',
      sql<string | null>`CASE WHEN previous_secret_expires_at > now() THEN previous_secret END`.as('previous'),
    ])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  return { url: row.url, secrets: row.previous ? [row.secret, row.previous] : [row.secret] };
}
