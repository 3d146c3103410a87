import { type Kysely, sql } from 'kysely';

// Invoice documents (issue 5): the seller's legal details that an invoice must show, a per-tenant
// prefix for document numbers, and the outbox's link to the document a mail carries as a PDF.
// The PDF itself is rendered at send time, so an outbox row stays small.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('tenants')
    .addColumn('legal_name', 'text')
    .addColumn('org_number', 'text')
    .addColumn('vat_number', 'text')
    .addColumn('address', 'jsonb')
    .addColumn('bank_account', 'text')
    .addColumn('invoice_prefix', 'text', (c) => c.check(sql`invoice_prefix ~ '^[A-Za-z0-9][A-Za-z0-9._/-]{0,15}$'`))
    .execute();

  await db.schema
    .alterTable('email_outbox')
    .addColumn('attachment_invoice_id', 'uuid', (c) => c.references('invoices.id').onDelete('set null'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('email_outbox').dropColumn('attachment_invoice_id').execute();
  await db.schema
    .alterTable('tenants')
    .dropColumn('invoice_prefix')
    .dropColumn('bank_account')
    .dropColumn('address')
    .dropColumn('vat_number')
    .dropColumn('org_number')
    .dropColumn('legal_name')
    .execute();
}
