import { type Kysely, sql } from 'kysely';

// A status change is announced with the new status (`<order id> <status>`), so a request waiting for an order
// (db/order-status-listener.ts) need not read it again on every change. An API process older than this
// migration matches announcements by the bare id: until it is replaced, its waits end at their timeout.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE OR REPLACE FUNCTION notify_order_status() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('order_status', NEW.id::text || ' ' || NEW.status);
      RETURN NEW;
    END $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE OR REPLACE FUNCTION notify_order_status() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('order_status', NEW.id::text);
      RETURN NEW;
    END $$`.execute(db);
}
