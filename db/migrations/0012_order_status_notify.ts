import { type Kysely, sql } from 'kysely';

// Clients wait for an order's status (GET /v1/orders/{id}?wait_for=…) instead of polling: every
// change of orders.status is announced on the `order_status` channel with the order's id, and
// the API wakes the requests waiting for that order (db/order-status-listener.ts).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE FUNCTION notify_order_status() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('order_status', NEW.id::text);
      RETURN NEW;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER orders_status_notify AFTER UPDATE OF status ON orders
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION notify_order_status()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER IF EXISTS orders_status_notify ON orders`.execute(db);
  await sql`DROP FUNCTION IF EXISTS notify_order_status()`.execute(db);
}
