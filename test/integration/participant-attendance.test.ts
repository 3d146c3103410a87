import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

let stack: TestStack;
let tenant: TestTenant;
let other: TestTenant;
let occurrenceId: string;
let client: ReturnType<typeof orderClient>;

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await createTenant(stack.database.db);
  other = await createTenant(stack.database.db);
  const course = await createProduct(stack.database.db, tenant.id, { price: 40_000, name: 'Course' });
  occurrenceId = await createOccurrence(stack.database.db, tenant.id, course, { capacity: 20 });
  client = orderClient(stack, tenant.apiKey);
});
afterAll(async () => stack.stop());

const setAttendance = (orderId: string, index: number | string, body: unknown, key = tenant.apiKey) =>
  fetch(`${stack.baseUrl}/v1/orders/${orderId}/participants/${index}/attendance`, {
    method: 'PUT',
    headers: { 'X-API-Key': key, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });

async function placeOrder(paymentMethod: 'invoice' | 'card') {
  const placed = await client.placeOrder({
    payment_method: paymentMethod,
    booker: { email: `attendance-${paymentMethod}@example.com` },
    lines: [
      {
        occurrence_id: occurrenceId,
        participants: [
          { firstname: 'Ada', lastname: 'Lovelace', email: 'ada@example.com' },
          { firstname: 'Alan', lastname: 'Turing', email: 'alan@example.com' },
        ],
      },
    ],
  });
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  return placed.body.id as string;
}

describe('PUT /v1/orders/{id}/participants/{index}/attendance', () => {
  it('records, corrects and clears attendance of a booked participant, in the order and its timeline', async () => {
    const orderId = await placeOrder('invoice');
    const order = await eventually(async () => {
      const { body } = await client.getOrder(orderId);
      return body.status === 'invoiced' ? body : undefined;
    });
    const [first, second] = order.participants as { index: number; booking_id: string | null }[];
    expect(first!.booking_id).not.toBeNull();

    const attended = await setAttendance(orderId, first!.index, { attendance: 'attended' });
    expect(attended.status).toBe(200);
    expect(await jsonOf(attended)).toEqual({
      index: first!.index,
      booking_id: first!.booking_id,
      status: 'active',
      attendance: 'attended',
    });
    expect((await setAttendance(orderId, second!.index, { attendance: 'no_show' })).status).toBe(200);
    // A correction, then clearing it.
    expect((await setAttendance(orderId, second!.index, { attendance: 'attended' })).status).toBe(200);
    expect((await setAttendance(orderId, second!.index, { attendance: null })).status).toBe(200);

    const { body } = await client.getOrder(orderId);
    expect(body.participants.map((p: { attendance: string | null }) => p.attendance)).toEqual(['attended', null]);
    const entries = body.timeline.filter((e: { type: string }) => e.type === 'participant.attendance');
    expect(entries.map((e: { data: { attendance: string | null } }) => e.data.attendance)).toEqual([
      'attended',
      'no_show',
      'attended',
      null,
    ]);
  });

  it('refuses a participant without a booking (an unpaid card order) with 409 participant_not_booked', async () => {
    const orderId = await placeOrder('card');
    const { body } = await client.getOrder(orderId);
    const answer = await setAttendance(orderId, body.participants[0].index, { attendance: 'attended' });
    expect(answer.status).toBe(409);
    expect((await jsonOf(answer)).code).toBe('participant_not_booked');
  });

  it('answers 404 for an unknown participant or order, another tenant included, and 400 for bad input', async () => {
    const orderId = await placeOrder('invoice');
    const answer = await setAttendance(orderId, 99, { attendance: 'attended' });
    expect(answer.status).toBe(404);
    expect((await jsonOf(answer)).code).toBe('participant_not_found');
    expect((await setAttendance(crypto.randomUUID(), 0, { attendance: 'attended' })).status).toBe(404);
    expect((await setAttendance(orderId, 0, { attendance: 'attended' }, other.apiKey)).status).toBe(404);
    for (const [index, body] of [
      [0, { attendance: 'maybe' }],
      [0, {}],
      [0, { attendance: 'attended', extra: 1 }],
      ['x', { attendance: 'attended' }],
    ] as const) {
      const bad = await setAttendance(orderId, index, body);
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect((await jsonOf(bad)).code).toBe('validation_failed');
    }
    const url = `${stack.baseUrl}/v1/orders/${orderId}/participants/0/attendance`;
    const headers = { 'X-API-Key': tenant.apiKey, 'Content-Type': 'application/json' };
    // No body at all, and a NUL byte in the path: refused with a problem, never a 500.
    const empty = await fetch(url, { method: 'PUT', headers });
    expect(empty.status).toBe(400);
    expect((await jsonOf(empty)).code).toBe('validation_failed');
    const nul = await fetch(`${stack.baseUrl}/v1/orders/${orderId}%00/participants/0/attendance`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ attendance: 'attended' }),
    });
    expect(nul.status).toBe(400);
    expect((await jsonOf(nul)).code).toBe('control_character');
  });

  it('reads a chunked body as any other body', async () => {
    const orderId = await placeOrder('invoice');
    await eventually(async () => ((await client.getOrder(orderId)).body.status === 'invoiced' ? true : undefined));
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"attendance":'));
        controller.enqueue(new TextEncoder().encode('"no_show"}'));
        controller.close();
      },
    });
    const answer = await fetch(`${stack.baseUrl}/v1/orders/${orderId}/participants/1/attendance`, {
      method: 'PUT',
      headers: { 'X-API-Key': tenant.apiKey, 'Content-Type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(answer.status).toBe(200);
    expect((await jsonOf(answer)).attendance).toBe('no_show');
  });
});
