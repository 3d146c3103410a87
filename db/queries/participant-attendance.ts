import type { Kysely } from 'kysely';
import type { Database, ParticipantAttendance } from '../schema';
import { appendOrderEvent } from './order-events';

export interface AttendanceTarget {
  tenantId: string;
  orderId: string;
  /** The participant's position in the order (its `index` in the API). */
  index: number;
}

/** The participant as attendance sees it; undefined when the order has no such participant. */
export async function findParticipantForAttendance(db: Kysely<Database>, target: AttendanceTarget) {
  return db
    .selectFrom('participants')
    .select((eb) => [
      'id',
      'status',
      'booking_id',
      'attendance',
      // Booked: its order's seats are (a booking id alone exists from placement on).
      eb
        .exists(
          eb
            .selectFrom('reservations')
            .select('reservations.id')
            .whereRef('reservations.order_id', '=', 'participants.order_id')
            .where('reservations.status', '=', 'booked'),
        )
        .as('booked'),
    ])
    .where('tenant_id', '=', target.tenantId)
    .where('order_id', '=', target.orderId)
    .where('position', '=', target.index)
    .executeTakeFirst();
}

/** Records attendance (null clears it) and a timeline entry, in one transaction. */
export async function recordAttendance(
  db: Kysely<Database>,
  target: AttendanceTarget & { participantId: string; attendance: ParticipantAttendance | null },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('participants')
      .set({ attendance: target.attendance })
      .where('id', '=', target.participantId)
      .execute();
    await appendOrderEvent(trx, {
      tenantId: target.tenantId,
      orderId: target.orderId,
      // Every change is its own entry: attendance may be corrected.
      eventKey: `attendance:${target.index}:${crypto.randomUUID()}`,
      type: 'participant.attendance',
      message: `Participant ${target.index}: ${target.attendance ?? 'attendance cleared'}`,
      data: { index: target.index, attendance: target.attendance },
    });
  });
}
