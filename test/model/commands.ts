import fc from 'fast-check';
import { sql } from 'kysely';
import {
  deliverSandboxWebhookNow,
  enqueueSandboxWebhook,
  sendSandboxWebhook,
} from '../../payments/sandbox-webhook-sender';
import { orderClient } from '../helpers/order-client';
import { type HttpAnswer, violation, withDeadline } from './http';
import { checkAfterStep } from './invariants';
import {
  applyCancellation,
  expectCancellation,
  expectedLeftToPay,
  isOpen,
  MAX_ORDERS,
  nothingLeftToPay,
  type Model,
  type ModelOrder,
  type ModelStatus,
  workflowClosed,
} from './model';
import { MAX_SUBSCRIPTIONS, subscriptionArbitraries } from './subscriptions';
import { compatArbitraries } from './compat';
import { api, createVoucher, type Real } from './world';

// The operations, each a fast-check AsyncCommand: `check` says when it applies (against the
// model), `run` performs it through the real API, asserts the answer the model expects, updates
// the model and then checks every invariant with the orders at rest.

type Target = 'A' | 'B' | 'FREE' | 'LUNCH' | 'FREE_ITEM';
export interface LineSpec {
  target: Target;
  participants: number;
  quantity: number;
  lunch: boolean;
}
export type Notes = { mark?: string; internal?: string; external?: string };

// ---------------------------------------------------------------------------------------------
// helpers

function expectStatus(answer: HttpAnswer, status: number, what: string, code?: string): void {
  if (answer.status !== status || (code !== undefined && answer.body?.code !== code)) {
    violation(
      'answers follow the model',
      `${what}: expected ${status}${code ? ` ${code}` : ''}, got ${answer.status}` +
        ` ${JSON.stringify(answer.body)?.slice(0, 400)}`,
    );
  }
}

function buildLines(real: Real, model: Model, specs: LineSpec[], free: boolean) {
  const { occurrences: occ, products } = real.fx;
  const seats = new Map<string, number>();
  const lines = specs.map((spec) => {
    let target = spec.target;
    if (free) target = target === 'LUNCH' ? 'FREE_ITEM' : target === 'A' || target === 'B' ? 'FREE' : target;
    if (target === 'LUNCH' || target === 'FREE_ITEM') {
      return { product_id: target === 'LUNCH' ? products.lunch : products.freeItem, quantity: spec.quantity };
    }
    const occurrenceId = occ[target];
    const units = spec.participants > 0 ? spec.participants : spec.quantity;
    seats.set(occurrenceId, (seats.get(occurrenceId) ?? 0) + units);
    if (spec.participants === 0) return { occurrence_id: occurrenceId, quantity: spec.quantity };
    return {
      occurrence_id: occurrenceId,
      participants: Array.from({ length: spec.participants }, () => {
        model.seq += 1;
        return {
          firstname: `P${model.seq}`,
          lastname: 'Model',
          email: `p${model.seq}-${real.fx.runId}@example.com`,
          ...(spec.lunch && !free ? { products: [{ id: products.lunch }] } : {}),
        };
      }),
    };
  });
  return { lines, seats };
}

/** A value voucher's value in the order's currency (generated in NOK). */
function voucherValue(real: Real, currency: string, nok: number): number {
  return currency === 'eur' ? Math.max(1, Math.round(nok * Number(real.fx.eurRate))) : nok;
}

/** Seats left per occurrence, counting `own` (the order's own seats, when it is being changed) as free. */
async function seatsFit(
  real: Real,
  wanted: Map<string, number>,
  own: Map<string, number> = new Map(),
): Promise<boolean> {
  const rows = await real.stack.database.db
    .selectFrom('occurrences')
    .select(['id', 'capacity', 'seats_taken'])
    .where('tenant_id', '=', real.fx.tenantId)
    .execute();
  return [...wanted].every(([id, n]) => {
    const row = rows.find((r) => r.id === id);
    return row !== undefined && row.capacity - row.seats_taken + (own.get(id) ?? 0) >= n;
  });
}

async function ownSeats(real: Real, order: ModelOrder): Promise<Map<string, number>> {
  const rows = await real.stack.database.db
    .selectFrom('reservations')
    .select(['occurrence_id', 'quantity'])
    .where('order_id', '=', order.id)
    .where('status', 'in', ['held', 'booked'])
    .execute();
  const seats = new Map<string, number>();
  for (const r of rows) if (r.occurrence_id) seats.set(r.occurrence_id, (seats.get(r.occurrence_id) ?? 0) + r.quantity);
  return seats;
}

/** Reads lines and participants back from the API after the order was placed or changed. */
async function refreshContents(real: Real, order: ModelOrder): Promise<any> {
  const answer = await api(real, 'GET', `/v1/orders/${order.id}`);
  expectStatus(answer, 200, `GET ${order.label}`);
  const body = answer.body;
  order.lines = body.lines.map((l: any) => ({
    participantIndex: l.participant_index,
    occurrenceId: l.occurrence_id,
    quantity: l.quantity,
    inclVat: l.incl_vat,
    description: l.description,
  }));
  order.participants = body.participants.length;
  order.total = body.totals.incl_vat;
  return body;
}

function newSession(order: ModelOrder, session: { id: string; redirectUrl: string } | null): void {
  if (order.session && order.session.id !== session?.id) order.closedSessions.push(order.session);
  order.session = session;
}

async function expectPageClosed(url: string, what: string): Promise<void> {
  const page = await withDeadline(fetch(url, { signal: AbortSignal.timeout(10_000) }), `GET ${what}`);
  await page.text();
  if (page.status !== 410)
    violation('a closed session takes no payment', `${what} answered ${page.status}, expected 410`);
}

