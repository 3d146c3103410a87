import { batchesOf } from './batches';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { CustomerAddress, CustomerAddressPatch } from '../../domain/customer-address';
import type { Db } from '../database';
import type { CustomersTable, Database } from '../schema';
import { pgErrorOf } from './catalog-admin';

export type CustomerRow = Selectable<CustomersTable>;

export interface CustomerContact {
  email: string;
  name: string;
  phone: string | null;
  /** The booker's id in the integrator's system (the order's external_contact_id). */
  externalContactId?: string | null;
  /** The booker's invoice and delivery addresses from the order, kept for the next one. */
  billingAddress?: CustomerAddress | null;
  deliveryAddress?: CustomerAddress | null;
}

const jsonOrNull = (value: object | null | undefined) => (value ? JSON.stringify(value) : null);

/** One row of the customer upsert's VALUES list, with a fresh id (used only if the email is new). */
function customerValues(tenantId: string, r: CustomerContact) {
  return sql`(${crypto.randomUUID()}::uuid, ${tenantId}::uuid, ${r.email}, ${r.name}, ${r.phone},
    ${r.externalContactId ?? null}, ${jsonOrNull(r.billingAddress)}::jsonb, ${jsonOrNull(r.deliveryAddress)}::jsonb)`;
}

/**
 * Upserts one customer per distinct email (case-insensitive) in one statement and answers
 * lower(email) → customer id. Rows are written in email order, so two orders placed at once that
 * share people lock the customer rows in the same order and never deadlock each other. An
 * existing customer keeps its name, phone, external contact id and addresses unless it has none
 * yet: the first order that gives one wins, so a later order cannot silently re-point a customer
 * or overwrite what was kept through PATCH /v1/customers/{id}.
 */
export async function connectCustomersByEmail(
  db: Kysely<Database>,
  tenantId: string,
  contacts: CustomerContact[],
): Promise<Map<string, string>> {
  const byEmail = new Map<string, CustomerContact>();
  for (const contact of contacts) {
    const email = contact.email.trim().toLowerCase();
    if (email === '') continue;
    const seen = byEmail.get(email);
    const name = contact.name.trim();
    const externalContactId = contact.externalContactId ?? null;
    byEmail.set(
      email,
      seen
        ? {
            ...seen,
            name: seen.name || name,
            phone: seen.phone ?? contact.phone,
            externalContactId: seen.externalContactId ?? externalContactId,
            billingAddress: seen.billingAddress ?? contact.billingAddress ?? null,
            deliveryAddress: seen.deliveryAddress ?? contact.deliveryAddress ?? null,
          }
        : { ...contact, email, name, externalContactId },
    );
  }
  if (byEmail.size === 0) return new Map();
  const rows = [...byEmail.values()].sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
  const ids = new Map<string, string>();
  for (const batch of batchesOf(rows)) {
    const values = sql.join(batch.map((r) => customerValues(tenantId, r)));
    const result = await sql<{ id: string; email: string }>`
      INSERT INTO customers (id, tenant_id, email, name, phone, external_contact_id, billing_address, delivery_address)
      VALUES ${values}
      ON CONFLICT (tenant_id, lower(email)) DO UPDATE
        SET name = CASE WHEN customers.name = '' THEN EXCLUDED.name ELSE customers.name END,
            phone = coalesce(customers.phone, EXCLUDED.phone),
            external_contact_id = coalesce(customers.external_contact_id, EXCLUDED.external_contact_id),
            billing_address = coalesce(customers.billing_address, EXCLUDED.billing_address),
            delivery_address = coalesce(customers.delivery_address, EXCLUDED.delivery_address),
            updated_at = CASE
              WHEN (customers.name = '' AND EXCLUDED.name <> '')
                OR (customers.phone IS NULL AND EXCLUDED.phone IS NOT NULL)
                OR (customers.external_contact_id IS NULL AND EXCLUDED.external_contact_id IS NOT NULL)
                OR (customers.billing_address IS NULL AND EXCLUDED.billing_address IS NOT NULL)
                OR (customers.delivery_address IS NULL AND EXCLUDED.delivery_address IS NOT NULL)
              THEN now() ELSE customers.updated_at END
      RETURNING id, email`.execute(db);
    for (const r of result.rows) ids.set(r.email.toLowerCase(), r.id);
  }
  return ids;
}

export async function listCustomers(
  db: Db,
  tenantId: string,
  opts: { email?: string; externalContactId?: string; afterEmail?: string; limit: number },
): Promise<CustomerRow[]> {
  let query = db
    .selectFrom('customers')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy(sql`lower(email)`)
    .limit(opts.limit);
  if (opts.email !== undefined) query = query.where(sql`lower(email)`, '=', opts.email.trim().toLowerCase());
  if (opts.externalContactId !== undefined) query = query.where('external_contact_id', '=', opts.externalContactId);
  if (opts.afterEmail !== undefined) query = query.where(sql`lower(email)`, '>', opts.afterEmail);
  return query.execute();
}

