import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema';
import type { OrderStatus } from '../domain/order-status';
import { appendOrderEvent } from '../db/queries/order-events';
import { giveBackOrderHolds, takeOrderCodes } from '../db/queries/order-contents';
import { holdSeats } from '../db/queries/seat-holds';
import type { ActivityDeps } from './activity-deps';

interface OrderRef {
  tenantId: string;
  orderId: string;
}

class SeatsGone extends Error {}

/** Held seats become bookings; each participant gets a booking id. Safe to repeat. */
export async function bookOrderInTransaction(trx: Kysely<Database>, tenantId: string, orderId: string): Promise<{ seatsBooked: number }> {
  const booked = await trx.updateTable('reservations')
    .set({ status: 'booked', booked_at: sql`now()` })
    .where('order_id', '=', orderId).where('tenant_id', '=', tenantId).where('status', '=', 'held')
    .returning('quantity').execute();
  await trx.updateTable('participants').set({ booking_id: sql`gen_random_uuid()` })
    .where('order_id', '=', orderId).where('booking_id', 'is', null).execute();
  await trx.updateTable('orders').set({ status: 'booked', updated_at: sql`now()` })
    .where('id', '=', orderId).where('tenant_id', '=', tenantId)
    .where('status', 'in', ['reserved', 'awaiting_payment', 'payment_failed', 'paid']).execute();
  const seats = booked.reduce((n, r) => n + r.quantity, 0);
  await appendOrderEvent(trx, { tenantId, orderId, eventKey: 'booked', type: 'order.booked', message: `Booked ${seats} seat(s)` });
  return { seatsBooked: seats };
}

export async function setOrderStatusInTransaction(
  trx: Kysely<Database>,
  input: OrderRef & { status: OrderStatus; eventKey: string; message: string; data?: Record<string, unknown> },
): Promise<void> {
  await trx.updateTable('orders')
    .set({
      status: input.status,
      updated_at: sql`now()`,
      ...(input.status === 'completed' ? { completed_at: sql`coalesce(completed_at, now())` } : {}),
    })
    .where('id', '=', input.orderId).where('tenant_id', '=', input.tenantId).execute();
  await appendOrderEvent(trx, {
    tenantId: input.tenantId, orderId: input.orderId, eventKey: input.eventKey,
    type: `order.${input.status}`, message: input.message, data: input.data,
  });
}

