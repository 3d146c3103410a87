import { sql } from 'kysely';
import { orderProgressQuery } from '../../workflows/order-messages';
import { OrderStatusKey } from '../../workflows/search-attributes';
import { eventually } from '../helpers/test-stack';
import { addDays } from '../../domain/subscription-calendar';
import { InvariantViolation, sleep, violation } from './http';
import {
  allOrders,
  describeOrder,
  expectedAmountPaid,
  expectedLeftToPay,
  expectedSeats,
  type Model,
  type ModelOrder,
} from './model';
import { type CycleRow, type ModelSubscription, subscriptionFingerprint, syncSubscription } from './subscriptions';
import { api, type Real } from './world';

/** An activity retrying more often than this means the order is stuck. */
export const MAX_ACTIVITY_ATTEMPTS = Number(process.env.MODEL_MAX_ACTIVITY_ATTEMPTS ?? 3);
const SETTLE_TIMEOUT_MS = Number(process.env.MODEL_SETTLE_TIMEOUT_MS ?? 20_000);

export interface Observation {
  /** GET /v1/orders/{id} */
  order: any;
  running: boolean;
  searchAttribute: string | undefined;
  progress: string | undefined;
  pendingActivities: { type: string; attempt: number; failure: string }[];
  workflowTaskPending: boolean;
}

const signature = (o: Observation) =>
  JSON.stringify([
    o.order.status,
    o.order.updated_at,
    o.order.amount_paid,
    o.order.payments.length,
    o.order.documents.length,
    o.searchAttribute,
    o.progress,
    o.running,
  ]);

function summary(o: Observation): string {
  return (
    `db=${o.order.status} search_attribute=${o.searchAttribute} progress=${o.progress ?? '(closed)'}` +
    ` pending=${JSON.stringify(o.pendingActivities)} workflow_task_pending=${o.workflowTaskPending}` +
    ` amount_paid=${o.order.amount_paid} left_to_pay=${o.order.left_to_pay}`
  );
}

/** The order as the API, PostgreSQL and its workflow see it right now. */
export async function observe(real: Real, order: ModelOrder): Promise<Observation> {
  const answer = await api(real, 'GET', `/v1/orders/${order.id}`);
  if (answer.status !== 200) violation('orders can be read', `GET ${order.label} answered ${answer.status}`);
  const handle = real.stack.temporal.workflow.getHandle(order.workflowId);
  const description = await handle.describe();
  const running = description.status.name === 'RUNNING';
  const pendingActivities = (description.raw.pendingActivities ?? []).map((a) => ({
    type: a.activityType?.name ?? '?',
    attempt: a.attempt ?? 0,
    failure: a.lastFailure?.message ?? '',
  }));
  const stuck = pendingActivities.find((a) => a.attempt > MAX_ACTIVITY_ATTEMPTS);
  if (stuck) {
    violation(
      'no workflow is stuck',
      `${order.label}: activity ${stuck.type} is at attempt ${stuck.attempt}: ${stuck.failure}`,
    );
  }
  const progress = running ? (await handle.query(orderProgressQuery)).status : undefined;
  return {
    order: answer.body,
    running,
    searchAttribute: description.typedSearchAttributes.get(OrderStatusKey),
    progress,
    pendingActivities,
    workflowTaskPending: Boolean(description.raw.pendingWorkflowTask),
  };
}

/**
 * Waits until the order is at rest (no workflow task or activity pending, the same picture
 * twice) in the status the model expects, and checks that PostgreSQL, the search attribute and
 * the progress query agree there.
 */
export async function settle(real: Real, order: ModelOrder, timeoutMs = SETTLE_TIMEOUT_MS): Promise<Observation> {
  const deadline = Date.now() + timeoutMs;
  let previous: string | undefined;
  let last: Observation | undefined;
  for (;;) {
    const current = await observe(real, order);
    last = current;
    const quiet = !current.workflowTaskPending && current.pendingActivities.length === 0;
    const sig = signature(current);
    if (quiet && sig === previous) {
      const db = current.order.status;
      if (current.searchAttribute !== db || (current.running && current.progress !== db)) {
        violation(
          'status agrees in PostgreSQL, search attribute and progress query',
          `${order.label}: ${summary(current)}`,
        );
      }
      if (db === order.status) return current;
    }
    previous = quiet ? sig : undefined;
    if (Date.now() > deadline) break;
    await sleep(120);
  }
  violation(
    'order follows the model',
    `${order.label} did not come to rest as ${order.status} within ${timeoutMs} ms;` +
      ` model ${describeOrder(order)}; last seen ${summary(last)}`,
  );
}

