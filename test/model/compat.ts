import fc from 'fast-check';
import { violation, withDeadline, REQUEST_TIMEOUT_MS } from './http';
import { checkAfterStep } from './invariants';
import { MAX_ORDERS, type Model, type ModelOrder, placedOrder } from './model';
import { api, type Real } from './world';

// Orders placed through the compatibility routes (docs/compatibility.md), in the platforms' own
// shapes: once placed they are ordinary orders, so every other command of the run (pay, change,
// cancel, invoice payments, …) applies to them and every invariant is checked on them.

export type CompatPlatform = 'course-booking' | 'venue';

export interface CompatCreateSpec {
  platform: CompatPlatform;
  /** The venue shop takes card orders only. */
  method: 'card' | 'invoice';
  target: 'A' | 'B';
  people: number;
  currency: 'nok' | 'eur';
}

/** Their answers are their shapes, not problem+json: a plain request with the run's deadline. */
async function sendCompat(real: Real, path: string, body: unknown): Promise<{ status: number; body: any }> {
  const label = `POST ${path}`;
  const response = await withDeadline(
    fetch(`${real.stack.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'X-API-Key': real.fx.clientKey, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    }),
    label,
  );
  const text = await response.text();
  if (response.status >= 500) violation('no 5xx', `${label} answered ${response.status}: ${text.slice(0, 400)}`);
  try {
    return { status: response.status, body: text ? JSON.parse(text) : null };
  } catch {
    return violation('answers are well-formed', `${label} answered ${response.status}: ${text.slice(0, 200)}`);
  }
}

function courseBookingRequest(spec: CompatCreateSpec, occurrenceId: string, email: string) {
  return {
    coursedate_id: occurrenceId,
    payment_method: spec.method,
    currency: spec.currency,
    booker_name: 'Model Booker',
    booker_email: email,
    participants: Array.from({ length: spec.people }, (_, i) => ({
      firstname: 'Compat',
      lastname: `Person ${i + 1}`,
      email: `p${i + 1}-${email}`,
    })),
    config: { auto_append_course_product: true },
  };
}

function venueRequest(spec: CompatCreateSpec, occurrenceId: string, email: string) {
  return {
    clientName: 'model test',
    clientOs: 'node',
    customer: { name: 'Model Booker', email },
    orderLines: [{ sellableId: occurrenceId, quantity: spec.people, properties: { name: 'Compat Holder', email } }],
  };
}

/** Their order id, from each platform's create answer. */
function placedId(spec: CompatCreateSpec, answer: { body: any }): string | undefined {
  return spec.platform === 'course-booking' ? answer.body?.summary?.order_id : answer.body?.id;
}

export class CreateViaCompat implements fc.AsyncCommand<Model, Real> {
  constructor(readonly spec: CompatCreateSpec) {}
  check(model: Readonly<Model>): boolean {
    return model.orders.length < MAX_ORDERS;
  }
  toString(): string {
    const s = this.spec;
    return `create via ${s.platform}(${s.method} ${s.currency} ${s.target}:${s.people}p)`;
  }
  async run(model: Model, real: Real): Promise<void> {
    const s = this.spec;
    const occurrenceId = real.fx.occurrences[s.target];
    model.seq += 1;
    const email = `compat${model.seq}-${real.fx.runId}@example.com`;
    real.trace.push(this.toString());
    const { db } = real.stack.database;
    const row = await db
      .selectFrom('occurrences')
      .select(['capacity', 'seats_taken'])
      .where('id', '=', occurrenceId)
      .executeTakeFirstOrThrow();
    const fits = row.capacity - row.seats_taken >= s.people;
    const answer =
      s.platform === 'course-booking'
        ? await sendCompat(real, '/compat/course-booking/v2/orders', courseBookingRequest(s, occurrenceId, email))
        : await sendCompat(real, '/compat/venue/order', venueRequest(s, occurrenceId, email));
    if (!fits) {
      // Their codes for "no seats": the course-booking platform's, or ours passed on by the venue shop.
      const text = JSON.stringify(answer.body);
      if (answer.status < 400 || !/booking_could_not_be_created|occurrence_full|occurrence_busy/.test(text))
        violation('answers follow the model', `${this.toString()}: no seats left, answered ${answer.status} ${text}`);
      real.trace.push(`  → ${answer.status} (full)`);
      await checkAfterStep(real, model, null);
      return;
    }
    const id = placedId(s, answer);
    if (answer.status !== 201 || typeof id !== 'string')
      violation('answers follow the model', `${this.toString()}: ${answer.status} ${JSON.stringify(answer.body)}`);
    // The same order, read through /v1.
    const read = await api(real, 'GET', `/v1/orders/${id}`);
    if (read.status !== 200) violation('answers follow the model', `${this.toString()}: GET /v1 ${read.status}`);
    const placed = read.body;
    const order = compatOrder(real, model, placed, s.method);
    if (s.method === 'card') {
      const session = await db
        .selectFrom('payments')
        .select(['provider_session_id', 'redirect_url'])
        .where('order_id', '=', id)
        .where('kind', '=', 'charge')
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (!session?.provider_session_id || !session.redirect_url)
        violation('answers follow the model', `${this.toString()}: a card order without a payment session`);
      order.session = { id: session.provider_session_id, redirectUrl: session.redirect_url };
    }
    if (placed.currency !== (s.platform === 'venue' ? 'nok' : s.currency))
      violation('answers follow the model', `${this.toString()}: currency ${placed.currency}`);
    model.orders.push(order);
    real.trace.push(`  → 201 ${order.label} #${order.number} total ${order.total} ${order.currency}`);
    await checkAfterStep(real, model, order);
  }
}

function compatOrder(real: Real, model: Model, placed: any, method: 'card' | 'invoice'): ModelOrder {
  // Their bodies carry no external id of ours (externalId ''): invoice payments name the invoice by id.
  const order = placedOrder(
    {
      label: `o${model.orders.length}`,
      id: placed.id,
      number: placed.number,
      workflowId: `order-${real.fx.tenantSlug}-${placed.number}`,
      total: placed.totals.incl_vat,
      currency: placed.currency,
    },
    method,
  );
  order.lines = placed.lines.map((l: any) => ({
    participantIndex: l.participant_index,
    occurrenceId: l.occurrence_id,
    quantity: l.quantity,
    inclVat: l.incl_vat,
    description: l.description,
  }));
  order.participants = placed.participants.length;
  // A card order still unpaid a minute after it was taken gets `order_received`, maybe in a run.
  if (method === 'card') order.optionalEmails.add('order_received');
  return order;
}

const compatSpec: fc.Arbitrary<CompatCreateSpec> = fc
  .record({
    platform: fc.constantFrom<CompatPlatform>('course-booking', 'course-booking', 'venue'),
    method: fc.constantFrom<CompatCreateSpec['method']>('card', 'card', 'invoice'),
    target: fc.constantFrom<CompatCreateSpec['target']>('A', 'A', 'B'),
    people: fc.integer({ min: 1, max: 3 }),
    currency: fc.constantFrom<CompatCreateSpec['currency']>('nok', 'nok', 'eur'),
  })
  // The venue shop sells by card, in the tenant's currency.
  .map((s) => (s.platform === 'venue' ? { ...s, method: 'card' as const, currency: 'nok' as const } : s));

export function compatArbitraries(): [string, fc.Arbitrary<fc.AsyncCommand<Model, Real>>][] {
  return [['compat', compatSpec.map((s) => new CreateViaCompat(s))]];
}
