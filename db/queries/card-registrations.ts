import { type Kysely, type Selectable, sql } from 'kysely';
import type { CardRegistrationsTable, Database } from '../schema';
import { vaultSandboxCard } from './sandbox-payment-page';

// Cards a customer saves on the provider's page without paying (POST /v1/customers/{id}/saved-cards).

export type CardRegistrationRow = Selectable<CardRegistrationsTable>;

export async function insertCardRegistration(
  db: Kysely<Database>,
  values: {
    tenantId: string;
    customerId: string;
    provider: string;
    pageToken: string;
    formToken: string;
    successUrl: string | null;
    failureUrl: string | null;
    expiresAt: Date;
  },
): Promise<CardRegistrationRow> {
  return db
    .insertInto('card_registrations')
    .values({
      id: crypto.randomUUID(),
      tenant_id: values.tenantId,
      customer_id: values.customerId,
      provider: values.provider,
      page_token: values.pageToken,
      form_token: values.formToken,
      success_url: values.successUrl,
      failure_url: values.failureUrl,
      expires_at: values.expiresAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findCardRegistration(
  db: Kysely<Database>,
  tenantId: string,
  customerId: string,
  id: string,
): Promise<CardRegistrationRow | undefined> {
  return db
    .selectFrom('card_registrations')
    .selectAll()
    .where('id', '=', id)
    .where('tenant_id', '=', tenantId)
    .where('customer_id', '=', customerId)
    .executeTakeFirst();
}

export async function findCardRegistrationByPageToken(
  db: Kysely<Database>,
  pageToken: string,
): Promise<(CardRegistrationRow & { tenant_name: string }) | undefined> {
  return db
    .selectFrom('card_registrations')
    .innerJoin('tenants', 'tenants.id', 'card_registrations.tenant_id')
    .selectAll('card_registrations')
    .select('tenants.name as tenant_name')
    .where('card_registrations.page_token', '=', pageToken)
    .executeTakeFirst();
}

/**
 * The sandbox page's "Save card": in one transaction the provider keeps the card in its vault
 * and the customer gets it as a saved card. The row lock makes a double submit save one card:
 * the second finds the registration completed and answers its card. Undefined when the
 * registration expired before it was completed.
 */
export async function completeSandboxCardRegistration(
  db: Kysely<Database>,
  registrationId: string,
  card: { token: string; brand: string; last4: string; declinesOffSession?: boolean },
): Promise<string | undefined> {
  return db.transaction().execute(async (trx) => {
    const registration = await trx
      .selectFrom('card_registrations')
      .selectAll()
      .where('id', '=', registrationId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (registration.status === 'completed') return registration.saved_card_id ?? undefined;
    if (registration.expires_at <= new Date()) return undefined;
    await vaultSandboxCard(trx, { ...card, tenantId: registration.tenant_id });
    const saved = await trx
      .insertInto('saved_cards')
      .values({
        id: crypto.randomUUID(),
        tenant_id: registration.tenant_id,
        customer_id: registration.customer_id,
        provider: registration.provider,
        provider_token: card.token,
        brand: card.brand,
        last4: card.last4,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx
      .updateTable('card_registrations')
      .set({ status: 'completed', saved_card_id: saved.id, completed_at: sql`now()` })
      .where('id', '=', registrationId)
      .execute();
    return saved.id;
  });
}