/** Common frame: pick the order among those the command applies to; trace; check everything after. */
abstract class OrderCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  abstract name(): string;
  abstract applies(order: ModelOrder, model: Readonly<Model>): boolean;
  abstract act(model: Model, real: Real, order: ModelOrder): Promise<void>;

  /** The order is named by its place in the run (o0, o1, …), so removing a later step never retargets this one. */
  protected target(model: Readonly<Model>): ModelOrder | undefined {
    const order = model.orders[this.pick];
    return order && this.applies(order, model) ? order : undefined;
  }
  check(model: Readonly<Model>): boolean {
    return this.target(model) !== undefined;
  }
  async run(model: Model, real: Real): Promise<void> {
    const order = this.target(model)!;
    real.trace.push(`${this.toString()}  [${order.label} was ${order.status}]`);
    await this.act(model, real, order);
    await checkAfterStep(real, model, order);
  }
  toString(): string {
    return `${this.name()} on o${this.pick}`;
  }
}

// ---------------------------------------------------------------------------------------------
// create

export interface CreateSpec {
  method: 'card' | 'invoice' | 'free' | 'prepaid';
  lines: LineSpec[];
  currency: 'nok' | 'eur';
  campaign: 'SPRING' | 'FIXED' | null;
  voucher: 'PCT20' | 'value' | null;
  voucherValue: number;
  notes: Notes | null;
  shortWindow: boolean;
  /** One seat of the product that asks for approval is added: the order waits for an operator. */
  held: boolean;
}

function describeLines(lines: LineSpec[]): string {
  return lines
    .map((l) =>
      l.target === 'LUNCH' || l.target === 'FREE_ITEM'
        ? `${l.target}×${l.quantity}`
        : `${l.target}:${l.participants > 0 ? `${l.participants}p${l.lunch ? '+lunch' : ''}` : `×${l.quantity}`}`,
    )
    .join(' ');
}

/** Free orders and short-window ones (expired before anyone could decide) are never held. */
const isHeld = (s: CreateSpec) => s.held && s.method !== 'free' && !(s.shortWindow && s.method === 'card');

function prepaymentOf(amount: number, currency: string, transactionCode: string) {
  return { amount, currency, method: 'card', transaction_code: transactionCode, provider: 'elsewhere' };
}

/**
 * What a prepaid order must have been paid: a prepayment of 1 is refused as a mismatch (422,
 * nothing held, nothing in the ledger) naming the total, as an integrator would find out.
 */
async function prepaidTotal(real: Real, request: Record<string, unknown>): Promise<number> {
  const probe = { ...request, prepayment: prepaymentOf(1, String(request.currency ?? 'nok'), 'probe') };
  const answer = await api(real, 'POST', '/v1/orders', { body: probe });
  const errors: { code: string; expected?: number }[] = answer.body?.errors ?? [];
  const expected = errors[0]?.expected;
  if (
    answer.status !== 422 ||
    errors.length !== 1 ||
    errors[0]?.code !== 'prepayment_amount_mismatch' ||
    expected === undefined
  ) {
    violation(
      'answers follow the model',
      `create prepaid: a prepayment of 1 answered ${answer.status} ${JSON.stringify(answer.body).slice(0, 400)}`,
    );
  }
  real.trace.push(`  → 422 prepayment_amount_mismatch, expected ${expected}`);
  return expected ?? 0;
}