const sum = (values: number[]) => values.reduce((n, v) => n + v, 0);

/** Money, documents, seats, notes and emails of one order at rest, against the model and the provider. */
export async function checkOrder(real: Real, order: ModelOrder, seen: Observation): Promise<void> {
  const { db } = real.stack.database;
  const body = seen.order;
  const who = order.label;
  if (body.totals.incl_vat !== order.total)
    violation('order total', `${who}: total ${body.totals.incl_vat}, model ${order.total}`);
  if (sum(body.lines.map((l: { incl_vat: number }) => l.incl_vat)) !== body.totals.incl_vat) {
    violation('order total', `${who}: the lines do not add up to the total`);
  }

  // ---- money: the ledger against the provider, the API against the ledger ----
  const [sessions, payments] = await Promise.all([
    db.selectFrom('sandbox_psp_sessions').selectAll().where('reference', '=', order.id).execute(),
    db.selectFrom('payments').selectAll().where('order_id', '=', order.id).execute(),
  ]);
  const succeeded = payments.filter((p) => p.status === 'succeeded');
  for (const charge of succeeded.filter((p) => p.kind === 'charge' && p.provider === 'sandbox')) {
    const session = sessions.find((s) => s.id === charge.provider_session_id);
    if (session?.status !== 'paid') {
      violation(
        'the ledger records what the provider captured',
        `${who}: charge on ${charge.provider_session_id} is` +
          ` succeeded but the provider's session is ${session?.status ?? 'missing'}`,
      );
    }
    if (charge.amount !== session.amount) {
      violation(
        'the ledger records what the provider captured',
        `${who}: charge of ${charge.amount} on` + ` ${session.id}, the provider captured ${session.amount}`,
      );
    }
  }
  for (const session of sessions) {
    const captured = session.status === 'paid' ? session.amount : 0;
    if (
      session.status === 'paid' &&
      !succeeded.some((p) => p.kind === 'charge' && p.provider_session_id === session.id)
    ) {
      violation(
        'the ledger records what the provider captured',
        `${who}: the provider captured ${captured} on ${session.id},` + ' the ledger has no succeeded charge',
      );
    }
    if (session.refunded_amount > captured) {
      violation(
        'refunds never exceed the capture',
        `${who}: ${session.id} refunded ${session.refunded_amount} of ${captured}`,
      );
    }
    const ledgerRefunds = sum(
      succeeded
        .filter((p) => p.kind === 'refund' && p.provider === 'sandbox' && p.provider_session_id === session.id)
        .map((p) => p.amount),
    );
    if (ledgerRefunds !== session.refunded_amount) {
      violation(
        "refunds in the ledger are the provider's",
        `${who}: ledger refunds ${ledgerRefunds} on ${session.id},` +
          ` the provider refunded ${session.refunded_amount}`,
      );
    }
  }
  const providerCaptured = sum(sessions.filter((s) => s.status === 'paid').map((s) => s.amount));
  const providerRefunded = sum(sessions.map((s) => s.refunded_amount));
  const bank = sum(succeeded.filter((p) => p.kind === 'charge' && p.provider === 'invoice').map((p) => p.amount));
  const elsewhere = sum(succeeded.filter((p) => p.kind === 'charge' && p.provider === 'prepaid').map((p) => p.amount));
  const cardRefunds = sum(
    succeeded.filter((p) => p.kind === 'refund' && p.provider === 'sandbox').map((p) => p.amount),
  );
  const manual = sum(
    payments
      .filter((p) => p.kind === 'refund' && p.provider === 'manual' && ['pending', 'succeeded'].includes(p.status))
      .map((p) => p.amount),
  );
  if (providerCaptured !== order.captured) {
    violation('order follows the model', `${who}: the provider captured ${providerCaptured}, model ${order.captured}`);
  }
  if (cardRefunds > providerCaptured) {
    violation('refunds never exceed the capture', `${who}: card refunds ${cardRefunds}, captured ${providerCaptured}`);
  }
  const cancellations = order.cancellations
    .map(
      (c) =>
        `${c.full ? 'full' : 'partial'}: part ${c.part} fee ${c.fee}` +
        ` (${c.feePercent}%) credit ${c.credit} refund ${c.refund}`,
    )
    .join('; ');
  if (
    order.status === 'cancelled' &&
    order.captured === order.total &&
    order.method === 'card' &&
    order.invoicePaid === 0
  ) {
    const fees = sum(order.cancellations.map((c) => c.fee));
    if (cardRefunds !== order.captured - fees) {
      violation(
        'a cancellation refunds captured − fees',
        `${who}: refunded ${cardRefunds}, captured ${order.captured}, ${cancellations}`,
      );
    }
  }
  if (providerRefunded !== order.cardRefunded) {
    violation(
      'refunds follow the money rules',
      `${who}: the provider refunded ${providerRefunded}, expected ${order.cardRefunded}` + ` (${cancellations})`,
    );
  }
  if (manual !== order.manualRefunded) {
    violation(
      'refunds follow the money rules',
      `${who}: manual refunds ${manual}, expected ${order.manualRefunded} (${cancellations})`,
    );
  }
  if (bank !== order.invoicePaid)
    violation('order follows the model', `${who}: bank payments ${bank}, model ${order.invoicePaid}`);
  if (elsewhere !== order.prepaid)
    violation('order follows the model', `${who}: paid elsewhere ${elsewhere}, model ${order.prepaid}`);
  const ledgerPaid = providerCaptured + elsewhere + bank - providerRefunded - manual;
  if (body.amount_paid !== ledgerPaid || body.amount_paid !== expectedAmountPaid(order)) {
    violation(
      'amount_paid is captured − refunded',
      `${who}: amount_paid ${body.amount_paid}, provider ledger ${ledgerPaid},` + ` model ${expectedAmountPaid(order)}`,
    );
  }
  if (body.amount_credited !== order.credited) {
    violation(
      'amount_credited follows the money rules',
      `${who}: amount_credited ${body.amount_credited}, expected ${order.credited}` +
        ` (${cancellations || 'no cancellation'})`,
    );
  }
  if (body.left_to_pay !== expectedLeftToPay(order)) {
    violation(
      'left_to_pay is what is due − paid',
      `${who}: left_to_pay ${body.left_to_pay}, expected ${expectedLeftToPay(order)}` + ` (${describeOrder(order)})`,
    );
  }

  // ---- documents: the order's invoice or receipt and its credit notes ----
  const documents = await db
    .selectFrom('invoices')
    .selectAll()
    .where('order_id', '=', order.id)
    .orderBy('number')
    .execute();
  const originals = documents.filter((d) => d.kind !== 'credit_note');
  const credits = documents.filter((d) => d.kind === 'credit_note');
  const kinds = originals.map((d) => d.kind).join(',');
  if (kinds !== (order.document ?? ''))
    violation('documents follow the model', `${who}: documents [${kinds}], model [${order.document ?? ''}]`);
  const original = originals[0];
  if (original && original.status !== order.invoiceStatus && order.document === 'invoice') {
    violation(
      'documents follow the model',
      `${who}: invoice ${original.document_number} is ${original.status}, model ${order.invoiceStatus}`,
    );
  }
  for (const credit of credits) {
    const credited = originals.find((d) => d.id === credit.credits_invoice_id);
    if (!credited)
      violation(
        "a credit note credits the order's document",
        `${who}: ${credit.document_number} credits ${credit.credits_invoice_id}`,
      );
    const lines = credit.lines as unknown as { incl_vat: number; excl_vat: number; vat: number }[];
    if (
      credit.total_excl_vat + credit.total_vat !== credit.total_incl_vat ||
      sum(lines.map((l) => l.incl_vat)) !== credit.total_incl_vat
    ) {
      violation('credit notes add up', `${who}: ${credit.document_number} lines/totals do not add up`);
    }
  }
  for (const doc of originals) {
    const mine = credits.filter((c) => c.credits_invoice_id === doc.id);
    const total = sum(mine.map((c) => c.total_incl_vat));
    if (total > doc.total_incl_vat) {
      violation(
        'credit notes never exceed the document',
        `${who}: ${mine
          .map((c) => `${c.document_number}=${c.total_incl_vat}`)
          .join(' + ')} = ${total} credit ${doc.document_number} of ${doc.total_incl_vat}`,
      );
    }
    const perLine = new Map<string, number>();
    for (const line of doc.lines as unknown as { description: string; incl_vat: number }[]) {
      perLine.set(line.description, (perLine.get(line.description) ?? 0) + line.incl_vat);
    }
    for (const c of mine) {
      for (const line of c.lines as unknown as { description: string; incl_vat: number }[]) {
        const key = line.description.replace(/^Credit: /, '');
        perLine.set(key, (perLine.get(key) ?? 0) - line.incl_vat);
      }
    }
    for (const [description, left] of perLine) {
      if (left < 0) {
        violation(
          'credit notes never exceed the document',
          `${who}: "${description}" credited ${-left} more than` + ` ${doc.document_number} charged`,
        );
      }
    }
  }
  const expectedCredits = order.cancellations.filter((c) => c.creditNote).map((c) => c.credit);
  const actualCredits = credits.map((c) => c.total_incl_vat);
  if (JSON.stringify(actualCredits) !== JSON.stringify(expectedCredits)) {
    violation(
      'credit notes follow the cancellation rules',
      `${who}: credit notes [${actualCredits}], expected` + ` [${expectedCredits}] (${cancellations})`,
    );
  }

  // ---- seats held by this order ----
  const reservations = await db
    .selectFrom('reservations')
    .select(['occurrence_id', 'quantity', 'status'])
    .where('order_id', '=', order.id)
    .execute();
  const holding = new Map<string, number>();
  for (const r of reservations) {
    if (r.occurrence_id && (r.status === 'held' || r.status === 'booked')) {
      holding.set(r.occurrence_id, (holding.get(r.occurrence_id) ?? 0) + r.quantity);
    }
  }
  const wanted = expectedSeats(order);
  for (const occurrence of new Set([...holding.keys(), ...wanted.keys()])) {
    if ((holding.get(occurrence) ?? 0) !== (wanted.get(occurrence) ?? 0)) {
      violation(
        'the order holds its active seats',
        `${who}: holds ${holding.get(occurrence) ?? 0} on ${occurrence},` + ` model ${wanted.get(occurrence) ?? 0}`,
      );
    }
  }
  const bookedState = order.status === 'completed' || order.status === 'invoiced' ? 'held' : 'booked';
  if (
    order.status !== 'cancelled' &&
    order.status !== 'expired' &&
    reservations.some((r) => r.status === bookedState)
  ) {
    violation('the order holds its active seats', `${who} is ${order.status} but has ${bookedState} reservations`);
  }
  const participants = body.participants.map((p: { status: string }) => p.status);
  const expectedParticipants = [...Array(order.participants).keys()].map((i) =>
    order.cancelled.has(i) ? 'cancelled' : 'active',
  );
  if (JSON.stringify(participants) !== JSON.stringify(expectedParticipants)) {
    violation(
      'participants follow the model',
      `${who}: participants [${participants}], model [${expectedParticipants}]`,
    );
  }

  // ---- notes ----
  if (JSON.stringify(sortKeys(body.notes)) !== JSON.stringify(sortKeys(order.notes))) {
    violation('notes are kept', `${who}: notes ${JSON.stringify(body.notes)}, model ${JSON.stringify(order.notes)}`);
  }

  // ---- emails: one per order, kind and event ----
  const outbox = await db
    .selectFrom('email_outbox')
    .select(['kind', 'recipient'])
    .where('order_id', '=', order.id)
    .execute();
  // A subscription's mails carry its first order's id; they are checked with the subscription.
  const outboxKinds = outbox
    .map((r) => r.kind)
    .filter((k) => !k.startsWith('subscription_'))
    .sort();
  const expectedKinds = [
    ...order.emails,
    ...outboxKinds.filter((k) => order.optionalEmails.has(k) && !order.emails.has(k)),
  ].sort();
  if (JSON.stringify(outboxKinds) !== JSON.stringify(expectedKinds)) {
    violation('one email per order, kind and event', `${who}: outbox [${outboxKinds}], model [${expectedKinds}]`);
  }
}