export function createOrderLifecycleActivities({ db, paymentProviders }: ActivityDeps) {
  return {
    /** Held seats become bookings; each participant gets a booking id. Safe to repeat. */
    async bookOrder({ tenantId, orderId }: OrderRef): Promise<{ seatsBooked: number }> {
      return db.transaction().execute((trx) => bookOrderInTransaction(trx, tenantId, orderId));
    },

    /**
     * The preliminary deadline passed unpaid: seats, campaign use and voucher value go back,
     * exactly once — the status transition is the guard, so a retry changes nothing.
     */
    async expireOrder({ tenantId, orderId }: OrderRef): Promise<{ seatsReleased: number }> {
      return db.transaction().execute(async (trx) => {
        const order = await trx.updateTable('orders')
          // An expired order owes nothing: the ledger's due amount goes to zero with it.
          .set({ status: 'expired', credited: sql`total_incl_vat`, updated_at: sql`now()` })
          .where('id', '=', orderId).where('tenant_id', '=', tenantId)
          .where('status', 'in', ['awaiting_payment', 'payment_failed', 'reserved'])
          .returning(['campaign_code', 'voucher_code', 'voucher_applied']).executeTakeFirst();
        if (!order) return { seatsReleased: 0 };
        const seats = await giveBackOrderHolds(trx, tenantId, orderId, order);
        await appendOrderEvent(trx, {
          tenantId, orderId, eventKey: 'expired', type: 'order.expired',
          message: `Preliminary deadline passed unpaid; ${seats} seat(s) released`,
        });
        return { seatsReleased: seats };
      });
    },

    /**
     * Intake failed after part of the order may have been written: seats, campaign use and
     * voucher value go back and the order row goes away, so a failed POST leaves nothing behind.
     */
    async abandonOrder({ tenantId, orderId }: OrderRef): Promise<void> {
      const sessions = await db.transaction().execute(async (trx) => {
        const order = await trx.selectFrom('orders').select(['campaign_code', 'voucher_code', 'voucher_applied'])
          .where('id', '=', orderId).where('tenant_id', '=', tenantId).forUpdate().executeTakeFirst();
        if (!order) return [];
        await giveBackOrderHolds(trx, tenantId, orderId, order);
        const charges = await trx.selectFrom('payments').select(['provider', 'provider_session_id'])
          .where('order_id', '=', orderId).where('kind', '=', 'charge').execute();
        await trx.deleteFrom('orders').where('id', '=', orderId).execute();
        return charges.flatMap((c) => (c.provider_session_id ? [{ provider: c.provider, sessionId: c.provider_session_id }] : []));
      });
      for (const { provider, sessionId } of sessions) await paymentProviders.byName(provider).closeSession(tenantId, sessionId);
    },

    /**
     * A payment arrived after expiry and the tenant prefers re-booking to refunding: the seats
     * the order held are taken again if they are still free (conditional updates, like at
     * placement). All or nothing; when they are gone the caller refunds.
     */
    async rebookAfterLatePayment({ tenantId, orderId }: OrderRef): Promise<{ rebooked: boolean; reason: string }> {
      const tenant = await db.selectFrom('tenants').select('late_payment_policy').where('id', '=', tenantId).executeTakeFirstOrThrow();
      if (tenant.late_payment_policy !== 'rebook') return { rebooked: false, reason: 'the tenant refunds late payments' };
      try {
        return await db.transaction().execute(async (trx) => {
          const order = await trx.selectFrom('orders').select(['status', 'campaign_code', 'voucher_code', 'voucher_applied'])
            .where('id', '=', orderId).where('tenant_id', '=', tenantId).forUpdate().executeTakeFirstOrThrow();
          if (order.status !== 'expired') return { rebooked: order.status === 'paid', reason: `order is ${order.status}` };
          const released = await trx.selectFrom('reservations').select(['occurrence_id', 'product_id', 'inventory_date', 'quantity'])
            .where('order_id', '=', orderId).where('status', '=', 'released').execute();
          const errors = await holdSeats(trx, tenantId, orderId, released.map((r) => ({
            occurrenceId: r.occurrence_id, productId: r.product_id, inventoryDate: r.inventory_date, quantity: r.quantity,
          })));
          // Expiry gave back the campaign use and the voucher value too: the price paid relied on them.
          errors.push(...(await takeOrderCodes(trx, tenantId, order)));
          if (errors.length > 0) throw new SeatsGone(errors.map((e) => e.message).join('; '));
          await trx.deleteFrom('reservations').where('order_id', '=', orderId).where('status', '=', 'released').execute();
          await trx.updateTable('orders').set({ status: 'paid', credited: 0, preliminary_until: null, updated_at: sql`now()` })
            .where('id', '=', orderId).execute();
          await appendOrderEvent(trx, {
            tenantId, orderId, eventKey: 'rebooked_after_late_payment', type: 'order.rebooked',
            message: 'Paid after expiry; the seats were still free and are booked again',
          });
          return { rebooked: true, reason: 'seats still free' };
        });
      } catch (error) {
        if (error instanceof SeatsGone) return { rebooked: false, reason: `seats gone: ${error.message}` };
        throw error;
      }
    },

    /** The order waits for an operator (status needs_attention) and says why. */
    async parkOrder(input: OrderRef & { reason: string; eventKey: string }): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('orders').set({ status: 'needs_attention', attention_reason: input.reason, updated_at: sql`now()` })
          .where('id', '=', input.orderId).where('tenant_id', '=', input.tenantId).execute();
        await appendOrderEvent(trx, {
          tenantId: input.tenantId, orderId: input.orderId, eventKey: input.eventKey, type: 'order.needs_attention', message: input.reason,
        });
      });
    },

    /** An operator settled the order: it takes the status the settlement decided, the reason goes to the timeline. */
    async resumeOrder(input: OrderRef & { status: OrderStatus; eventKey: string; message: string }): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('orders').set({ attention_reason: null }).where('id', '=', input.orderId).where('tenant_id', '=', input.tenantId).execute();
        await setOrderStatusInTransaction(trx, { ...input });
      });
    },

    /** Puts the order on the operators' list (attention_reason) without changing its status. */
    async flagForAttention(input: OrderRef & { reason: string; eventKey: string }): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('orders').set({ attention_reason: input.reason, updated_at: sql`now()` })
          .where('id', '=', input.orderId).where('tenant_id', '=', input.tenantId).execute();
        await appendOrderEvent(trx, {
          tenantId: input.tenantId, orderId: input.orderId, eventKey: input.eventKey, type: 'order.needs_attention', message: input.reason,
        });
      });
    },

    async setOrderStatus(input: OrderRef & { status: OrderStatus; eventKey: string; message: string; data?: Record<string, unknown> }): Promise<void> {
      await db.transaction().execute((trx) => setOrderStatusInTransaction(trx, input));
    },
  };
}