export class CreateOrder implements fc.AsyncCommand<Model, Real> {
  constructor(readonly spec: CreateSpec) {}
  check(model: Readonly<Model>): boolean {
    return model.orders.length < MAX_ORDERS;
  }
  toString(): string {
    const s = this.spec;
    const voucher = s.voucher === 'value' ? `value:${s.voucherValue}` : s.voucher;
    const parts = [
      `${s.method}${s.shortWindow && s.method === 'card' ? ' short-window' : ''}${isHeld(s) ? ' held' : ''}`,
      s.currency,
      `[${describeLines(s.lines)}]`,
      s.campaign ? `campaign=${s.campaign}` : '',
      voucher ? `voucher=${voucher}` : '',
      s.notes ? 'notes' : '',
    ];
    return `create(${parts.filter(Boolean).join(' ')})`;
  }
  async run(model: Model, real: Real): Promise<void> {
    const s = this.spec;
    const free = s.method === 'free';
    const shortWindow = s.shortWindow && s.method === 'card';
    const { lines, seats } = buildLines(real, model, s.lines, free);
    const held = isHeld(s);
    if (held) {
      const diving = real.fx.occurrences.HELD;
      (lines as unknown[]).push({ occurrence_id: diving, quantity: 1 });
      seats.set(diving, (seats.get(diving) ?? 0) + 1);
    }
    model.seq += 1;
    const email = `booker${model.seq}-${real.fx.runId}@example.com`;
    const externalId = `ext-${real.fx.runId}-${model.seq}`;
    let voucherCode: string | undefined;
    if (s.voucher) {
      const kind = s.voucher === 'value' ? 'value' : 'percent';
      voucherCode = await createVoucher(real, model, kind, s.currency, voucherValue(real, s.currency, s.voucherValue));
    }
    const request = {
      payment_method: s.method,
      ...(s.currency !== 'nok' ? { currency: s.currency } : {}),
      ...(s.campaign ? { campaign_code: s.campaign } : {}),
      ...(voucherCode ? { voucher_code: voucherCode } : {}),
      ...(s.notes ? { notes: s.notes } : {}),
      external_id: externalId,
      booker: { name: 'Model Booker', email },
      lines,
    };
    const expectedErrors: string[] = [];
    if (s.campaign === 'FIXED' && s.currency !== 'nok') expectedErrors.push('campaign_code_invalid');
    if (!(await seatsFit(real, seats))) expectedErrors.push('occurrence_full');
    real.trace.push(`${this.toString()}`);
    if (s.method === 'prepaid') {
      const amount = expectedErrors.length > 0 ? 1 : await prepaidTotal(real, request);
      Object.assign(request, { prepayment: prepaymentOf(amount, s.currency, `${externalId}-psp`) });
    }
    const answer = await api(real, 'POST', '/v1/orders', {
      body: request,
      ...(shortWindow ? { baseUrl: real.shortApi.baseUrl } : {}),
    });
    if (expectedErrors.length > 0) {
      const codes = (answer.body?.errors ?? []).map((e: { code: string }) => e.code);
      if (answer.status !== 422 || !expectedErrors.every((c) => codes.includes(c))) {
        violation(
          'answers follow the model',
          `create: expected 422 [${expectedErrors}], got ${answer.status}` +
            ` ${JSON.stringify(answer.body).slice(0, 400)}`,
        );
      }
      real.trace.push(`  → 422 [${codes}]`);
      await checkAfterStep(real, model, null);
      return;
    }
    expectStatus(answer, 201, 'create');
    const placed = answer.body;
    const total: number = placed.totals.incl_vat;
    const method = total === 0 ? 'free' : s.method;
    const status: ModelStatus = held
      ? 'awaiting_approval'
      : method === 'free' || method === 'prepaid'
        ? 'completed'
        : method === 'invoice'
          ? 'invoiced'
          : shortWindow
            ? 'expired'
            : 'awaiting_payment';
    const order: ModelOrder = {
      label: `o${model.orders.length}`,
      id: placed.id,
      number: placed.number,
      workflowId: `order-${real.fx.tenantSlug}-${placed.number}`,
      method,
      status,
      total,
      currency: s.currency,
      externalId,
      shortWindow,
      lines: [],
      participants: 0,
      cancelled: new Set(),
      session: null,
      closedSessions: [],
      captured: 0,
      cardRefunded: 0,
      prepaid: method === 'prepaid' ? total : 0,
      invoicePaid: 0,
      invoicePayments: [],
      manualRefunded: 0,
      // An expired order credits its whole total: it owes nothing.
      credited: shortWindow ? total : 0,
      cancellations: [],
      document: held ? null : method === 'invoice' ? 'invoice' : method === 'prepaid' ? 'receipt' : null,
      invoiceStatus: method === 'invoice' && !held ? 'open' : null,
      notes: { ...(s.notes ?? {}) } as Record<string, string>,
      // A card order still unpaid a minute after it was taken (a third of a shorter window) gets
      // `order_received`: always with the short window, maybe in a long run.
      emails: new Set(
        held
          ? []
          : method === 'free' || method === 'prepaid'
            ? ['receipt']
            : method === 'invoice'
              ? ['invoice']
              : shortWindow
                ? ['expired', 'order_received']
                : [],
      ),
      optionalEmails: new Set(method === 'card' && !shortWindow && !held ? ['order_received'] : []),
      latePaid: false,
      webhooks: false,
      campaignCode: s.campaign,
    };
    if (method === 'card' && !held) {
      if (!placed.payment?.redirect_url || !placed.payment?.session_id) {
        violation(
          'answers follow the model',
          `create: a card order without a payment page: ${JSON.stringify(placed.payment)}`,
        );
      }
      order.session = { id: placed.payment.session_id, redirectUrl: placed.payment.redirect_url };
      if (shortWindow) newSession(order, null);
    }
    if (s.currency === 'eur' && placed.currency !== 'eur')
      violation('answers follow the model', `create: currency ${placed.currency}`);
    model.orders.push(order);
    real.trace.push(`  → 201 ${order.label} #${order.number} total ${total} ${s.currency}`);
    await refreshContents(real, order);
    await checkAfterStep(real, model, order);
  }
}

// ---------------------------------------------------------------------------------------------
// pay on the sandbox page

export type PageAction = 'pay' | 'decline' | 'decline-card' | 'mismatch';