function sortKeys(value: Record<string, unknown> | null | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value ?? {}).sort(([a], [b]) => a.localeCompare(b)));
}

/** The run's shared state: occurrences, document series, codes. */
export async function checkGlobal(real: Real, model: Model): Promise<void> {
  const { db } = real.stack.database;
  const { fx } = real;

  // Seats: taken = held + booked reservations, never above capacity.
  const occurrences = await db
    .selectFrom('occurrences')
    .select(['id', 'name', 'capacity', 'seats_taken'])
    .where('tenant_id', '=', fx.tenantId)
    .execute();
  const holds = await db
    .selectFrom('reservations')
    .select(['occurrence_id', sql<number>`sum(quantity)::int`.as('seats')])
    .where('tenant_id', '=', fx.tenantId)
    .where('status', 'in', ['held', 'booked'])
    .groupBy('occurrence_id')
    .execute();
  for (const occurrence of occurrences) {
    const held = holds.find((h) => h.occurrence_id === occurrence.id)?.seats ?? 0;
    if (occurrence.seats_taken !== held) {
      violation(
        'seats_taken = held + booked reservations',
        `${occurrence.name}: seats_taken ${occurrence.seats_taken},` + ` reservations hold ${held}`,
      );
    }
    if (occurrence.seats_taken < 0 || occurrence.seats_taken > occurrence.capacity) {
      violation(
        'seats within capacity',
        `${occurrence.name}: seats_taken ${occurrence.seats_taken} of ${occurrence.capacity}`,
      );
    }
  }

  // Documents: gapless per series, never changed once issued (only status and paid_at move).
  const documents = await db
    .selectFrom('invoices')
    .selectAll()
    .where('tenant_id', '=', fx.tenantId)
    .orderBy('series')
    .orderBy('number')
    .execute();
  const series = await db.selectFrom('invoice_series').selectAll().where('tenant_id', '=', fx.tenantId).execute();
  for (const s of series) {
    const numbers = documents.filter((d) => d.series === s.series).map((d) => d.number);
    const gapless = numbers.every((n, i) => n === i + 1) && s.next_number === numbers.length + 1;
    if (!gapless) violation('document numbers are gapless', `series ${s.series}: [${numbers}], next ${s.next_number}`);
  }
  for (const doc of documents) {
    const { status: _status, paid_at: _paidAt, ...fixed } = doc;
    const snapshot = JSON.stringify(fixed);
    const first = real.documents.get(doc.id);
    if (first === undefined) real.documents.set(doc.id, snapshot);
    else if (first !== snapshot)
      violation('issued documents never change', `${doc.document_number}: ${first} → ${snapshot}`);
  }
  if (real.documents.size !== documents.length) violation('issued documents never change', 'a document disappeared');

  // Value vouchers: what is left + what live orders took = what was issued.
  const orders = await db
    .selectFrom('orders')
    .select(['id', 'status', 'voucher_code', 'voucher_applied', 'campaign_code'])
    .where('tenant_id', '=', fx.tenantId)
    .execute();
  const live = orders.filter((o) => o.status !== 'cancelled' && o.status !== 'expired');
  const vouchers = await db.selectFrom('vouchers').selectAll().where('tenant_id', '=', fx.tenantId).execute();
  for (const voucher of vouchers) {
    const users = live.filter((o) => o.voucher_code?.toUpperCase() === voucher.code.toUpperCase());
    if (voucher.kind === 'percent') {
      if ((voucher.redeemed_at !== null) !== users.length > 0) {
        violation(
          'voucher value is conserved',
          `${voucher.code} (single-use): redeemed_at ${voucher.redeemed_at?.toISOString() ?? null},` +
            ` live orders using it ${users.length}`,
        );
      }
      continue;
    }
    const taken = sum(users.map((o) => o.voucher_applied));
    if ((voucher.remaining_value ?? 0) + taken !== voucher.initial_value) {
      violation(
        'voucher value is conserved',
        `${voucher.code}: ${voucher.remaining_value} left + ${taken} taken by live orders` +
          ` ≠ ${voucher.initial_value}`,
      );
    }
  }
  const campaigns = await db
    .selectFrom('campaigns')
    .select(['code', 'uses'])
    .where('tenant_id', '=', fx.tenantId)
    .execute();
  for (const campaign of campaigns) {
    const users = live.filter((o) => o.campaign_code?.toUpperCase() === campaign.code.toUpperCase()).length;
    if (campaign.uses !== users)
      violation('campaign uses are conserved', `${campaign.code}: uses ${campaign.uses}, live orders ${users}`);
  }
  const accepted = allOrders(model).length;
  if (orders.length !== accepted) {
    violation(
      'rejected orders leave nothing',
      `${orders.length} orders in PostgreSQL, ${accepted} accepted or renewals`,
    );
  }
}

