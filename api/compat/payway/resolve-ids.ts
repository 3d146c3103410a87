import type { Context } from 'hono';
import { getCustomer, listCustomers } from '../../../db/queries/customers';
import { findPeriodByExternalId, findProductByExternalId } from '../../../db/queries/external-ids';
import { findUsableSavedCard } from '../../../db/queries/saved-cards';
import type { AppEnv } from '../../app-env';
import { isUuid } from '../../cursor';
import { type CallApi, callOurApi } from '../call-api';
import type { PaywayFieldError } from './error-mapping';

// The ids a create_order names, found among ours: the account (a customer), the product and its
// period (by the `external_id` a migrating tenant gave them, else our own UUIDs), the stored
// payment profile (a saved card of that customer). Lookups only: what an order may be is the
// /v1 route's to decide.

export type Resolved<T> = { ok: true; value: T } | { ok: false; error: PaywayFieldError; relay?: undefined };

const notFound = (code: string, message: string, field: string): { ok: false; error: PaywayFieldError } => ({
  ok: false,
  error: { code, message, field },
});

export interface Account {
  /** Our customer, when the account is one we know. */
  customerId: string | undefined;
  /** The email the order is booked with: the customer's, else the body's. */
  email: string | undefined;
  /** Their account id, kept on the order and the customer (`external_contact_id`). */
  externalContactId: string | undefined;
}

/**
 * `account_id` is their account's id (a customer's `external_contact_id`) or our customer id;
 * `email` finds or makes the customer as any order does. An unknown account with an email is
 * booked by that email and linked to the account id from then on.
 */
export async function resolveAccount(
  c: Context<AppEnv>,
  accountId: string | null | undefined,
  email: string | null | undefined,
): Promise<Resolved<Account>> {
  const { db } = c.get('deps');
  const { tenantId } = c.get('auth');
  const bodyEmail = email?.trim() || undefined;
  if (!accountId) {
    const [customer] = bodyEmail ? await listCustomers(db, tenantId, { email: bodyEmail, limit: 1 }) : [];
    return { ok: true, value: { customerId: customer?.id, email: bodyEmail, externalContactId: undefined } };
  }
  const customer = isUuid(accountId)
    ? await getCustomer(db, tenantId, accountId)
    : (await listCustomers(db, tenantId, { externalContactId: accountId, limit: 1 }))[0];
  if (customer) {
    const externalContactId = customer.external_contact_id ?? (isUuid(accountId) ? undefined : accountId);
    return { ok: true, value: { customerId: customer.id, email: customer.email, externalContactId } };
  }
  if (!bodyEmail) return notFound('account_not_found', `No account ${accountId}: give its email`, 'account_id');
  const [byEmail] = await listCustomers(db, tenantId, { email: bodyEmail, limit: 1 });
  return {
    ok: true,
    value: {
      customerId: byEmail?.id,
      email: bodyEmail,
      externalContactId: isUuid(accountId) ? undefined : accountId,
    },
  };
}

export interface Period {
  productId: string;
  code: string;
  paymentMethods: readonly string[];
}

/** `product_code` and `period_id`: the period must be one of that product's. */
export async function resolvePeriod(
  c: Context<AppEnv>,
  callApi: CallApi,
  productCode: string,
  periodId: string,
): Promise<Resolved<Period> | { ok: false; relay: Response }> {
  const { db } = c.get('deps');
  const { tenantId } = c.get('auth');
  const productId =
    (await findProductByExternalId(db, tenantId, productCode)) ?? (isUuid(productCode) ? productCode : undefined);
  if (!productId) return notFound('product_not_found', `No product with the code ${productCode}`, 'product_code');
  const byExternalId = await findPeriodByExternalId(db, tenantId, periodId);
  const ourPeriodId = byExternalId?.id ?? (isUuid(periodId) ? periodId : undefined);
  const unknownPeriod = notFound(
    'period_not_found',
    `No period ${periodId} of the product ${productCode}`,
    'period_id',
  );
  if (!ourPeriodId || (byExternalId && byExternalId.productId !== productId)) return unknownPeriod;
  // The period as /v1 shows it (its code for the order line, the methods it is sold with).
  const path = `/v1/catalog/products/${encodeURIComponent(productId)}/periods/${encodeURIComponent(ourPeriodId)}`;
  const response = await callOurApi(c, callApi, 'GET', path);
  if (response.status === 404) return unknownPeriod;
  // Anything else (our API unavailable) is relayed to the client as it is.
  if (!response.ok) return { ok: false, relay: response };
  const period = (await response.json()) as { code: string; payment_methods: string[] };
  return { ok: true, value: { productId, code: period.code, paymentMethods: period.payment_methods } };
}

/** A stored payment profile is one of our saved cards, of the account's customer. */
export async function resolvePaymentProfile(
  c: Context<AppEnv>,
  customerId: string | undefined,
  profileId: string,
): Promise<Resolved<string>> {
  const card = customerId
    ? await findUsableSavedCard(c.get('deps').db, c.get('auth').tenantId, customerId, profileId)
    : undefined;
  if (!card)
    return notFound(
      'account_payment_profile_not_found',
      `No stored payment profile ${profileId} for this account`,
      'account_payment_profile_id',
    );
  return { ok: true, value: card };
}