export async function getCustomer(db: Db, tenantId: string, id: string): Promise<CustomerRow | undefined> {
  return db
    .selectFrom('customers')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export interface NewCustomer {
  /** Trimmed and lower-cased, as the order path stores it. */
  email: string;
  name: string;
  phone: string | null;
  externalContactId: string | null;
  billingAddress: CustomerAddress | null;
  deliveryAddress: CustomerAddress | null;
}

/** Another customer of the tenant already has the email. */
export interface EmailTaken {
  emailTakenBy: string;
}

async function customerIdByEmail(db: Db, tenantId: string, email: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('customers')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where(sql`lower(email)`, '=', email.toLowerCase())
    .executeTakeFirst();
  return row?.id;
}

/**
 * Creates the customer, or names the customer that has the email already. The insert does
 * nothing on the email's unique index rather than failing, so a create racing an order that
 * connects the same email, or a retried create, answers with the one customer there is.
 */
export async function insertCustomer(db: Db, tenantId: string, c: NewCustomer): Promise<CustomerRow | EmailTaken> {
  // The existing row can only vanish under us if a PATCH moved it to another email meanwhile:
  // then the insert is tried again.
  for (let attempt = 0; ; attempt++) {
    const row = await db
      .insertInto('customers')
      .values({
        id: crypto.randomUUID(),
        tenant_id: tenantId,
        email: c.email,
        name: c.name,
        phone: c.phone,
        external_contact_id: c.externalContactId,
        billing_address: jsonOrNull(c.billingAddress),
        delivery_address: jsonOrNull(c.deliveryAddress),
      })
      .onConflict((oc) => oc.doNothing())
      .returningAll()
      .executeTakeFirst();
    if (row) return row;
    const existing = await customerIdByEmail(db, tenantId, c.email);
    if (existing || attempt >= 2) return { emailTakenBy: existing ?? '' };
  }
}

export interface CustomerPatch {
  email?: string;
  name?: string;
  phone?: string | null;
  externalContactId?: string | null;
  /** null clears the address; an object merges into it (null parts cleared). */
  billingAddress?: CustomerAddressPatch | null;
  deliveryAddress?: CustomerAddressPatch | null;
}

/** `column` merged with the patch (RFC 7396, one level deep), or null once no part is left. */
function mergedAddress(column: 'billing_address' | 'delivery_address', patch: CustomerAddressPatch | null) {
  if (patch === null) return null;
  const merged = sql`coalesce(${sql.ref(column)}, '{}'::jsonb) || ${JSON.stringify(patch)}::jsonb`;
  return sql<string>`nullif(jsonb_strip_nulls(${merged}), '{}'::jsonb)`;
}

/**
 * Applies a merge patch in one statement, so two PATCHes of different fields (or different parts
 * of one address) both land. Answers the changed row, `undefined` for no such customer of the
 * tenant, or who has the new email already.
 */
export async function updateCustomer(
  db: Db,
  tenantId: string,
  id: string,
  patch: CustomerPatch,
): Promise<CustomerRow | EmailTaken | undefined> {
  const set = {
    ...(patch.email !== undefined ? { email: patch.email } : {}),
    ...(patch.name !== undefined ? { name: patch.name } : {}),
    ...(patch.phone !== undefined ? { phone: patch.phone } : {}),
    ...(patch.externalContactId !== undefined ? { external_contact_id: patch.externalContactId } : {}),
    ...(patch.billingAddress !== undefined
      ? { billing_address: mergedAddress('billing_address', patch.billingAddress) }
      : {}),
    ...(patch.deliveryAddress !== undefined
      ? { delivery_address: mergedAddress('delivery_address', patch.deliveryAddress) }
      : {}),
  };
  if (Object.keys(set).length === 0) return getCustomer(db, tenantId, id);
  // As in insertCustomer: the holder of the email can only vanish by moving to another email
  // meanwhile, and then the update is tried again.
  for (let attempt = 0; ; attempt++) {
    try {
      return await db
        .updateTable('customers')
        .set({ ...set, updated_at: sql`now()` })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
    } catch (error) {
      if (pgErrorOf(error)?.code !== '23505' || patch.email === undefined) throw error;
      const holder = await customerIdByEmail(db, tenantId, patch.email);
      if (holder || attempt >= 2) return { emailTakenBy: holder ?? '' };
    }
  }
}