/**
 * After a step: the subscriptions come to rest and the model takes their renewals; the touched
 * order comes to rest as the model says; every order, subscription and the run are checked. A
 * subscription renews on its own clock: when a violation coincides with a renewal placed (or a
 * status moved by time) during the check, the check is made again on the new picture.
 */
export async function checkAfterStep(real: Real, model: Model, touched: ModelOrder | null): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const before = await subscriptionFingerprint(real, model);
    try {
      await checkOnce(real, model, attempt === 1 ? touched : null);
      return;
    } catch (error) {
      const moved = (await subscriptionFingerprint(real, model)) !== before;
      if (!(error instanceof InvariantViolation) || !moved || attempt >= 4) throw error;
      real.trace.push(`  (check repeated: a subscription moved during it: ${error.message.slice(0, 160)})`);
    }
  }
}

async function checkOnce(real: Real, model: Model, touched: ModelOrder | null): Promise<void> {
  const seen = new Map<ModelSubscription, Awaited<ReturnType<typeof syncSubscription>>>();
  for (const sub of model.subscriptions) seen.set(sub, await syncSubscription(real, sub));
  await Promise.all(
    allOrders(model).map(async (order) => {
      // An order the step did not touch was at rest before it: one look is enough when it still is.
      let seen = order === touched ? await settle(real, order) : await observe(real, order);
      if (order !== touched && !(atRest(seen) && seen.order.status === order.status))
        seen = await settle(real, order, 5_000);
      await checkOrder(real, order, seen);
    }),
  );
  await checkGlobal(real, model);
  for (const [sub, state] of seen) await checkSubscription(real, sub, state);
}

