import { batchesOf } from './batches';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Db } from '../database';
import type { CustomersTable, Database } from '../schema';

export type CustomerRow = Selectable<CustomersTable>;

export interface CustomerContact {
  email: string;
  name: string;
  phone: string | null;
  /** The booker's id in the integrator's system (the order's external_contact_id). */
  externalContactId?: string | null;
}

/** One row of the customer upsert's VALUES list, with a fresh id (used only if the email is new). */
function customerValues(tenantId: string, r: CustomerContact) {
  return sql`(${crypto.randomUUID()}::uuid, ${tenantId}::uuid, ${r.email}, ${r.name}, ${r.phone},
    ${r.externalContactId ?? null})`;
}

/**
 * Upserts one customer per distinct email (case-insensitive) in one statement and answers
 * lower(email) → customer id. Rows are written in email order, so two orders placed at once that
 * share people lock the customer rows in the same order and never deadlock each other. An
 * existing customer keeps its name and external contact id unless it has none yet: the first
 * order that names them wins, so a later order cannot silently re-point a customer.
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
        ? { ...seen, name: seen.name || name, externalContactId: seen.externalContactId ?? externalContactId }
        : { email, name, phone: contact.phone, externalContactId },
    );
  }
  if (byEmail.size === 0) return new Map();
  const rows = [...byEmail.values()].sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
  const ids = new Map<string, string>();
  for (const batch of batchesOf(rows)) {
    const values = sql.join(batch.map((r) => customerValues(tenantId, r)));
    const result = await sql<{ id: string; email: string }>`
      INSERT INTO customers (id, tenant_id, email, name, phone, external_contact_id)
      VALUES ${values}
      ON CONFLICT (tenant_id, lower(email)) DO UPDATE
        SET name = CASE WHEN customers.name = '' THEN EXCLUDED.name ELSE customers.name END,
            external_contact_id = coalesce(customers.external_contact_id, EXCLUDED.external_contact_id)
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
