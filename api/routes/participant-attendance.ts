import { createRoute, z } from '@hono/zod-openapi';
import { findParticipantForAttendance, recordAttendance } from '../../db/queries/participant-attendance';
import { requireScope } from '../auth';
import { findOrder } from '../order-workflow-calls';
import { problems } from '../problem';
import { createResourceApp } from '../resource-app';
import { problemResponses } from '../schemas/common';

// Attendance of a booked participant (attended / no show), as course platforms record it after
// the event. It moves no money and no seats, so it is plain data: no workflow Update. A
// participant leaves an order only by a cancellation (POST /v1/orders/{id}/cancel).

const attendanceBody = z
  .strictObject({
    attendance: z
      .enum(['attended', 'no_show'])
      .nullable()
      .openapi({ description: '`attended`, `no_show`, or `null` to clear it', example: 'attended' }),
  })
  .openapi('AttendanceRequest');

const participantAttendance = z
  .object({
    index: z.number().int(),
    booking_id: z.string().nullable(),
    status: z.enum(['active', 'cancelled']),
    attendance: z.enum(['attended', 'no_show']).nullable(),
  })
  .openapi('ParticipantAttendance');

export const participantAttendanceRoutes = createResourceApp();

participantAttendanceRoutes.openapi(
  createRoute({
    method: 'put',
    path: '/{id}/participants/{index}/attendance',
    middleware: [requireScope('orders:write')],
    tags: ['orders'],
    summary: 'Record whether a booked participant came (attended / no show), or clear it',
    description:
      "Recorded in the order's timeline; `GET /v1/orders/{id}` returns it per participant. 404 " +
      '`participant_not_found` for an index the order does not have; 409 `participant_not_booked` for a ' +
      'participant without a booking yet (an unpaid order) or one that was cancelled.',
    request: {
      params: z.object({ id: z.string(), index: z.string().regex(/^\d{1,4}$/, 'a participant index') }),
      body: { required: true, content: { 'application/json': { schema: attendanceBody } } },
    },
    responses: {
      200: {
        description: 'The participant as recorded now',
        content: { 'application/json': { schema: participantAttendance } },
      },
      ...problemResponses(400, 401, 403, 404, 409, 415),
    },
  }),
  async (c) => {
    const { id, index } = c.req.valid('param');
    const { attendance } = c.req.valid('json');
    const order = await findOrder(c, id);
    const target = { tenantId: c.get('auth').tenantId, orderId: order.id, index: Number(index) };
    const participant = await findParticipantForAttendance(c.get('deps').db, target);
    if (!participant) throw problems.notFound('participant of this order', 'participant_not_found');
    if (participant.status !== 'active' || !participant.booked)
      throw problems.conflict(
        'participant_not_booked',
        participant.status === 'active'
          ? 'The participant is not booked yet: attendance is recorded for booked participants'
          : 'The participant was cancelled',
      );
    await recordAttendance(c.get('deps').db, { ...target, participantId: participant.id, attendance });
    return c.json(
      { index: target.index, booking_id: participant.booking_id, status: 'active' as const, attendance },
      200,
    );
  },
);