function atRest(o: Observation): boolean {
  const db = o.order.status;
  return (
    !o.workflowTaskPending &&
    o.pendingActivities.length === 0 &&
    o.searchAttribute === db &&
    (!o.running || o.progress === db)
  );
}

/** At the end of a run: every email the outbox sent reached the SMTP sink exactly once. */
export async function checkMail(real: Real, model: Model): Promise<void> {
  const { db } = real.stack.database;
  const ids = allOrders(model).map((o) => o.id);
  if (ids.length === 0) return;
  const rows = await eventually(async () => {
    const all = await db
      .selectFrom('email_outbox')
      .select(['kind', 'order_id', 'message_id', 'status'])
      .where('order_id', 'in', ids)
      .execute();
    return all.every((r) => r.status === 'sent') ? all : undefined;
  }, 15_000).catch(() => violation('emails are delivered', 'outbox rows still pending after 15 s'));
  const messages = await eventually(async () => {
    const mail = await real.stack.mail();
    const found = new Set(mail.map((m) => m.messageId?.replace(/^<|>$/g, '')));
    return rows.every((r) => found.has(r.message_id.replace(/^<|>$/g, ''))) ? mail : undefined;
  }, 10_000).catch(() => violation('emails are delivered', 'a sent outbox row never reached the SMTP sink'));
  const counts = new Map<string, number>();
  for (const m of messages) {
    const id = m.messageId?.replace(/^<|>$/g, '') ?? m.file;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  for (const row of rows) {
    const n = counts.get(row.message_id.replace(/^<|>$/g, '')) ?? 0;
    if (n !== 1)
      violation(
        'one email per order, kind and event',
        `${row.kind} of order ${row.order_id} reached the sink ${n} times`,
      );
  }
}

/**
 * One subscription at rest (test/model/README.md "Subscriptions"): its cycles against their
 * orders, its calendar, its status and what a cancellation at once gave back, its mails.
 */
export async function checkSubscription(
  real: Real,
  sub: ModelSubscription,
  state: { row: { status: string; current_period_end: string; cancel_reason: string | null }; cycles: CycleRow[] },
): Promise<void> {
  const who = sub.label;
  const { row, cycles } = state;
  if (row.status !== sub.status)
    violation('subscription follows the model', `${who}: ${row.status}, model ${sub.status}`);
  // One cycle per sequence, 1, 2, 3, … (never a period charged twice).
  if (!cycles.every((c, i) => c.sequence === i + 1))
    violation('one cycle per sequence', `${who}: sequences [${cycles.map((c) => c.sequence)}]`);
  const periodDays = real.fx.subscription.periodDays;
  let previousPaid: CycleRow | undefined;
  for (const cycle of cycles) {
    const where = `${who} cycle ${cycle.sequence}`;
    const order = sub.cycles.get(cycle.sequence);
    if (!order || order.id !== cycle.order_id || cycle.order_status === null)
      violation('every cycle has its order', `${where}: order ${cycle.order_id} (${cycle.order_status})`);
    if (cycle.end_date !== addDays(cycle.start_date, periodDays))
      violation('a cycle lasts its period', `${where}: ${cycle.start_date} – ${cycle.end_date}`);
    const creditedNow = sub.cancelledNow?.sequence === cycle.sequence;
    const fits: Record<CycleRow['status'], boolean> = {
      paid:
        order.status === 'completed' ||
        order.status === 'invoiced' ||
        (creditedNow && order.status === 'cancelled' && order.cancellations.some((c) => c.creditNote)),
      pending: (order.status === 'payment_failed' || order.status === 'awaiting_payment') && sub.status !== 'active',
      unpaid: order.status === 'expired' && row.status === 'cancelled' && row.cancel_reason === 'unpaid',
      cancelled: order.status === 'cancelled' && row.status === 'cancelled',
    };
    if (!fits[cycle.status])
      violation(
        'a cycle is what its order is',
        `${where} is ${cycle.status}, its order ${order.label} ${order.status}`,
      );
    if (previousPaid) {
      // Periods follow each other without overlap; a pause may leave a gap (renewed from the day it resumed).
      const gap = cycle.start_date.localeCompare(previousPaid.end_date);
      if (gap < 0 || (gap > 0 && !sub.everPaused))
        violation(
          'periods follow each other',
          `${where} starts ${cycle.start_date}, the previous paid period ended ${previousPaid.end_date}`,
        );
    }
    if (cycle.status === 'paid') previousPaid = cycle;
  }
  const lastPaid = cycles.filter((c) => c.status === 'paid').at(-1);
  if (!lastPaid || row.current_period_end !== lastPaid.end_date)
    violation(
      'current_period_end is the end of the latest paid period',
      `${who}: current_period_end ${row.current_period_end}, latest paid ${lastPaid?.end_date}`,
    );
  if (sub.cancelledNow && sub.cancelledNow.sequence !== null) {
    const order = sub.cycles.get(sub.cancelledNow.sequence)!;
    const note = order.cancellations.at(-1);
    // The period's order stays (completed or invoiced): only its subscription line was credited.
    if (order.status === 'cancelled' || note?.credit !== sub.cancelledNow.credit)
      violation('cancelled at once credits the unused days', `${who}: ${describeOrder(order)}`);
  }

  // Mails: one outbox row per kind and sequence; the welcome once; the end told when it ended.
  const { db } = real.stack.database;
  const rows = await db
    .selectFrom('email_outbox')
    .select('kind')
    .where('tenant_id', '=', real.fx.tenantId)
    .where('kind', 'like', `subscription_%.${sub.id}`)
    .execute();
  const kinds = rows.map((r) => r.kind.replace(`.${sub.id}`, ''));
  const twice = kinds.filter((k, i) => kinds.indexOf(k) !== i);
  if (twice.length > 0) violation('one subscription mail per kind and sequence', `${who}: [${twice}] more than once`);
  const expect = (present: boolean, kind: string) => {
    if (kinds.includes(kind) !== present)
      violation(
        'subscription mails follow its life',
        `${who}: ${kind} ${present ? 'missing' : 'unexpected'} [${kinds}]`,
      );
  };
  expect(true, 'subscription_welcome_1');
  expect(row.status === 'cancelled', 'subscription_cancelled_1');
  const open = cycles.find((c) => c.status === 'pending');
  if (open && (row.status === 'past_due' || row.status === 'suspended'))
    expect(true, `subscription_payment_failed_${open.sequence * 100 + 1}`);
  if (open && row.status === 'suspended') expect(true, `subscription_suspended_${open.sequence}`);
}
