import { type Kysely, sql } from 'kysely';

// The whole order model of DESIGN.md "Domain essentials". Invariants live here as constraints
// (foreign keys, checks, unique keys) so that no code path — retried activity, concurrent
// request, operator SQL — can break them.

const ORDER_STATUSES = [
  'received',
  'rejected',
  'reserved',
  'awaiting_payment',
  'payment_failed',
  'paid',
  'booked',
  'invoiced',
  'completed',
  'expired',
  'cancelled',
  'needs_attention',
];

function inList(values: readonly string[]) {
  return sql.raw(values.map((v) => `'${v}'`).join(', '));
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE EXTENSION IF NOT EXISTS pgcrypto`.execute(db).catch(() => undefined);

  await db.schema
    .createTable('tenants')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('slug', 'text', (c) => c.notNull().unique().check(sql`slug ~ '^[a-z0-9][a-z0-9-]{0,40}$'`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('base_currency', 'text', (c) => c.notNull().check(sql`base_currency ~ '^[a-z]{3}$'`))
    .addColumn('prices_include_vat', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('locale', 'text', (c) => c.notNull().defaultTo('en'))
    .addColumn('preliminary_minutes', 'integer', (c) => c.notNull().defaultTo(30).check(sql`preliminary_minutes > 0`))
    .addColumn('late_payment_policy', 'text', (c) =>
      c.notNull().defaultTo('refund').check(sql`late_payment_policy IN ('refund', 'rebook')`),
    )
    .addColumn('email_from', 'text', (c) => c.notNull())
    .addColumn('webhook_secret', 'text', (c) => c.notNull())
    .addColumn('order_counter', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`order_counter >= 0`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('key_prefix', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('scopes', sql`text[]`, (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('products')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) =>
      c.notNull().check(sql`type IN ('course', 'ticket', 'facility_slot', 'subscription', 'item', 'voucher')`),
    )
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('price', 'bigint', (c) => c.notNull().check(sql`price >= 0`))
    .addColumn('vat_rate_bp', 'integer', (c) => c.notNull().check(sql`vat_rate_bp BETWEEN 0 AND 10000`))
    .addColumn('daily_capacity', 'integer', (c) => c.check(sql`daily_capacity >= 0`))
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('products_tenant_id_id_key', ['tenant_id', 'id'])
    .execute();

  await db.schema
    .createTable('occurrences')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('product_id', 'uuid', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('starts_at', 'timestamptz', (c) => c.notNull())
    .addColumn('ends_at', 'timestamptz')
    .addColumn('capacity', 'integer', (c) => c.notNull().check(sql`capacity >= 0`))
    .addColumn('seats_taken', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('price', 'bigint', (c) => c.check(sql`price >= 0`))
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('scheduled').check(sql`status IN ('scheduled', 'cancelled')`),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addForeignKeyConstraint('occurrences_product_fk', ['tenant_id', 'product_id'], 'products', ['tenant_id', 'id'])
    .addCheckConstraint('occurrences_seats_within_capacity', sql`seats_taken >= 0 AND seats_taken <= capacity`)
    .addUniqueConstraint('occurrences_tenant_id_id_key', ['tenant_id', 'id'])
    .execute();
  await db.schema
    .createIndex('occurrences_tenant_starts_idx')
    .on('occurrences')
    .columns(['tenant_id', 'starts_at'])
    .execute();

  // Per-date inventory for undated products sold for a day (a day ticket: the order line's `date`); rows are
  // created on first use with the product's daily_capacity.
  await db.schema
    .createTable('product_date_inventory')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('product_id', 'uuid', (c) => c.notNull())
    .addColumn('date', 'date', (c) => c.notNull())
    .addColumn('capacity', 'integer', (c) => c.notNull().check(sql`capacity >= 0`))
    .addColumn('seats_taken', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('product_date_inventory_pk', ['product_id', 'date'])
    .addForeignKeyConstraint('product_date_inventory_product_fk', ['tenant_id', 'product_id'], 'products', [
      'tenant_id',
      'id',
    ])
    .addCheckConstraint('product_date_inventory_within_capacity', sql`seats_taken >= 0 AND seats_taken <= capacity`)
    .execute();

  await db.schema
    .createTable('exchange_rates')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('quote_currency', 'text', (c) => c.notNull().check(sql`quote_currency ~ '^[a-z]{3}$'`))
    .addColumn('rate', sql`numeric(24, 10)`, (c) => c.notNull().check(sql`rate > 0`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('exchange_rates_pk', ['tenant_id', 'quote_currency'])
    .execute();

  await db.schema
    .createTable('campaigns')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind IN ('percent', 'amount')`))
    .addColumn('percent', sql`numeric(5, 2)`, (c) => c.check(sql`percent > 0 AND percent <= 100`))
    .addColumn('amount', 'bigint', (c) => c.check(sql`amount > 0`))
    .addColumn('currency', 'text')
    .addColumn('valid_from', 'timestamptz')
    .addColumn('valid_until', 'timestamptz')
    .addColumn('max_uses', 'integer', (c) => c.check(sql`max_uses > 0`))
    .addColumn('uses', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('min_order_amount', 'bigint')
    .addColumn('product_ids', sql`uuid[]`)
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint(
      'campaigns_kind_value',
      sql`(kind = 'percent' AND percent IS NOT NULL)
        OR (kind = 'amount' AND amount IS NOT NULL AND currency IS NOT NULL)`,
    )
    .addCheckConstraint('campaigns_uses_within_max', sql`uses >= 0 AND (max_uses IS NULL OR uses <= max_uses)`)
    .execute();
  await sql`CREATE UNIQUE INDEX campaigns_tenant_code_key ON campaigns (tenant_id, upper(code))`.execute(db);

  await db.schema
    .createTable('vouchers')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind IN ('value', 'percent')`))
    .addColumn('currency', 'text')
    .addColumn('initial_value', 'bigint', (c) => c.check(sql`initial_value > 0`))
    .addColumn('remaining_value', 'bigint', (c) => c.check(sql`remaining_value >= 0`))
    .addColumn('percent', sql`numeric(5, 2)`, (c) => c.check(sql`percent > 0 AND percent <= 100`))
    .addColumn('valid_until', 'timestamptz')
    .addColumn('redeemed_at', 'timestamptz')
    .addColumn('issued_by_order_id', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint(
      'vouchers_kind_value',
      sql`(kind = 'value' AND initial_value IS NOT NULL AND remaining_value IS NOT NULL AND currency IS NOT NULL
          AND remaining_value <= initial_value)
        OR (kind = 'percent' AND percent IS NOT NULL)`,
    )
    .execute();
  await sql`CREATE UNIQUE INDEX vouchers_tenant_code_key ON vouchers (tenant_id, upper(code))`.execute(db);

  await db.schema
    .createTable('customers')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('phone', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`CREATE UNIQUE INDEX customers_tenant_email_key ON customers (tenant_id, lower(email))`.execute(db);

  await db.schema
    .createTable('orders')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('number', 'bigint', (c) => c.notNull())
    .addColumn('workflow_id', 'text', (c) => c.notNull().unique())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status IN (${inList(ORDER_STATUSES)})`))
    .addColumn('currency', 'text', (c) => c.notNull().check(sql`currency ~ '^[a-z]{3}$'`))
    .addColumn('exchange_rate', 'text')
    .addColumn('payment_method', 'text', (c) => c.notNull().check(sql`payment_method IN ('card', 'invoice', 'free')`))
    .addColumn('customer_id', 'uuid', (c) => c.references('customers.id'))
    .addColumn('booker', 'jsonb')
    .addColumn('booker_email', 'text')
    .addColumn('company', 'jsonb')
    .addColumn('invoice_details', 'jsonb')
    .addColumn('delivery_details', 'jsonb')
    .addColumn('campaign_code', 'text')
    .addColumn('voucher_code', 'text')
    .addColumn('voucher_applied', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('external_id', 'text')
    .addColumn('notes', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('client', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('config', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('payment_complete_url', 'text')
    .addColumn('payment_cancel_url', 'text')
    .addColumn('total_before_discounts', 'bigint', (c) => c.notNull())
    .addColumn('total_discounts', 'bigint', (c) => c.notNull())
    .addColumn('total_excl_vat', 'bigint', (c) => c.notNull())
    .addColumn('total_vat', 'bigint', (c) => c.notNull())
    .addColumn('total_incl_vat', 'bigint', (c) => c.notNull())
    .addColumn('vat_summary', 'jsonb', (c) => c.notNull())
    .addColumn('preliminary_until', 'timestamptz')
    .addColumn('attention_reason', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('completed_at', 'timestamptz')
    .addUniqueConstraint('orders_tenant_number_key', ['tenant_id', 'number'])
    .addUniqueConstraint('orders_tenant_id_id_key', ['tenant_id', 'id'])
    .addCheckConstraint(
      'orders_totals_add_up',
      sql`total_excl_vat + total_vat = total_incl_vat AND total_incl_vat >= 0 AND total_discounts >= 0`,
    )
    .execute();
  await db.schema
    .createIndex('orders_tenant_created_idx')
    .on('orders')
    .columns(['tenant_id', 'created_at', 'id'])
    .execute();
  await db.schema.createIndex('orders_tenant_status_idx').on('orders').columns(['tenant_id', 'status']).execute();
  await db.schema
    .createIndex('orders_tenant_external_idx')
    .on('orders')
    .columns(['tenant_id', 'external_id'])
    .execute();

  await db.schema
    .createTable('participants')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('order_id', 'uuid', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull().check(sql`position >= 0`))
    .addColumn('firstname', 'text', (c) => c.notNull())
    .addColumn('lastname', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('phone', 'text')
    .addColumn('date_of_birth', 'date')
    .addColumn('customer_id', 'uuid', (c) => c.references('customers.id'))
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('booking_id', 'uuid', (c) => c.unique())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active').check(sql`status IN ('active', 'cancelled')`))
    .addForeignKeyConstraint('participants_order_fk', ['tenant_id', 'order_id'], 'orders', ['tenant_id', 'id'], (c) =>
      c.onDelete('cascade'),
    )
    .addUniqueConstraint('participants_order_position_key', ['order_id', 'position'])
    .execute();

  await db.schema
    .createTable('order_lines')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('order_id', 'uuid', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull().check(sql`position >= 0`))
    .addColumn('product_id', 'uuid', (c) => c.notNull())
    .addColumn('occurrence_id', 'uuid')
    .addColumn('inventory_date', 'date')
    .addColumn('participant_id', 'uuid', (c) => c.references('participants.id').onDelete('cascade'))
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull().check(sql`quantity > 0`))
    .addColumn('unit_price', 'bigint', (c) => c.notNull().check(sql`unit_price >= 0`))
    .addColumn('discount_percent', sql`numeric(5, 2)`)
    .addColumn('before_discounts', 'bigint', (c) => c.notNull())
    .addColumn('discount', 'bigint', (c) => c.notNull().check(sql`discount >= 0`))
    .addColumn('vat_rate_bp', 'integer', (c) => c.notNull())
    .addColumn('excl_vat', 'bigint', (c) => c.notNull())
    .addColumn('vat', 'bigint', (c) => c.notNull())
    .addColumn('incl_vat', 'bigint', (c) => c.notNull())
    .addForeignKeyConstraint('order_lines_order_fk', ['tenant_id', 'order_id'], 'orders', ['tenant_id', 'id'], (c) =>
      c.onDelete('cascade'),
    )
    .addForeignKeyConstraint('order_lines_product_fk', ['tenant_id', 'product_id'], 'products', ['tenant_id', 'id'])
    .addForeignKeyConstraint('order_lines_occurrence_fk', ['tenant_id', 'occurrence_id'], 'occurrences', [
      'tenant_id',
      'id',
    ])
    .addUniqueConstraint('order_lines_order_position_key', ['order_id', 'position'])
    .addCheckConstraint('order_lines_amounts_add_up', sql`excl_vat + vat = incl_vat AND excl_vat >= 0 AND vat >= 0`)
    .execute();

  // A held seat belongs to one reservation owned by one order; the status moves
  // held → booked or held/booked → released exactly once (guarded updates in db/reservations).
  await db.schema
    .createTable('reservations')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('order_id', 'uuid', (c) => c.notNull())
    .addColumn('occurrence_id', 'uuid')
    .addColumn('product_id', 'uuid')
    .addColumn('inventory_date', 'date')
    .addColumn('quantity', 'integer', (c) => c.notNull().check(sql`quantity > 0`))
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('held').check(sql`status IN ('held', 'booked', 'released')`),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('booked_at', 'timestamptz')
    .addColumn('released_at', 'timestamptz')
    .addForeignKeyConstraint('reservations_order_fk', ['tenant_id', 'order_id'], 'orders', ['tenant_id', 'id'], (c) =>
      c.onDelete('cascade'),
    )
    .addForeignKeyConstraint('reservations_occurrence_fk', ['tenant_id', 'occurrence_id'], 'occurrences', [
      'tenant_id',
      'id',
    ])
    .addCheckConstraint(
      'reservations_one_target',
      sql`(occurrence_id IS NOT NULL AND product_id IS NULL AND inventory_date IS NULL)
        OR (occurrence_id IS NULL AND product_id IS NOT NULL AND inventory_date IS NOT NULL)`,
    )
    .execute();
  await db.schema.createIndex('reservations_order_idx').on('reservations').column('order_id').execute();

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('order_number', 'bigint', (c) => c.notNull())
    .addColumn('order_id', 'uuid', (c) => c.notNull())
    .addColumn('response_status', 'integer')
    .addColumn('response_body', 'jsonb')
    .addColumn('locked_until', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['tenant_id', 'key'])
    .execute();

  await db.schema
    .createTable('payments')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('order_id', 'uuid', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind IN ('charge', 'refund')`))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('provider_session_id', 'text')
    .addColumn('provider_payment_id', 'text')
    .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount >= 0`))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status IN ('pending', 'succeeded', 'failed', 'cancelled')`),
    )
    .addColumn('redirect_url', 'text')
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .addColumn('failure_reason', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addForeignKeyConstraint('payments_order_fk', ['tenant_id', 'order_id'], 'orders', ['tenant_id', 'id'], (c) =>
      c.onDelete('cascade'),
    )
    .execute();
  await db.schema.createIndex('payments_order_idx').on('payments').column('order_id').execute();
  await sql`CREATE UNIQUE INDEX payments_provider_session_key ON payments (provider, provider_session_id)
    WHERE kind = 'charge'`.execute(db);

  await db.schema
    .createTable('payment_events')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('provider_event_id', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'uuid')
    .addColumn('order_id', 'uuid')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('raw_body', 'text', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('payment_events_provider_event_key', ['provider', 'provider_event_id'])
    .execute();

  await db.schema
    .createTable('invoice_series')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('series', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('next_number', 'bigint', (c) => c.notNull().defaultTo(1).check(sql`next_number > 0`))
    .addPrimaryKeyConstraint('invoice_series_pk', ['tenant_id', 'series'])
    .execute();

  await db.schema
    .createTable('invoices')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('order_id', 'uuid', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind IN ('invoice', 'receipt', 'credit_note')`))
    .addColumn('series', 'text', (c) => c.notNull())
    .addColumn('number', 'bigint', (c) => c.notNull())
    .addColumn('document_number', 'text', (c) => c.notNull())
    .addColumn('credits_invoice_id', 'uuid', (c) => c.references('invoices.id'))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('exchange_rate', 'text')
    .addColumn('total_excl_vat', 'bigint', (c) => c.notNull())
    .addColumn('total_vat', 'bigint', (c) => c.notNull())
    .addColumn('total_incl_vat', 'bigint', (c) => c.notNull())
    .addColumn('vat_summary', 'jsonb', (c) => c.notNull())
    .addColumn('lines', 'jsonb', (c) => c.notNull())
    .addColumn('seller', 'jsonb', (c) => c.notNull())
    .addColumn('buyer', 'jsonb', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status IN ('open', 'paid', 'credited')`))
    .addColumn('payment_reference', 'text')
    .addColumn('external_id', 'text')
    .addColumn('issued_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('due_at', 'timestamptz')
    .addColumn('paid_at', 'timestamptz')
    .addForeignKeyConstraint('invoices_order_fk', ['tenant_id', 'order_id'], 'orders', ['tenant_id', 'id'])
    .addUniqueConstraint('invoices_tenant_series_number_key', ['tenant_id', 'series', 'number'])
    .execute();
  await sql`CREATE UNIQUE INDEX invoices_one_per_order_kind ON invoices (order_id, kind)
    WHERE kind <> 'credit_note'`.execute(db);

  await db.schema
    .createTable('sandbox_psp_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('reference', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount > 0`))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status IN ('open', 'paid', 'declined', 'cancelled', 'expired')`),
    )
    .addColumn('refunded_amount', 'bigint', (c) =>
      c.notNull().defaultTo(0).check(sql`refunded_amount >= 0 AND refunded_amount <= amount`),
    )
    .addColumn('webhook_url', 'text', (c) => c.notNull())
    .addColumn('complete_url', 'text')
    .addColumn('cancel_url', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('sandbox_psp_refunds')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) => c.notNull().references('sandbox_psp_sessions.id').onDelete('cascade'))
    .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount > 0`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('email_outbox')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('order_id', 'uuid')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('html', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('pending').check(sql`status IN ('pending', 'sent', 'failed')`),
    )
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_error', 'text')
    .addColumn('message_id', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('sent_at', 'timestamptz')
    .execute();
  await sql`CREATE UNIQUE INDEX email_outbox_once_key ON email_outbox (order_id, kind, lower(recipient))`.execute(db);
  await sql`CREATE INDEX email_outbox_pending_idx ON email_outbox (next_attempt_at) WHERE status = 'pending'`.execute(
    db,
  );

  // The order's timeline. event_key makes an append idempotent for retried activities.
  await db.schema
    .createTable('order_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('order_id', 'uuid', (c) => c.notNull())
    .addColumn('event_key', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('data', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addForeignKeyConstraint('order_events_order_fk', ['tenant_id', 'order_id'], 'orders', ['tenant_id', 'id'], (c) =>
      c.onDelete('cascade'),
    )
    .addUniqueConstraint('order_events_order_key', ['order_id', 'event_key'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'order_events',
    'email_outbox',
    'sandbox_psp_refunds',
    'sandbox_psp_sessions',
    'invoices',
    'invoice_series',
    'payment_events',
    'payments',
    'idempotency_keys',
    'reservations',
    'order_lines',
    'participants',
    'orders',
    'customers',
    'vouchers',
    'campaigns',
    'exchange_rates',
    'product_date_inventory',
    'occurrences',
    'products',
    'api_keys',
    'tenants',
  ]) {
    await db.schema.dropTable(table).ifExists().cascade().execute();
  }
}
