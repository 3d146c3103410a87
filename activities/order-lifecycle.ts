import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import type { OrderStatus } from '../domain/order-status';
import { appendOrderEvent } from '../db/queries/order-events';
import { giveBackOrderHolds, takeOrderCodes } from '../db/queries/order-contents';
import { bookHeldSeats, deleteReleasedReservations, loadReleasedHolds } from '../db/queries/order-booking';
import { listChargeSessions } from '../db/queries/payments';
import {
  deleteOrder,
  lockOrderCodes,
  markOrderExpired,
  markOrderNeedsAttention,
  markOrderRebooked,
  setAttentionReason,
  setOrderStatus,
} from '../db/queries/order-status';
import { holdSeats } from '../db/queries/seat-holds';
import { loadLatePaymentPolicy } from '../db/queries/tenant-settings';
import type { Db } from '../db/database';
import type { OrderMetricFacts } from '../db/queries/metrics';
import { recordOrderTransition } from '../runtime/metrics';
import type { ActivityDeps } from './activity-deps';

interface OrderRef {
  tenantId: string;
  orderId: string;
}

class SeatsGone extends Error {}

/** A status set for the first time, as a metric when it is one we count (facts: read by the status write). */
export async function recordStatusMetric(
  db: Db,
  input: OrderRef & { status: OrderStatus },
  facts: OrderMetricFacts | undefined,
): Promise<void> {
  if (input.status === 'paid' || input.status === 'completed')
    await recordOrderTransition(db, input.orderId, input.status, facts);
}

/** A status written with its timeline event: whether it was the first time, and the order's metric facts. */
export interface StatusWritten {
  first: boolean;
  facts: OrderMetricFacts | undefined;
}

/** Held seats become bookings; each participant gets a booking id. Safe to repeat. */
export async function bookOrderInTransaction(
  trx: Kysely<Database>,
  tenantId: string,
  orderId: string,
): Promise<{ seatsBooked: number }> {
  const seats = await bookHeldSeats(trx, { tenantId, orderId });
  await appendOrderEvent(trx, {
    tenantId,
    orderId,
    eventKey: 'booked',
    type: 'order.booked',
    message: `Booked ${seats} seat(s)`,
  });
  return { seatsBooked: seats };
}

/** Sets the status and appends its event; true the first time (a retry's repeat is false). */
export async function setOrderStatusInTransaction(
  trx: Kysely<Database>,
  input: OrderRef & { status: OrderStatus; eventKey: string; message: string; data?: Record<string, unknown> },
): Promise<StatusWritten> {
  const facts = await setOrderStatus(trx, input, input.status);
  const first = await appendOrderEvent(trx, {
    tenantId: input.tenantId,
    orderId: input.orderId,
    eventKey: input.eventKey,
    type: `order.${input.status}`,
    message: input.message,
    data: input.data,
  });
  return { first, facts };
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
      const expired = await db.transaction().execute(async (trx) => {
        const order = await markOrderExpired(trx, { tenantId, orderId });
        if (!order) return { seatsReleased: 0 };
        const seats = await giveBackOrderHolds(trx, tenantId, orderId, order);
        await appendOrderEvent(trx, {
          tenantId,
          orderId,
          eventKey: 'expired',
          type: 'order.expired',
          message: `Preliminary deadline passed unpaid; ${seats} seat(s) released`,
        });
        return { seatsReleased: seats, first: true };
      });
      if (expired.first) await recordOrderTransition(db, orderId, 'expired');
      return { seatsReleased: expired.seatsReleased };
    },

    /**
     * Intake failed after part of the order may have been written: seats, campaign use and
     * voucher value go back and the order row goes away, so a failed POST leaves nothing behind.
     */
    async abandonOrder({ tenantId, orderId }: OrderRef): Promise<void> {
      const sessions = await db.transaction().execute(async (trx) => {
        const order = await lockOrderCodes(trx, { tenantId, orderId });
        if (!order) return [];
        await giveBackOrderHolds(trx, tenantId, orderId, order);
        const charges = await listChargeSessions(trx, orderId);
        await deleteOrder(trx, orderId);
        return charges;
      });
      for (const { provider, sessionId } of sessions)
        await paymentProviders.byName(provider).closeSession(tenantId, sessionId);
    },

    /**
     * A payment arrived after expiry and the tenant prefers re-booking to refunding: the seats
     * the order held are taken again if they are still free (conditional updates, like at
     * placement). All or nothing; when they are gone the caller refunds.
     */
    async rebookAfterLatePayment({ tenantId, orderId }: OrderRef): Promise<{ rebooked: boolean; reason: string }> {
      if ((await loadLatePaymentPolicy(db, tenantId)) !== 'rebook')
        return { rebooked: false, reason: 'the tenant refunds late payments' };
      let rebookedNow = false;
      try {
        const result = await db.transaction().execute(async (trx) => {
          const order = await lockOrderCodes(trx, { tenantId, orderId });
          if (!order) throw new Error(`order ${orderId} not found`);
          if (order.status !== 'expired')
            return { rebooked: order.status === 'paid', reason: `order is ${order.status}` };
          const errors = await holdSeats(trx, tenantId, orderId, await loadReleasedHolds(trx, orderId));
          // Expiry gave back the campaign use and the voucher value too: the price paid relied on them.
          errors.push(...(await takeOrderCodes(trx, tenantId, order)));
          if (errors.length > 0) throw new SeatsGone(errors.map((e) => e.message).join('; '));
          await deleteReleasedReservations(trx, orderId);
          await markOrderRebooked(trx, orderId);
          rebookedNow = await appendOrderEvent(trx, {
            tenantId,
            orderId,
            eventKey: 'rebooked_after_late_payment',
            type: 'order.rebooked',
            message: 'Paid after expiry; the seats were still free and are booked again',
          });
          return { rebooked: true, reason: 'seats still free' };
        });
        if (rebookedNow) await recordOrderTransition(db, orderId, 'paid');
        return result;
      } catch (error) {
        if (error instanceof SeatsGone) return { rebooked: false, reason: `seats gone: ${error.message}` };
        throw error;
      }
    },

    /** The order waits for an operator (status needs_attention) and says why. */
    async parkOrder(input: OrderRef & { reason: string; eventKey: string }): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await markOrderNeedsAttention(trx, input, input.reason);
        await appendOrderEvent(trx, {
          tenantId: input.tenantId,
          orderId: input.orderId,
          eventKey: input.eventKey,
          type: 'order.needs_attention',
          message: input.reason,
        });
      });
    },

    /** An operator settled the order: it takes the status the settlement decided, the reason goes to the timeline. */
    async resumeOrder(input: OrderRef & { status: OrderStatus; eventKey: string; message: string }): Promise<void> {
      const written = await db.transaction().execute(async (trx) => {
        await setAttentionReason(trx, input, null);
        return setOrderStatusInTransaction(trx, { ...input });
      });
      if (written.first) await recordStatusMetric(db, input, written.facts);
    },

    /** Puts the order on the operators' list (attention_reason) without changing its status. */
    async flagForAttention(input: OrderRef & { reason: string; eventKey: string }): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await setAttentionReason(trx, input, input.reason);
        await appendOrderEvent(trx, {
          tenantId: input.tenantId,
          orderId: input.orderId,
          eventKey: input.eventKey,
          type: 'order.needs_attention',
          message: input.reason,
        });
      });
    },
  };
}
