import { type Kysely, sql } from 'kysely';

// Outbound webhooks (docs/webhooks-outbound.md). order_events is the transactional outbox: every
// order fact is appended there in the transaction that made it true. A fan-out copies new events
// into webhook_deliveries, one row per matching endpoint, and a dispatcher POSTs those rows.
//
// Why order_events gets a tx_id: its bigserial ids are taken when a row is inserted, not when its
// transaction commits, so a cursor over ids alone would skip an event whose transaction commits
// after a later id was already fanned out. Every row now carries its transaction's id (xid8); the
// fan-out only reads rows whose transaction is older than the oldest one still running
// (pg_snapshot_xmin), which are all committed or gone for good, in (tx_id, id) order.
export async function up(db: Kysely<unknown>): Promise<void> {
  // Rows from before this migration keep NULL and are never fanned out (no endpoint existed).
  await sql`ALTER TABLE order_events ADD COLUMN tx_id xid8`.execute(db);
  await sql`ALTER TABLE order_events ALTER COLUMN tx_id SET DEFAULT pg_current_xact_id()`.execute(db);
  await sql`CREATE INDEX order_events_fanout_idx ON order_events (tx_id, id) WHERE tx_id IS NOT NULL`.execute(db);

  await sql`
    CREATE TABLE webhook_endpoints (
      id uuid PRIMARY KEY,
      tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      url text NOT NULL CHECK (length(url) <= 2048),
      event_types text[] NOT NULL,
      description text,
      secret text NOT NULL,
      previous_secret text,
      previous_secret_expires_at timestamptz,
      enabled boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX webhook_endpoints_tenant_idx ON webhook_endpoints (tenant_id, created_at)`.execute(db);

  await sql`
    CREATE TABLE webhook_deliveries (
      id uuid PRIMARY KEY,
      tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      endpoint_id uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
      order_event_id bigint NOT NULL REFERENCES order_events(id) ON DELETE CASCADE,
      event_type text NOT NULL,
      payload jsonb NOT NULL,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      last_status_code integer,
      last_error text,
      last_attempt_at timestamptz,
      delivered_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      -- A fan-out that runs twice over the same event never makes a second delivery.
      UNIQUE (endpoint_id, order_event_id)
    )`.execute(db);
  await sql`
    CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'
  `.execute(db);
  await sql`CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (endpoint_id, created_at DESC, id)`.execute(
    db,
  );

  // One row: how far the fan-out has read order_events. Starts at the beginning of tx_id, which
  // only rows written after this migration have.
  await sql`
    CREATE TABLE webhook_fanout_cursor (
      id integer PRIMARY KEY CHECK (id = 1),
      last_tx_id xid8 NOT NULL,
      last_event_id bigint NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`INSERT INTO webhook_fanout_cursor (id, last_tx_id, last_event_id) VALUES (1, '0', 0)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS webhook_fanout_cursor`.execute(db);
  await sql`DROP TABLE IF EXISTS webhook_deliveries`.execute(db);
  await sql`DROP TABLE IF EXISTS webhook_endpoints`.execute(db);
  await sql`DROP INDEX IF EXISTS order_events_fanout_idx`.execute(db);
  await sql`ALTER TABLE order_events DROP COLUMN IF EXISTS tx_id`.execute(db);
}
