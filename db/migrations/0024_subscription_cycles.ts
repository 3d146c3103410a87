import { type Kysely, sql } from 'kysely';

// Renewals (issue 13, points 3 and 4): each period of a subscription is a cycle with the order that
// pays for it, so "never charge twice" is a unique key (subscription, sequence) and the API can list
// a subscription's periods with their orders. The subscription gains what its workflow decides on
// and what a change asks for: the card renewals are charged to, a cancellation at the period end,
// a period to switch to at the next renewal, and `past_due` while dunning runs.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('subscription_cycles')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('subscription_id', 'uuid', (c) => c.notNull().references('subscriptions.id').onDelete('cascade'))
    // 1 is the period the first order bought; 2, 3, … are renewals.
    .addColumn('sequence', 'integer', (c) => c.notNull().check(sql`sequence >= 1`))
    .addColumn('period_id', 'uuid', (c) => c.notNull())
    .addColumn('start_date', 'date', (c) => c.notNull())
    .addColumn('end_date', 'date', (c) => c.notNull())
    // Known before the order exists: the renewal's workflow is started with this id and number.
    .addColumn('order_id', 'uuid', (c) => c.notNull())
    .addColumn('order_number', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('pending').check(sql`status IN ('pending', 'paid', 'unpaid', 'cancelled')`),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('paid_at', 'timestamptz')
    .addUniqueConstraint('subscription_cycles_sequence_key', ['subscription_id', 'sequence'])
    .addForeignKeyConstraint('subscription_cycles_period_fk', ['tenant_id', 'period_id'], 'subscription_periods', [
      'tenant_id',
      'id',
    ])
    .addCheckConstraint('subscription_cycles_dates', sql`end_date > start_date`)
    .execute();
  // A renewal is an order of its own; a first order may buy several subscriptions (one cycle 1 each).
  await sql`CREATE UNIQUE INDEX subscription_cycles_renewal_order_key
    ON subscription_cycles (order_id) WHERE sequence > 1`.execute(db);
  await db.schema.createIndex('subscription_cycles_order').on('subscription_cycles').column('order_id').execute();
  // The first period of every existing subscription is its first cycle.
  await sql`
    INSERT INTO subscription_cycles (id, tenant_id, subscription_id, sequence, period_id, start_date, end_date,
                                     order_id, order_number, status, paid_at)
    SELECT gen_random_uuid(), s.tenant_id, s.id, 1, s.period_id, s.start_date, s.current_period_end,
           s.order_id, o.number, 'paid', s.created_at
    FROM subscriptions s JOIN orders o ON o.id = s.order_id`.execute(db);

  await sql`ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_status_check`.execute(db);
  await db.schema
    .alterTable('subscriptions')
    .addCheckConstraint(
      'subscriptions_status_check',
      sql`status IN ('active', 'past_due', 'paused', 'suspended', 'cancelled')`,
    )
    .execute();
  await db.schema
    .alterTable('subscriptions')
    .addColumn('saved_card_id', 'uuid', (c) => c.references('saved_cards.id'))
    .addColumn('cancel_at_period_end', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('cancelled_at', 'timestamptz')
    .addColumn('cancel_reason', 'text')
    .addColumn('paused_at', 'timestamptz')
    .addColumn('next_period_id', 'uuid')
    .addColumn('workflow_id', 'text')
    .execute();
  // The card saved while paying an order: a subscription that order bought renews on it.
  await db.schema.alterTable('saved_cards').addColumn('order_id', 'uuid').execute();
  // What the hosted page asks before keeping a card: for a subscription, to pay its renewals.
  await db.schema
    .alterTable('sandbox_psp_sessions')
    .addColumn('card_saving', 'text', (c) => c.check(sql`card_saving IN ('renewals')`))
    .execute();
  // A sandbox card that is kept but whose charges without the buyer fail (a real provider's
  // "attaches, but charges fail" test card): how dunning is tried against the sandbox.
  await db.schema
    .alterTable('sandbox_psp_cards')
    .addColumn('declines_off_session', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sandbox_psp_cards').dropColumn('declines_off_session').execute();
  await db.schema.alterTable('sandbox_psp_sessions').dropColumn('card_saving').execute();
  await db.schema.alterTable('saved_cards').dropColumn('order_id').execute();
  await sql`DELETE FROM subscriptions WHERE status = 'past_due'`.execute(db);
  await db.schema
    .alterTable('subscriptions')
    .dropColumn('saved_card_id')
    .dropColumn('cancel_at_period_end')
    .dropColumn('cancelled_at')
    .dropColumn('cancel_reason')
    .dropColumn('paused_at')
    .dropColumn('next_period_id')
    .dropColumn('workflow_id')
    .execute();
  await sql`ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_status_check`.execute(db);
  await db.schema
    .alterTable('subscriptions')
    .addCheckConstraint('subscriptions_status_check', sql`status IN ('active', 'paused', 'suspended', 'cancelled')`)
    .execute();
  await db.schema.dropTable('subscription_cycles').execute();
}