export class PayOnPage extends OrderCommand {
  constructor(
    pick: number,
    readonly action: PageAction,
    readonly shortBy: number,
  ) {
    super(pick);
  }
  name() {
    return this.action === 'mismatch' ? `pay(provider captures ${this.shortBy} less)` : `page(${this.action})`;
  }
  applies(o: ModelOrder) {
    return o.method === 'card' && isOpen(o) && o.session !== null && !o.shortWindow;
  }
  async act(_model: Model, real: Real, order: ModelOrder) {
    const session = order.session!;
    const shortBy = Math.min(this.shortBy, order.total - 1);
    if (this.action === 'mismatch') {
      // The provider captures another amount than the order's total.
      await real.stack.database.db
        .updateTable('sandbox_psp_sessions')
        .set({ amount: order.total - shortBy })
        .where('id', '=', session.id)
        .where('status', 'in', ['open', 'declined'])
        .execute();
    }
    const client = orderClient(real.stack, real.fx.clientKey);
    const action = this.action === 'decline' ? 'decline' : 'pay';
    const card = this.action === 'decline-card' ? '4000000000000002' : '4242424242424242';
    const answer = await withDeadline(
      client.actOnPaymentPage(session.redirectUrl, action, card),
      `payment page of ${order.label}`,
    );
    if (answer.status !== 303) violation('answers follow the model', `payment page answered ${answer.status}`);
    order.webhooks = true;
    if (this.action === 'pay') {
      order.status = 'completed';
      order.captured += order.total;
      order.document = 'receipt';
      order.invoiceStatus = null;
      order.emails.add('receipt');
      order.session = null;
    } else if (this.action === 'mismatch') {
      order.status = 'needs_attention';
      order.captured += order.total - shortBy;
      order.session = null;
    } else {
      order.status = 'payment_failed';
      order.emails.add('payment_failed');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// the provider sends a recorded webhook again

export class RedeliverWebhook extends OrderCommand {
  constructor(
    pick: number,
    readonly which: number,
  ) {
    super(pick);
  }
  name() {
    return `redeliver webhook #${this.which}`;
  }
  applies(o: ModelOrder) {
    return o.webhooks;
  }
  async act(_model: Model, real: Real, order: ModelOrder) {
    const { db } = real.stack.database;
    const rows = await db
      .selectFrom('sandbox_webhook_deliveries as d')
      .innerJoin('sandbox_psp_sessions as s', 's.id', 'd.session_id')
      .select(['d.session_id', 'd.event_id', 'd.payload'])
      .where('s.reference', '=', order.id)
      .orderBy('d.created_at')
      .execute();
    const events = [...new Map(rows.map((r) => [r.event_id, r])).values()];
    if (events.length === 0) violation('answers follow the model', `${order.label}: no webhook was recorded`);
    const event = events[this.which % events.length]!;
    const type = (JSON.parse(event.payload) as { type: string }).type;
    const outcome = type.replace('payment.', '') as 'succeeded' | 'failed' | 'cancelled';
    const id = await enqueueSandboxWebhook(db, {
      sessionId: event.session_id,
      outcome,
      attemptId: event.event_id.replace(/^evt_/, ''),
    });
    const delivered = await withDeadline(deliverSandboxWebhookNow(db, id), 'webhook redelivery');
    if (!delivered)
      violation('webhooks are accepted', `${order.label}: the redelivery of ${event.event_id} was not accepted`);
    real.trace.push(`  → ${event.event_id} (${type}) delivered again`);
  }
}

// ---------------------------------------------------------------------------------------------
// change (PATCH)

export type ChangeKind = 'notes' | 'campaign' | 'voucher' | 'lines' | 'add_lines' | 'confirm';
export interface ChangeSpec {
  kind: ChangeKind;
  notes: Notes | null;
  campaign: 'SPRING' | 'FIXED' | 'BOGUS' | null;
  voucher: 'PCT20' | 'value' | null;
  voucherValue: number;
  lines: LineSpec[];
  chunked: boolean;
}

export class ChangeOrder extends OrderCommand {
  constructor(
    pick: number,
    readonly spec: ChangeSpec,
  ) {
    super(pick);
  }
  name() {
    const s = this.spec;
    const what =
      s.kind === 'notes'
        ? `notes ${JSON.stringify(s.notes ?? { mark: 'changed' })}`
        : s.kind === 'campaign'
          ? `campaign_code=${s.campaign}`
          : s.kind === 'voucher'
            ? `voucher_code=${s.voucher === 'value' ? `value:${s.voucherValue}` : s.voucher}`
            : s.kind === 'confirm'
              ? 'preliminary=false'
              : `${s.kind} [${describeLines(s.lines)}]`;
    return `patch(${what}${s.kind !== 'notes' && s.notes ? ' + notes' : ''}${s.chunked ? ', chunked' : ''})`;
  }
  applies() {
    return true;
  }
  async act(model: Model, real: Real, order: ModelOrder) {
    const s = this.spec;
    const notes = s.kind === 'notes' ? (s.notes ?? { mark: 'changed' }) : s.notes;
    const body: Record<string, unknown> = notes ? { notes } : {};
    let seats = new Map<string, number>();
    if (s.kind === 'campaign') body.campaign_code = s.campaign;
    if (s.kind === 'voucher') {
      const value = voucherValue(real, order.currency, s.voucherValue);
      body.voucher_code = s.voucher
        ? await createVoucher(real, model, s.voucher === 'value' ? 'value' : 'percent', order.currency, value)
        : null;
    }
    if (s.kind === 'lines' || s.kind === 'add_lines') {
      const built = buildLines(real, model, s.lines, false);
      body[s.kind] = built.lines;
      seats = built.seats;
    }
    if (s.kind === 'confirm') body.preliminary = false;
    const content = s.kind !== 'notes';
    const own = await ownSeats(real, order);
    let wanted = seats;
    if (s.kind === 'add_lines') {
      wanted = new Map(own);
      for (const [id, n] of seats) wanted.set(id, (wanted.get(id) ?? 0) + n);
    }
    const linesChange = s.kind === 'lines' || s.kind === 'add_lines';
    const fits = !linesChange || (await seatsFit(real, wanted, own));
    const answer = await api(real, 'PATCH', `/v1/orders/${order.id}`, { body, chunked: s.chunked });
    real.trace.push(
      `  → ${answer.status} ${answer.status >= 400 ? answer.body?.code : `total ${answer.body?.totals?.incl_vat}`}`,
    );
    if (workflowClosed(order) || (content && !(order.method === 'card' && isOpen(order) && !order.shortWindow))) {
      expectStatus(answer, 409, 'patch', 'order_not_changeable');
      return;
    }
    if (!content) {
      expectStatus(answer, 200, 'patch notes');
      Object.assign(order.notes, notes);
      return;
    }
    const invalid =
      s.kind === 'campaign' && (s.campaign === 'BOGUS' || (s.campaign === 'FIXED' && order.currency !== 'nok'));
    const full = !fits;
    if (invalid || full) {
      expectStatus(answer, 422, 'patch', invalid ? 'campaign_code_invalid' : undefined);
      if (full && !(answer.body?.errors ?? []).some((e: { code: string }) => e.code === 'occurrence_full')) {
        violation('answers follow the model', `patch: expected occurrence_full, got ${JSON.stringify(answer.body)}`);
      }
      // The old session was closed before the change was tried; a new one is open for the same amount.
      const current = await refreshContents(real, order);
      newSession(
        order,
        current.payment?.session_id
          ? { id: current.payment.session_id, redirectUrl: current.payment.redirect_url }
          : null,
      );
      return;
    }
    expectStatus(answer, 200, 'patch');
    if (notes) Object.assign(order.notes, notes);
    if (s.kind === 'campaign') order.campaignCode = s.campaign;
    if (s.kind === 'confirm') {
      newSession(order, null);
      order.method = 'invoice';
      order.status = 'invoiced';
      order.document = 'invoice';
      order.invoiceStatus = 'open';
      order.emails.add('invoice');
      return;
    }
    const changed = answer.body;
    await refreshContents(real, order);
    if (changed.totals.incl_vat !== order.total)
      violation('answers follow the model', `patch answered total ${changed.totals.incl_vat}`);
    if (order.total === 0) {
      // Nothing left to pay: the order completes like a free one.
      newSession(order, null);
      order.status = 'completed';
      order.emails.add('receipt');
      return;
    }
    if (!changed.payment?.session_id)
      violation('answers follow the model', 'patch: no new payment session for the new amount');
    const previous = order.session;
    newSession(order, { id: changed.payment.session_id, redirectUrl: changed.payment.redirect_url });
    if (previous) await expectPageClosed(previous.redirectUrl, `the old payment page of ${order.label}`);
    const session = await real.stack.database.db
      .selectFrom('sandbox_psp_sessions')
      .select('amount')
      .where('id', '=', changed.payment.session_id)
      .executeTakeFirstOrThrow();
    if (session.amount !== order.total) {
      violation(
        'a payment session asks for the order total',
        `${order.label}: session ${session.amount}, total ${order.total}`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// a new payment attempt

export class NewPaymentAttempt extends OrderCommand {
  constructor(
    pick: number,
    readonly withBody: boolean,
    readonly chunked: boolean,
  ) {
    super(pick);
  }
  name() {
    return `new payment attempt${this.withBody ? ` ({}${this.chunked ? ', chunked' : ''})` : ''}`;
  }
  applies() {
    return true;
  }
  async act(_model: Model, real: Real, order: ModelOrder) {
    const answer = await api(
      real,
      'POST',
      `/v1/orders/${order.id}/payments`,
      this.withBody ? { body: {}, chunked: this.chunked } : {},
    );
    real.trace.push(`  → ${answer.status} ${answer.body?.code ?? answer.body?.session_id ?? ''}`);
    if (nothingLeftToPay(order)) {
      expectStatus(answer, 200, 'new payment attempt');
      return;
    }
    if (!(order.method === 'card' && isOpen(order)) || order.shortWindow) {
      expectStatus(answer, 409, 'new payment attempt', 'order_not_payable');
      return;
    }
    expectStatus(answer, 201, 'new payment attempt');
    if (answer.body.amount !== expectedLeftToPay(order)) {
      violation(
        'a payment session asks for what is left to pay',
        `${order.label}: attempt for ${answer.body.amount},` + ` left to pay ${expectedLeftToPay(order)}`,
      );
    }
    const previous = order.session;
    newSession(order, { id: answer.body.session_id, redirectUrl: answer.body.redirect_url });
    if (previous) await expectPageClosed(previous.redirectUrl, `the previous payment page of ${order.label}`);
  }
}

// ---------------------------------------------------------------------------------------------
// cancel

export type CancelMode = 'client' | 'client-no-body' | 'operator' | 'delete';
export interface CancelSpec {
  mode: CancelMode;
  /**
   * Which participants (resolved against the order when the step runs, so that most partial
   * cancellations name real participants): none = the whole order; some = the first `take`
   * active ones, leaving at least one; remaining = every active one; repeated = one index twice;
   * unknown = an index that is not (or no longer) an active participant.
   */
  participants: 'none' | 'some' | 'remaining' | 'repeated' | 'unknown';
  take: number;
  operatorFee: number;
  chunked: boolean;
}

function resolveParticipants(order: ModelOrder, s: CancelSpec): number[] | null {
  const active = [...Array(order.participants).keys()].filter((i) => !order.cancelled.has(i));
  switch (s.participants) {
    case 'none':
      return null;
    case 'some':
      return active.length === 0 ? [0] : active.slice(0, Math.max(1, Math.min(s.take, active.length - 1)));
    case 'remaining':
      return active.length === 0 ? [0] : active;
    case 'repeated':
      return [active[0] ?? 0, active[0] ?? 0];
    case 'unknown':
      return [[...order.cancelled][0] ?? order.participants];
  }
}

export class CancelOrder extends OrderCommand {
  constructor(
    pick: number,
    readonly spec: CancelSpec,
  ) {
    super(pick);
  }
  name() {
    const s = this.spec;
    const who = s.mode === 'operator' ? `operator override fee=${s.operatorFee}%` : s.mode;
    const partial =
      s.participants !== 'none' && s.mode !== 'delete' && s.mode !== 'client-no-body'
        ? ` participants=${s.participants}${s.participants === 'some' ? `(${s.take})` : ''}`
        : '';
    const chunked = s.chunked && s.mode !== 'delete' && s.mode !== 'client-no-body' ? ', chunked' : '';
    return `cancel(${who}${partial}${chunked})`;
  }
  applies() {
    return true;
  }
  async act(_model: Model, real: Real, order: ModelOrder) {
    const s = this.spec;
    const operator = s.mode === 'operator';
    const indexes = s.mode === 'delete' || s.mode === 'client-no-body' ? null : resolveParticipants(order, s);
    const expected = expectCancellation(order, {
      by: operator ? 'operator' : 'client',
      indexes,
      feePercent: operator ? s.operatorFee : real.fx.feePercent,
    });
    let answer: HttpAnswer;
    if (s.mode === 'delete') {
      answer = await api(real, 'DELETE', `/v1/orders/${order.id}`);
    } else if (s.mode === 'client-no-body') {
      answer = await api(real, 'POST', `/v1/orders/${order.id}/cancel`);
    } else {
      const body = {
        reason: operator ? 'goodwill' : 'cannot attend',
        ...(indexes ? { participant_indexes: indexes } : {}),
        ...(operator ? { override: true, fee_percent: s.operatorFee } : {}),
      };
      answer = await api(real, 'POST', `/v1/orders/${order.id}/cancel`, {
        body,
        chunked: s.chunked,
        ...(operator ? { key: real.fx.opsKey } : {}),
      });
    }
    real.trace.push(
      `  → ${indexes ? `participant_indexes [${indexes}]: ` : ''}${answer.status} ${JSON.stringify(answer.body)}`,
    );
    if (!expected.ok) {
      expectStatus(answer, expected.status, 'cancel', expected.code);
      return;
    }
    const c = expected.cancellation;
    if (s.mode === 'delete') {
      expectStatus(answer, 204, 'delete');
    } else {
      expectStatus(answer, 200, 'cancel');
      const got = answer.body;
      const want = {
        status: expected.full ? 'cancelled' : order.status,
        full: expected.full,
        seats_released: expected.seats,
        fee: c.fee,
        credit_amount: c.credit,
        refund_amount: c.refund,
        refund_via: c.via,
      };
      const actual = {
        status: got.status,
        full: got.full,
        seats_released: got.seats_released,
        fee: got.fee,
        credit_amount: got.credit_amount,
        refund_amount: got.refund_amount,
        refund_via: got.refund_via,
      };
      if (JSON.stringify(actual) !== JSON.stringify(want) || (got.credit_note_number !== null) !== c.creditNote) {
        violation(
          'a cancellation follows the documented rules',
          `${order.label}: answered ${JSON.stringify(got)},` +
            ` expected ${JSON.stringify({ ...want, credit_note: c.creditNote })}` +
            ` (part ${c.part}, fee ${c.fee} = ${c.feePercent}%)`,
        );
      }
    }
    applyCancellation(order, expected);
  }
}

// ---------------------------------------------------------------------------------------------
// invoice payments (mark paid)

export type InvoicePaymentKind = 'partial' | 'full' | 'full-with-reference' | 'repeat';
export type InvoiceRoute = 'external-id' | 'id' | 'number';

export class MarkInvoicePaid extends OrderCommand {
  constructor(
    pick: number,
    readonly kind: InvoicePaymentKind,
    readonly percent: number,
    readonly route: InvoiceRoute,
    readonly chunked: boolean,
  ) {
    super(pick);
  }
  name() {
    const share = this.kind === 'partial' ? ` ${this.percent}%` : '';
    return `mark paid by ${this.route}(${this.kind}${share}${this.chunked ? ', chunked' : ''})`;
  }
  applies(o: ModelOrder) {
    return o.document === 'invoice';
  }
  async act(model: Model, real: Real, order: ModelOrder) {
    const { db } = real.stack.database;
    const invoice = await db
      .selectFrom('invoices')
      .select(['id', 'document_number'])
      .where('order_id', '=', order.id)
      .where('kind', '=', 'invoice')
      .executeTakeFirstOrThrow();
    const left = expectedLeftToPay(order);
    let kind = this.kind;
    if (kind === 'repeat' && order.invoicePayments.length === 0) kind = 'partial';
    if (kind === 'partial' && left <= 1) kind = 'full';
    let body: { amount?: number; reference?: string } | undefined;
    let payment: { reference: string; amount: number };
    model.seq += 1;
    if (kind === 'partial') {
      payment = {
        reference: `bank-${model.seq}`,
        amount: Math.min(left - 1, Math.max(1, Math.floor((left * this.percent) / 100))),
      };
      body = { ...payment };
    } else if (kind === 'repeat') {
      payment = order.invoicePayments[this.percent % order.invoicePayments.length]!;
      body = { ...payment };
    } else if (kind === 'full-with-reference') {
      // Without an amount the payment is everything left on the invoice.
      payment = { reference: `bank-${model.seq}`, amount: left };
      body = { reference: payment.reference };
    } else {
      payment = { reference: `full-${invoice.id}`, amount: left };
    }
    // An order placed without an external id (a renewal, a compatibility route's) is named otherwise.
    const route = this.route === 'external-id' && !order.externalId ? 'id' : this.route;
    const path =
      route === 'id'
        ? `/v1/invoices/${invoice.id}/paid`
        : route === 'number'
          ? `/v1/invoices/by-number/${encodeURIComponent(invoice.document_number)}/paid`
          : `/v1/invoices/by-external-id/${encodeURIComponent(order.externalId)}/paid`;
    const answer = await api(real, 'PUT', path, body ? { body, chunked: this.chunked } : {});
    real.trace.push(
      `  → ${answer.status} (${payment.reference}: ${payment.amount}${kind !== this.kind ? `, as ${kind}` : ''})`,
    );
    if (order.invoiceStatus === 'credited' && route !== 'external-id') {
      expectStatus(answer, 409, 'mark paid', 'invoice_not_payable');
      return;
    }
    expectStatus(answer, 204, 'mark paid');
    if (order.invoiceStatus !== 'open') return;
    if (order.invoicePayments.some((p) => p.reference === payment.reference)) return;
    order.invoicePayments.push(payment);
    order.invoicePaid += payment.amount;
    if (expectedLeftToPay(order) === 0) {
      order.status = 'completed';
      order.invoiceStatus = 'paid';
      order.emails.add('receipt');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// an operator's approval decision (POST …/approval)

export class DecideApproval extends OrderCommand {
  constructor(
    pick: number,
    readonly decision: 'approve' | 'reject',
  ) {
    super(pick);
  }
  name() {
    return `approval ${this.decision}`;
  }
  applies() {
    return true;
  }
  async act(_model: Model, real: Real, order: ModelOrder) {
    const answer = await api(real, 'POST', `/v1/orders/${order.id}/approval`, {
      body: { decision: this.decision, reason: 'model operator' },
      key: real.fx.opsKey,
    });
    real.trace.push(`  → ${answer.status} ${answer.body?.code ?? answer.body?.status ?? ''}`);
    if (order.status !== 'awaiting_approval') {
      expectStatus(answer, 409, 'approval', 'order_not_awaiting_approval');
      return;
    }
    expectStatus(answer, 200, 'approval');
    if (this.decision === 'reject') {
      // A rejection is a cancellation without fee, by an operator.
      const expected = expectCancellation(order, { by: 'operator', indexes: null, feePercent: 0 });
      if (!expected.ok) violation('answers follow the model', `${order.label}: a held order must be cancellable`);
      applyCancellation(order, expected as Extract<typeof expected, { ok: true }>);
      expectAnswerStatus(answer, 'cancelled', order);
      return;
    }
    approve(order);
    expectAnswerStatus(
      answer,
      order.method === 'card' ? 'awaiting_payment' : order.method === 'prepaid' ? 'paid' : 'reserved',
      order,
    );
    if (order.method === 'card') {
      const body = (await api(real, 'GET', `/v1/orders/${order.id}`)).body;
      if (!body.payment?.redirect_url || !body.payment?.session_id)
        violation('answers follow the model', `${order.label}: approved card order without a payment page`);
      newSession(order, { id: body.payment.session_id, redirectUrl: body.payment.redirect_url });
    }
  }
}

/** What an approval does to the model: the order goes on as it would have without the hold. */
function approve(order: ModelOrder): void {
  switch (order.method) {
    case 'card':
      order.status = 'awaiting_payment';
      order.emails.add('order_received');
      break;
    case 'invoice':
      order.status = 'invoiced';
      order.document = 'invoice';
      order.invoiceStatus = 'open';
      order.emails.add('invoice');
      break;
    default:
      order.status = 'completed';
      if (order.method === 'prepaid') order.document = 'receipt';
      order.emails.add('receipt');
  }
}

function expectAnswerStatus(answer: HttpAnswer, status: string, order: ModelOrder): void {
  if (answer.body?.status !== status)
    violation(
      'answers follow the model',
      `${order.label}: approval answered ${answer.body?.status}, expected ${status}`,
    );
}

// ---------------------------------------------------------------------------------------------
// a payment on the old session after the order expired

export class LatePayment extends OrderCommand {
  name() {
    return 'late payment after expiry';
  }
  applies(o: ModelOrder) {
    return o.shortWindow && o.status === 'expired' && !o.latePaid && o.closedSessions.length > 0;
  }
  async act(_model: Model, real: Real, order: ModelOrder) {
    const { db } = real.stack.database;
    const session = order.closedSessions[order.closedSessions.length - 1]!;
    // The customer cannot pay on the page any more…
    await expectPageClosed(session.redirectUrl, `the payment page of expired ${order.label}`);
    // …but the provider took the money anyway (a race at its end) and tells us late.
    const released = await db
      .selectFrom('reservations')
      .select(['occurrence_id', 'quantity'])
      .where('order_id', '=', order.id)
      .where('status', '=', 'released')
      .execute();
    const wanted = new Map<string, number>();
    for (const r of released)
      if (r.occurrence_id) wanted.set(r.occurrence_id, (wanted.get(r.occurrence_id) ?? 0) + r.quantity);
    const seatsStillFree = await seatsFit(real, wanted);
    await db
      .updateTable('sandbox_psp_sessions')
      .set({ status: 'paid', updated_at: sql`now()` })
      .where('id', '=', session.id)
      .execute();
    const delivered = await withDeadline(
      sendSandboxWebhook(db, session.id, 'succeeded', `${session.id}_late`),
      'late webhook',
    );
    if (!delivered) violation('webhooks are accepted', `${order.label}: the late payment's webhook was not accepted`);
    order.latePaid = true;
    order.webhooks = true;
    order.captured += order.total;
    if (real.fx.latePolicy === 'rebook' && seatsStillFree) {
      // Re-booking takes back the credit the expiry gave.
      order.credited -= order.total;
      order.status = 'completed';
      order.document = 'receipt';
      order.emails.add('receipt');
    } else {
      order.cardRefunded += order.total;
      order.emails.add('refund');
    }
    real.trace.push(
      `  → policy ${real.fx.latePolicy}, seats ${seatsStillFree ? 'still free' : 'gone'}: expect ${order.status}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// arbitraries

const lineSpec: fc.Arbitrary<LineSpec> = fc.record({
  target: fc.constantFrom<Target>('A', 'A', 'A', 'B', 'B', 'LUNCH', 'FREE', 'FREE_ITEM'),
  participants: fc.constantFrom(0, 1, 2, 2, 3),
  quantity: fc.integer({ min: 1, max: 2 }),
  lunch: fc.boolean(),
});
const notes: fc.Arbitrary<Notes> = fc
  .record(
    {
      mark: fc.constantFrom('Tennis', 'VIP', 'Late arrival'),
      internal: fc.constantFrom('call first', 'paid by HR'),
      external: fc.constantFrom('gate B', 'bring shoes'),
    },
    { requiredKeys: [] },
  )
  .filter((n) => Object.keys(n).length > 0);

export const createSpec: fc.Arbitrary<CreateSpec> = fc.record({
  method: fc.constantFrom<CreateSpec['method']>(
    'card',
    'card',
    'card',
    'card',
    'invoice',
    'invoice',
    'free',
    'prepaid',
  ),
  lines: fc.array(lineSpec, { minLength: 1, maxLength: 2 }),
  currency: fc.constantFrom<CreateSpec['currency']>('nok', 'nok', 'eur'),
  campaign: fc.constantFrom<CreateSpec['campaign']>(null, null, null, 'SPRING', 'FIXED'),
  voucher: fc.constantFrom<CreateSpec['voucher']>(null, null, 'PCT20', 'value'),
  voucherValue: fc.integer({ min: 1_000, max: 30_000 }),
  notes: fc.option(notes, { nil: null }),
  shortWindow: fc.constantFrom(false, false, false, false, false, true),
  held: fc.constantFrom(false, false, false, false, true),
});

const changeSpec: fc.Arbitrary<ChangeSpec> = fc.record({
  kind: fc.constantFrom<ChangeKind>('notes', 'notes', 'campaign', 'voucher', 'lines', 'add_lines', 'confirm'),
  notes: fc.option(notes, { nil: null }),
  campaign: fc.constantFrom<ChangeSpec['campaign']>('SPRING', 'FIXED', 'BOGUS', null),
  voucher: fc.constantFrom<ChangeSpec['voucher']>('PCT20', 'value', null),
  voucherValue: fc.integer({ min: 1_000, max: 60_000 }),
  lines: fc.array(lineSpec, { minLength: 1, maxLength: 2 }),
  chunked: fc.boolean(),
});

const cancelSpec: fc.Arbitrary<CancelSpec> = fc.record({
  mode: fc.constantFrom<CancelMode>('client', 'client', 'client', 'client-no-body', 'operator', 'operator', 'delete'),
  participants: fc.constantFrom<CancelSpec['participants']>(
    'none',
    'none',
    'some',
    'some',
    'some',
    'some',
    'remaining',
    'repeated',
    'unknown',
  ),
  take: fc.integer({ min: 1, max: 2 }),
  operatorFee: fc.constantFrom(0, 10, 12.5, 25),
  chunked: fc.boolean(),
});

const pick = fc.nat({ max: MAX_ORDERS - 1 });

/** Every command, weighted (an arbitrary listed twice is generated twice as often). */
// ---------------------------------------------------------------------------------------------
// participant attendance (PUT …/participants/{index}/attendance)

export type AttendanceValue = 'attended' | 'no_show' | null;

export class RecordAttendance extends OrderCommand {
  constructor(
    pick: number,
    readonly which: number,
    readonly value: AttendanceValue,
  ) {
    super(pick);
  }
  name() {
    return `attendance ${this.value} for participant #${this.which}`;
  }
  applies(o: ModelOrder) {
    // A parked order's seats are booked or not depending on where it stopped: nothing to predict.
    return o.status !== 'needs_attention';
  }
  async act(_model: Model, real: Real, order: ModelOrder) {
    // One index past the last sometimes: the order has no such participant.
    const index = this.which % (order.participants + 1);
    const path = `/v1/orders/${order.id}/participants/${index}/attendance`;
    const answer = await api(real, 'PUT', path, { body: { attendance: this.value } });
    real.trace.push(`  → ${answer.status} ${answer.body?.code ?? answer.body?.attendance ?? ''}`);
    if (index >= order.participants) {
      expectStatus(answer, 404, 'attendance', 'participant_not_found');
      return;
    }
    const booked = (order.status === 'completed' || order.status === 'invoiced') && !order.cancelled.has(index);
    if (!booked) {
      expectStatus(answer, 409, 'attendance', 'participant_not_booked');
      return;
    }
    expectStatus(answer, 200, 'attendance');
    const read = await api(real, 'GET', `/v1/orders/${order.id}`);
    const participant = read.body.participants?.find((p: { index: number }) => p.index === index);
    if (participant?.attendance !== this.value)
      violation(
        'answers follow the model',
        `${order.label}: participant ${index} reads attendance ${participant?.attendance}, set ${this.value}`,
      );
  }
}

export function commandArbitraries(only?: string[]): fc.Arbitrary<fc.AsyncCommand<Model, Real>>[] {
  const create = createSpec.map((s) => new CreateOrder(s));
  const cancel = fc.tuple(pick, cancelSpec).map(([p, s]) => new CancelOrder(p, s));
  const invoice = fc
    .tuple(
      pick,
      fc.constantFrom<InvoicePaymentKind>('partial', 'partial', 'full', 'full-with-reference', 'repeat'),
      fc.integer({ min: 1, max: 99 }),
      fc.constantFrom<InvoiceRoute>('external-id', 'external-id', 'id', 'number'),
      fc.boolean(),
    )
    .map(([p, k, n, r, c]) => new MarkInvoicePaid(p, k, n, r, c));
  const change = fc.tuple(pick, changeSpec).map(([p, s]) => new ChangeOrder(p, s));
  const pay = fc
    .tuple(
      pick,
      fc.constantFrom<PageAction>('pay', 'pay', 'pay', 'decline', 'decline-card', 'mismatch'),
      fc.integer({ min: 1, max: 500 }),
    )
    .map(([p, a, d]) => new PayOnPage(p, a, d));
  const all: [string, fc.Arbitrary<fc.AsyncCommand<Model, Real>>][] = [
    ['create', create],
    ['pay', pay],
    ['pay', pay],
    ['redeliver', fc.tuple(pick, fc.nat({ max: 7 })).map(([p, w]) => new RedeliverWebhook(p, w))],
    ['change', change],
    ['change', change],
    ['attempt', fc.tuple(pick, fc.boolean(), fc.boolean()).map(([p, b, c]) => new NewPaymentAttempt(p, b, c))],
    ['cancel', cancel],
    ['cancel', cancel],
    ['cancel', cancel],
    ['invoice', invoice],
    ['invoice', invoice],
    ['late', pick.map((p) => new LatePayment(p))],
    [
      'approval',
      fc
        .tuple(pick, fc.constantFrom<'approve' | 'reject'>('approve', 'approve', 'reject'))
        .map(([p, d]) => new DecideApproval(p, d)),
    ],
    [
      'attendance',
      fc
        .tuple(pick, fc.nat({ max: 5 }), fc.constantFrom<AttendanceValue>('attended', 'attended', 'no_show', null))
        .map(([p, w, v]) => new RecordAttendance(p, w, v)),
    ],
  ];
  all.push(...subscriptionArbitraries(MAX_SUBSCRIPTIONS), ...compatArbitraries());
  return all.filter(([name]) => !only || only.includes(name)).map(([, arbitrary]) => arbitrary);
}
