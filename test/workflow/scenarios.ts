import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { ApplicationFailure, defaultPayloadConverter, type Duration } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils';
// Default import: @temporalio/proto is CommonJS without static named exports (tsx/Node ESM).
import proto from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, makeTelemetryFilterString, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import type { OrderActivities } from '../../activities';
import type { CancellationDecision } from '../../activities/order-cancellation';
import { createCardPaymentCompletion } from '../../activities/card-payment-completion';
import { createTakeOrderActivity } from '../../activities/intake/take-order';
import type { ValidateOrderResult } from '../../activities/intake/validate-order';
import type { BusinessError } from '../../domain/business-error';
import type { OrderDraft } from '../../domain/order-draft';
import type { OrderStatus } from '../../domain/order-status';
import { resolveTemporalTestServer } from '../../runtime/temporal-binaries';
import { indexedSearchAttributes } from '../../runtime/temporal-dev-server';
import {
  type ApprovalDecision,
  type ApprovalResult,
  type CancelOrderRequest,
  type CancelResult,
  cancelOrderUpdate,
  type ChangeOrderRequest,
  type ChangeResult,
  changeOrderUpdate,
  decideApprovalUpdate,
  type InvoicePaidSignal,
  invoicePaidSignal,
  type OrderProgress,
  orderProgressQuery,
  type OrderSubmission,
  type OrderWorkflowStart,
  type PaymentResultSignal,
  paymentResultSignal,
  type SettleOrderRequest,
  type SettleResult,
  settleOrderUpdate,
  type StartPaymentResult,
  type SubmitResult,
  startPaymentUpdate,
  submitOrderUpdate,
} from '../../workflows/order-messages';
import type { orderWorkflow } from '../../workflows/order-workflow';

// The order workflow's paths as runnable scenarios: stubbed activities (hand-written fakes
// that record every call) plus the steps a client takes (submit, webhooks, queries, time).
// test/workflow/order-workflow.test.ts asserts on what each run did, and
// scripts/record-workflow-histories.ts writes each run's history to test/workflow/histories/
// for the replay test — so the committed histories come from exactly these scenarios.
//
// Everything runs on the time-skipping test server (the Java one, from the project venv):
// a 30-minute preliminary window or the 24-hour late-payment window passes in milliseconds
// once the client awaits the result (or calls skipTime).

/** Where the recorder writes, and the replay test reads, one history per scenario: <name>.json */
export const HISTORY_DIR = path.resolve(import.meta.dirname, 'histories');
/** The workflow code the worker runs (the same entry point the real worker bundles). */
export const WORKFLOWS_PATH = path.resolve(import.meta.dirname, '../../workflows/index.ts');

// ---------------------------------------------------------------- fixtures

export const TENANT_ID = '00000000-0000-4000-8000-0000000000aa';
export const BOOKER_EMAIL = 'jane@example.com';
export const CARD_TOTAL = 162_500;
export const PRELIMINARY_MINUTES = 30;

export function makeDraft(
  options: { total?: number; paymentMethod?: OrderDraft['paymentMethod']; bookerEmail?: string | null } = {},
): OrderDraft {
  const total = options.total ?? CARD_TOTAL;
  const vat = Math.round(total / 5);
  return {
    currency: 'nok',
    exchangeRate: null,
    paymentMethod: options.paymentMethod ?? 'card',
    lines: [
      {
        key: 'l1',
        position: 1,
        productId: 'p1',
        occurrenceId: 'o1',
        inventoryDate: null,
        participantPosition: 1,
        description: 'First aid — Oslo',
        quantity: 1,
        unitPrice: total,
        discountPercent: null,
      },
    ],
    participants: [
      {
        position: 1,
        firstname: 'John',
        lastname: 'Doe',
        email: 'john@example.com',
        phone: null,
        dateOfBirth: null,
        details: {},
      },
    ],
    holds: [{ occurrenceId: 'o1', productId: null, inventoryDate: null, quantity: 1 }],
    pricing: {
      currency: 'nok' as OrderDraft['pricing']['currency'],
      lines: [
        {
          key: 'l1',
          productId: 'p1',
          description: 'First aid — Oslo',
          quantity: 1,
          unitPrice: total,
          vatRateBp: 2500,
          beforeDiscounts: total,
          discount: 0,
          exclVat: total - vat,
          vat,
          inclVat: total,
        },
      ],
      totals: { beforeDiscounts: total, discounts: 0, exclVat: total - vat, vat, inclVat: total },
      vatSummary: [{ rateBp: 2500, base: total - vat, amount: vat }],
      voucherApplied: 0,
    },
    campaignCode: null,
    voucherCode: null,
    bookerEmail: options.bookerEmail === undefined ? BOOKER_EMAIL : options.bookerEmail,
  };
}

export function makeSubmission(paymentMethod: OrderDraft['paymentMethod'] = 'card'): OrderSubmission {
  return {
    request: {
      payment_method: paymentMethod,
      booker: { name: 'Jane Doe', email: BOOKER_EMAIL },
      lines: [
        {
          occurrence_id: '00000000-0000-4000-8000-000000000001',
          participants: [{ firstname: 'John', lastname: 'Doe' }],
        },
      ],
    },
    requestHash: 'hash-1',
    canOverridePrice: false,
  };
}

export function paymentEvent(
  eventId: string,
  outcome: PaymentResultSignal['outcome'],
  amount = CARD_TOTAL,
): PaymentResultSignal {
  return { eventId, provider: 'sandbox', sessionId: 'sess-1', outcome, amount, currency: 'nok' };
}

// ---------------------------------------------------------------- stub activities

export type ActivityName = keyof OrderActivities;
export type ActivityInput<K extends ActivityName> = Parameters<OrderActivities[K]>[0];
export type ActivityCall = { [K in ActivityName]: { name: K; input: ActivityInput<K> } }[ActivityName];

export interface StubBehaviour {
  /** What validateOrder answers (default: a valid card order of CARD_TOTAL). */
  validation?: ValidateOrderResult;
  /** Business errors placeOrder answers with (default: placed). */
  placementErrors?: BusinessError[];
  /** What closePaymentSession finds at the provider at the deadline (default: nothing paid). */
  reconciledPayment?: PaymentResultSignal | null;
  /** What checkPaymentSession finds at the provider while the order waits (default: nothing paid). */
  paidAtProvider?: PaymentResultSignal;
  /** Why recordPaymentOutcome refuses a success (default: every success is accepted). */
  rejectSuccessBecause?: string;
  /** The service starts this many days after submit (default: unknown — the workflow ends at completion). */
  serviceStartsInDays?: number;
  /** What the cancellation policy says (default: allowed, no fee, the whole order). */
  cancellation?: CancellationDecision;
  /** bookOrder fails for good (after payment): the saga compensates with a refund. */
  bookingFails?: boolean;
  /** The tenant re-books a late payment when the seats are free (default: refund). */
  rebookLatePayment?: boolean;
  /** Invoices fall due this many days after issue (default: no due date, no reminders). */
  invoiceDueInDays?: number;
  /** placeOrder keeps failing (the database is unreachable): intake gives up and abandons. */
  placementFails?: boolean;
  /** The provider refuses every refund with this reason: the order goes to an operator. */
  refundRefusedBecause?: string;
  /** What changeOrderContents prices the changed order at (default: CARD_TOTAL). */
  changedTotal?: number;
  /** recordInvoicePayment fails (the database is unreachable) this many times before it records. */
  invoicePaymentFailures?: number;
}

export interface StubActivities {
  activities: OrderActivities;
  calls: ActivityCall[];
  /** Activity names in call order. */
  names(): ActivityName[];
  /** Inputs of every call to one activity, in order. */
  inputsOf<K extends ActivityName>(name: K): ActivityInput<K>[];
}

/** Hand-written fakes for every activity the workflow may call; each call is recorded. */
export function createStubActivities(behaviour: StubBehaviour = {}): StubActivities {
  const calls: ActivityCall[] = [];
  const record = <K extends ActivityName>(name: K, input: ActivityInput<K>) => {
    calls.push({ name, input } as ActivityCall);
  };
  let documents = 0;
  const numberDocument = (kind: 'invoice' | 'receipt') => {
    documents += 1;
    const schedule =
      kind === 'invoice' && behaviour.invoiceDueInDays
        ? { dueInDays: behaviour.invoiceDueInDays, reminderIntervalDays: 7 }
        : { dueInDays: null, reminderIntervalDays: null };
    return { invoiceId: `doc-${documents}`, documentNumber: String(10_000 + documents), ...schedule };
  };
  let invoicePaid = 0;
  let invoicePaymentFailures = 0;
  let intakeStartedAtMs = 0;
  const steps: Omit<OrderActivities, 'intakeOrder' | 'recordPaymentAndComplete'> = {
    async validateOrder(input) {
      record('validateOrder', input);
      const validation = behaviour.validation ?? {
        ok: true,
        draft: makeDraft(),
        preliminaryMinutes: PRELIMINARY_MINUTES,
      };
      if (!validation.ok || !behaviour.serviceStartsInDays) return validation;
      // In the workflow's (time-skipping) clock, which is what its timers use.
      const startsAt = intakeStartedAtMs + behaviour.serviceStartsInDays * 86_400_000;
      return { ...validation, firstStartsAt: new Date(startsAt).toISOString() };
    },
    async placeOrder(input) {
      record('placeOrder', input);
      if (behaviour.placementFails)
        throw ApplicationFailure.retryable('connect ECONNREFUSED 127.0.0.1:5432', 'DatabaseUnavailable');
      if (behaviour.placementErrors) return { ok: false, errors: behaviour.placementErrors };
      return { ok: true };
    },
    async completePaidOrder(input) {
      record('completePaidOrder', input);
      if (behaviour.bookingFails) throw ApplicationFailure.nonRetryable('occurrence was deleted', 'BookingImpossible');
      return { seatsBooked: 1, documentNumber: input.receipt ? '10001' : null };
    },
    async bookOrder(input) {
      record('bookOrder', input);
      if (behaviour.bookingFails) throw ApplicationFailure.nonRetryable('occurrence was deleted', 'BookingImpossible');
      return { seatsBooked: 1 };
    },
    async expireOrder(input) {
      record('expireOrder', input);
      return { seatsReleased: 1 };
    },
    async abandonOrder(input) {
      record('abandonOrder', input);
    },
    async changeOrderContents(input) {
      record('changeOrderContents', input);
      return { ok: true, total: behaviour.changedTotal ?? CARD_TOTAL };
    },
    async updateOrderNotes(input) {
      record('updateOrderNotes', input);
    },
    async confirmOrderAsInvoice(input) {
      record('confirmOrderAsInvoice', input);
    },
    async checkPaymentSession(input) {
      record('checkPaymentSession', input);
      return { event: behaviour.paidAtProvider ?? null };
    },
    async rebookAfterLatePayment(input) {
      record('rebookAfterLatePayment', input);
      return behaviour.rebookLatePayment
        ? { rebooked: true, reason: 'seats still free' }
        : { rebooked: false, reason: 'the tenant refunds late payments' };
    },
    async issueGiftVouchers(input) {
      record('issueGiftVouchers', input);
      return { issued: 1 };
    },
    async startSubscriptionWorkflows(input) {
      record('startSubscriptionWorkflows', input);
      return { started: 1 };
    },
    async flagForAttention(input) {
      record('flagForAttention', input);
    },
    async approveHeldOrder(input) {
      record('approveHeldOrder', input);
    },
    async evaluateCancellation(input) {
      record('evaluateCancellation', input);
      return behaviour.cancellation ?? { allowed: true, feePercent: 0, participantPositions: null };
    },
    async cancelOrder(input) {
      record('cancelOrder', input);
      const paid = calls.some(
        (c) =>
          c.name === 'recordPaymentOutcome' &&
          (c.input as ActivityInput<'recordPaymentOutcome'>).event.outcome === 'succeeded',
      );
      const full = input.decision.participantPositions === null;
      return {
        full,
        seatsReleased: 1,
        fee: 0,
        creditAmount: CARD_TOTAL,
        refundAmount: paid ? CARD_TOTAL : 0,
        cardRefunds: paid ? [{ sessionId: 'sess-1', amount: CARD_TOTAL }] : [],
        manualRefund: 0,
        refundVia: paid ? 'card' : null,
        creditNoteNumber: paid ? 'CN-1' : null,
        amountDue: 0,
        leftToPay: 0,
      };
    },
    async planSettlementRefund(input) {
      record('planSettlementRefund', input);
      return input.refundVia === 'manual'
        ? { amount: CARD_TOTAL, cardRefunds: [], manualRefund: CARD_TOTAL }
        : { amount: CARD_TOTAL, cardRefunds: [{ sessionId: 'sess-1', amount: CARD_TOTAL }], manualRefund: 0 };
    },
    async parkOrder(input) {
      record('parkOrder', input);
    },
    async resumeOrder(input) {
      record('resumeOrder', input);
    },
    async createPaymentSession(input) {
      record('createPaymentSession', input);
      const id = `sess-${input.attempt ?? 1}`;
      return { sessionId: id, redirectUrl: `https://psp.example/pay/${id}` };
    },
    async recordPaymentOutcome(input) {
      record('recordPaymentOutcome', input);
      if (input.event.outcome === 'succeeded' && behaviour.rejectSuccessBecause) {
        return { accepted: false, reason: behaviour.rejectSuccessBecause };
      }
      return { accepted: true };
    },
    async closePaymentSession(input) {
      record('closePaymentSession', input);
      return { event: behaviour.reconciledPayment ?? null };
    },
    async refundPayment(input) {
      record('refundPayment', input);
      if (behaviour.refundRefusedBecause) return { ok: false, reason: behaviour.refundRefusedBecause };
      return { ok: true, refundId: `refund-${input.sessionId}` };
    },
    async issueDocument(input) {
      record('issueDocument', input);
      return numberDocument(input.kind);
    },
    async bookAndInvoiceOrder(input) {
      record('bookAndInvoiceOrder', input);
      if (behaviour.bookingFails) throw ApplicationFailure.nonRetryable('occurrence was deleted', 'BookingImpossible');
      return numberDocument('invoice');
    },
    async completeInvoicedOrder(input) {
      record('completeInvoicedOrder', input);
    },
    async recordInvoicePayment(input) {
      record('recordInvoicePayment', input);
      if (invoicePaymentFailures < (behaviour.invoicePaymentFailures ?? 0)) {
        invoicePaymentFailures += 1;
        throw ApplicationFailure.retryable('connect ECONNREFUSED 127.0.0.1:5432', 'DatabaseUnavailable');
      }
      invoicePaid += input.amount;
      const total = behaviour.validation?.ok ? behaviour.validation.draft.pricing.totals.inclVat : CARD_TOTAL;
      return { leftToPay: Math.max(0, total - invoicePaid) };
    },
    async queueOrderEmail(input) {
      record('queueOrderEmail', input);
      return { queued: 1 };
    },
  };
  // The one-round-trip intake and the payment-and-completion are the real compositions
  // (createTakeOrderActivity, createCardPaymentCompletion) over the stubbed steps, so the steps are what gets recorded.
  const activities: OrderActivities = {
    ...steps,
    // The intake is a local activity, whose info carries the worker's clock, not the (skipped) server's:
    // the stubbed service date counts from the workflow's clock, which the intake input carries.
    async intakeOrder(input) {
      intakeStartedAtMs = input.startedAtMs;
      return createTakeOrderActivity(steps).intakeOrder(input);
    },
    ...createCardPaymentCompletion(steps),
  };
  return {
    activities,
    calls,
    names: () => calls.map((c) => c.name),
    inputsOf: <K extends ActivityName>(name: K) =>
      calls.filter((c) => c.name === name).map((c) => c.input as ActivityInput<K>),
  };
}

// ---------------------------------------------------------------- environment

let runtimeInstalled = false;

/** Keeps the SDK's INFO chatter (worker state, bundler) out of the test output. TEST_LOG_LEVEL=INFO shows it. */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const level = (process.env.TEST_LOG_LEVEL ?? 'ERROR').toUpperCase() as 'ERROR';
  try {
    Runtime.install({
      logger: new DefaultLogger(level),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: level }), forward: {} } },
    });
  } catch {
    // A runtime exists already (another helper installed one): keep it.
  }
}

/**
 * The SDK gives the server 5 s to come up; on a machine busy with the rest of the suite (other
 * test files start real stacks beside it) that is sometimes not enough, so it is tried again.
 */
async function startTimeSkippingServer(path: string, attempts = 3): Promise<TestWorkflowEnvironment> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await TestWorkflowEnvironment.createTimeSkipping({
        server: { executable: { type: 'existing-path', path } },
      });
    } catch (error) {
      if (attempt >= attempts || !/did not start/.test(String(error))) throw error;
    }
  }
}

/**
 * The time-skipping test server from the project venv (never the SDK's download), with the
 * workflow's custom search attributes registered: without them every upsert fails the
 * workflow task ("search attribute PaymentMethod is not defined") and the workflow hangs.
 */
export async function createTimeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  const testServer = resolveTemporalTestServer();
  if (!testServer)
    throw new Error(
      'temporal-test-server not found: run `npx tsx scripts/install-temporal.ts` (or set TEMPORAL_TEST_SERVER_PATH)',
    );
  installQuietRuntime();
  const env = await startTimeSkippingServer(testServer);
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: indexedSearchAttributes(),
  });
  return env;
}

// ---------------------------------------------------------------- scenarios

export type OrderWorkflowHandle = WorkflowHandle<typeof orderWorkflow>;

export interface ScenarioContext {
  env: TestWorkflowEnvironment;
  handle: OrderWorkflowHandle;
  start: OrderWorkflowStart;
  stubs: StubActivities;
  /** The submit Update; its answer is kept in run.submits. */
  submit(submission?: OrderSubmission, updateId?: string): Promise<SubmitResult>;
  signalPayment(event: PaymentResultSignal): Promise<void>;
  signalInvoicePaid(payment: InvoicePaidSignal): Promise<void>;
  /** The startPayment Update (POST /v1/orders/{id}/payments). */
  startPayment(): Promise<StartPaymentResult>;
  /** The change Update; its answer is kept in run.notes.change (the last one). */
  change(request: ChangeOrderRequest): Promise<ChangeResult>;
  /** The cancel Update; its answer is kept in run.notes.cancel (the last one). */
  cancel(request: CancelOrderRequest): Promise<CancelResult>;
  /** The settle Update (an operator's decision); its answer is kept in run.notes.settle (the last one). */
  settle(request: SettleOrderRequest): Promise<SettleResult>;
  /** The decideApproval Update (an operator approves or rejects a held order); kept in run.notes.approval. */
  decideApproval(decision: ApprovalDecision): Promise<ApprovalResult>;
  /** Queries progress; with a label the answer is kept in run.progress[label]. */
  progress(label?: string): Promise<OrderProgress>;
  /** Polls the progress query (real time, time skipping stays locked) until the status is reached. */
  waitForStatus(status: OrderStatus, label?: string): Promise<OrderProgress>;
  /** Polls until the stub activities saw a call matching the predicate. */
  waitForCall(predicate: (call: ActivityCall) => boolean): Promise<void>;
  /**
   * Polls the history until no workflow task and no activity is outstanding: everything the
   * workflow was told so far has been handled. A barrier for "nothing else happens" assertions.
   */
  waitUntilIdle(): Promise<void>;
  /** Skips server time (fires timers on the way). */
  skipTime(duration: Duration): Promise<void>;
  /** Server time in ms (time-skipping clock). */
  now(): Promise<number>;
  /** Keeps any value for the assertions (run.notes[key]). */
  note(key: string, value: unknown): void;
}

export interface Scenario {
  /** File name of its history: test/workflow/histories/<name>.json */
  name: string;
  description: string;
  behaviour?: StubBehaviour;
  start?: Partial<OrderWorkflowStart>;
  /** The client's side of the story, after the workflow has been started. */
  drive(ctx: ScenarioContext): Promise<void>;
  /** 'terminate': the workflow parks for ever on this path; the runner terminates it at the end. */
  ending?: 'result' | 'terminate';
}

export interface ScenarioRun {
  scenario: Scenario;
  workflowId: string;
  start: OrderWorkflowStart;
  result: OrderStatus | undefined;
  calls: ActivityCall[];
  stubs: StubActivities;
  submits: SubmitResult[];
  progress: Record<string, OrderProgress>;
  /** Progress queried after the workflow closed (undefined when terminated). */
  finalProgress: OrderProgress | undefined;
  notes: Record<string, unknown>;
  history: History;
}

export type WorkflowSource = Pick<WorkerOptions, 'workflowBundle'> | Pick<WorkerOptions, 'workflowsPath'>;

/** Asks `probe` every 20 ms of real time until it answers, or fails naming `what` after `limitMs`. */
export async function poll<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  limitMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs one scenario on its own task queue with a fresh set of stub activities. */
export async function runScenario(
  env: TestWorkflowEnvironment,
  scenario: Scenario,
  source: WorkflowSource,
): Promise<ScenarioRun> {
  const stubs = createStubActivities(scenario.behaviour);
  const suffix = randomUUID().slice(0, 8);
  const taskQueue = `order-workflow-${scenario.name}-${suffix}`;
  const workflowId = `order-${scenario.name}-${suffix}`;
  const start: OrderWorkflowStart = {
    tenantId: TENANT_ID,
    tenantSlug: 'acme',
    orderId: randomUUID(),
    orderNumber: 1001,
    ...scenario.start,
  };
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    activities: stubs.activities,
    ...source,
  });
  const submits: SubmitResult[] = [];
  const progress: Record<string, OrderProgress> = {};
  const notes: Record<string, unknown> = {};

  return worker.runUntil(async () => {
    const handle: OrderWorkflowHandle = await env.client.workflow.start<typeof orderWorkflow>('orderWorkflow', {
      taskQueue,
      workflowId,
      args: [start],
    });
    const ctx: ScenarioContext = {
      env,
      handle,
      start,
      stubs,
      async submit(submission = makeSubmission(), updateId) {
        const answer = await handle.executeUpdate(submitOrderUpdate, {
          args: [submission],
          ...(updateId ? { updateId } : {}),
        });
        submits.push(answer);
        return answer;
      },
      signalPayment: (event) => handle.signal(paymentResultSignal, event),
      signalInvoicePaid: (payment) => handle.signal(invoicePaidSignal, payment),
      startPayment: () => handle.executeUpdate(startPaymentUpdate, { args: [{}] }),
      async change(request) {
        const answer = await handle.executeUpdate(changeOrderUpdate, { args: [request] });
        notes.change = answer;
        return answer;
      },
      async cancel(request) {
        const answer = await handle.executeUpdate(cancelOrderUpdate, { args: [request] });
        notes.cancel = answer;
        return answer;
      },
      async settle(request) {
        const answer = await handle.executeUpdate(settleOrderUpdate, { args: [request] });
        notes.settle = answer;
        return answer;
      },
      async decideApproval(decision) {
        const answer = await handle.executeUpdate(decideApprovalUpdate, { args: [decision] });
        notes.approval = answer;
        return answer;
      },
      async progress(label) {
        const answer = await handle.query(orderProgressQuery);
        if (label) progress[label] = answer;
        return answer;
      },
      async waitForStatus(status, label) {
        const answer = await poll(`status ${status}`, async () => {
          const current = await handle.query(orderProgressQuery);
          return current.status === status ? current : undefined;
        });
        // A query sees a local activity's effect before its workflow task is complete; the time-skipping
        // server loses an Update sent into that open task (the real server delivers it), so the driver
        // waits for the task, as a client that reads the status from PostgreSQL does.
        await ctx.waitUntilIdle();
        if (label) progress[label] = answer;
        return answer;
      },
      async waitForCall(predicate) {
        await poll('an activity call', () => (stubs.calls.some(predicate) ? true : undefined));
      },
      async waitUntilIdle() {
        await poll('the workflow to be idle', async () => (isIdle(await handle.fetchHistory()) ? true : undefined));
      },
      skipTime: (duration) => env.sleep(duration),
      now: () => env.currentTimeMs(),
      note(key, value) {
        notes[key] = value;
      },
    };
    await scenario.drive(ctx);
    let result: OrderStatus | undefined;
    let finalProgress: OrderProgress | undefined;
    if (scenario.ending === 'terminate') {
      await handle.terminate('scenario over: the workflow parks on this path');
    } else {
      result = await handle.result();
      finalProgress = await handle.query(orderProgressQuery);
    }
    const history = await handle.fetchHistory();
    return {
      scenario,
      workflowId,
      start,
      result,
      calls: stubs.calls,
      stubs,
      submits,
      progress,
      finalProgress,
      notes,
      history,
    };
  });
}

const EventType = proto.temporal.api.enums.v1.EventType;

function isIdle(history: History): boolean {
  let workflowTasks = 0;
  let activities = 0;
  for (const event of history.events ?? []) {
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
        workflowTasks += 1;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
      case EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
      case EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
        workflowTasks -= 1;
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        activities += 1;
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
      case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
      case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
      case EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
        activities -= 1;
        break;
    }
  }
  return workflowTasks === 0 && activities === 0;
}

/** Server time at which the workflow scheduled the first call of this activity (from the history). */
/** When the nth (0-based) task of this activity type was scheduled, in the server's clock. */
export function scheduledAt(history: History, activityType: ActivityName, nth = 0): number | undefined {
  const event = (history.events ?? []).filter(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType,
  )[nth];
  if (!event?.eventTime) return undefined;
  return Number(event.eventTime.seconds ?? 0) * 1000 + Math.floor((event.eventTime.nanos ?? 0) / 1e6);
}

/** Every value the workflow upserted, per search attribute, in order (from the history). */
export function searchAttributeUpserts(history: History): Record<string, unknown[]> {
  const upserts: Record<string, unknown[]> = {};
  for (const event of history.events ?? []) {
    const fields = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {};
    for (const [key, payload] of Object.entries(fields)) {
      // patched() markers are the SDK's own bookkeeping, not ours.
      if (key === 'TemporalChangeVersion') continue;
      const value = defaultPayloadConverter.fromPayload(payload);
      const values = upserts[key] ?? [];
      values.push(Array.isArray(value) && value.length === 1 ? value[0] : value);
      upserts[key] = values;
    }
  }
  return upserts;
}

const MINUTE = 60_000;

/** Submit, then note the server-time window in which the workflow computed its deadline. */
async function submitTimed(ctx: ScenarioContext, submission?: OrderSubmission): Promise<SubmitResult> {
  const before = await ctx.now();
  const answer = await ctx.submit(submission);
  ctx.note('submittedBetween', [before, await ctx.now()]);
  return answer;
}

export const scenarios = {
  cardPaid: {
    name: 'card-paid',
    description: 'card: the payment webhook succeeds → booked, receipt, completed',
    async drive(ctx) {
      await submitTimed(ctx);
      await ctx.waitForStatus('awaiting_payment', 'awaiting payment');
      await ctx.signalPayment(paymentEvent('evt-paid', 'succeeded'));
    },
  },
  cardDeclinedThenPaid: {
    name: 'card-declined-then-paid',
    description: 'card: the first attempt is declined (payment_failed), the second succeeds',
    async drive(ctx) {
      await ctx.submit();
      await ctx.signalPayment(paymentEvent('evt-declined', 'failed'));
      await ctx.waitForStatus('payment_failed', 'after decline');
      await ctx.signalPayment(paymentEvent('evt-paid', 'succeeded'));
    },
  },
  cardDuplicateWebhooks: {
    name: 'card-duplicate-webhooks',
    description: 'card: the provider redelivers each webhook; one event id is handled once',
    async drive(ctx) {
      await ctx.submit();
      await ctx.signalPayment(paymentEvent('evt-declined', 'failed'));
      await ctx.signalPayment(paymentEvent('evt-declined', 'failed'));
      await ctx.waitForStatus('payment_failed');
      await ctx.signalPayment(paymentEvent('evt-paid', 'succeeded'));
    },
  },
  cardDeclinedThenExpired: {
    name: 'card-declined-then-expired',
    description: 'card: declined and never retried → expires at the original deadline (a decline does not extend it)',
    async drive(ctx) {
      await submitTimed(ctx);
      await ctx.signalPayment(paymentEvent('evt-declined', 'failed'));
      await ctx.waitForStatus('payment_failed', 'after decline');
    },
  },
  cardExpired: {
    name: 'card-expired',
    description: 'card: nothing is paid; at the deadline the provider has nothing either → expired, late window passes',
    async drive(ctx) {
      await submitTimed(ctx);
      await ctx.waitForStatus('awaiting_payment', 'awaiting payment');
    },
  },
  cardPaidAfterExpiry: {
    name: 'card-paid-after-expiry',
    description: 'card: the payment lands after expiry → recorded, refunded, refund e-mail; a late decline is ignored',
    async drive(ctx) {
      await ctx.submit();
      await ctx.skipTime(PRELIMINARY_MINUTES * MINUTE + MINUTE);
      await ctx.waitForStatus('expired', 'expired');
      await ctx.signalPayment(paymentEvent('evt-late-declined', 'failed'));
      await ctx.signalPayment(paymentEvent('evt-late-paid', 'succeeded'));
      await ctx.waitForCall((c) => c.name === 'queueOrderEmail' && c.input.kind === 'refund');
    },
  },
  cardLostWebhook: {
    name: 'card-lost-webhook',
    description: 'card: the webhook never arrives but the provider reports the payment at the deadline → completed',
    behaviour: { reconciledPayment: { ...paymentEvent('reconciled:sess-1', 'succeeded') } },
    start: { preliminaryWindowOverrideMs: 5 * MINUTE },
    async drive(ctx) {
      await submitTimed(ctx);
      await ctx.progress('awaiting payment');
    },
  },
  cardPaidBeforeNotice: {
    name: 'card-paid-before-notice',
    description:
      'card: the webhook never arrives; before the "order received" notice the provider reports the payment → ' +
      'completed, no notice',
    behaviour: { paidAtProvider: { ...paymentEvent('reconciled:sess-1', 'succeeded') } },
    async drive(ctx) {
      await ctx.submit();
      await ctx.skipTime(2 * MINUTE);
      await ctx.waitForStatus('completed', 'completed');
    },
  },
  cardAmountMismatch: {
    name: 'card-amount-mismatch',
    description:
      'card: a success the activity refuses (wrong amount) parks the order for an operator; it never expires',
    behaviour: { rejectSuccessBecause: 'paid 100 nok, expected 162500 nok' },
    ending: 'terminate',
    async drive(ctx) {
      await ctx.submit();
      await ctx.signalPayment(paymentEvent('evt-short', 'succeeded', 100));
      await ctx.waitForStatus('needs_attention', 'needs attention');
      await ctx.skipTime(PRELIMINARY_MINUTES * MINUTE + MINUTE);
      await ctx.waitUntilIdle();
      await ctx.progress('after the deadline');
    },
  },
  invoice: {
    name: 'invoice',
    description: 'invoice: booked, invoice issued and mailed, invoiced; two part payments complete it',
    behaviour: {
      validation: { ok: true, draft: makeDraft({ paymentMethod: 'invoice' }), preliminaryMinutes: PRELIMINARY_MINUTES },
    },
    async drive(ctx) {
      await ctx.submit(makeSubmission('invoice'));
      await ctx.waitForStatus('invoiced', 'invoiced');
      await ctx.signalInvoicePaid({ invoiceId: 'doc-1', amount: 100_000, reference: 'bank-1' });
      await ctx.waitUntilIdle();
      await ctx.progress('after part payment');
      ctx.note('callsAfterPartPayment', ctx.stubs.names());
      await ctx.signalInvoicePaid({ invoiceId: 'doc-1', amount: CARD_TOTAL - 100_000, reference: 'bank-2' });
    },
  },
  invoicePaymentRetried: {
    name: 'invoice-payment-retried',
    description: 'invoice: the payment cannot be recorded five times (database down); retried, then completed',
    behaviour: {
      validation: { ok: true, draft: makeDraft({ paymentMethod: 'invoice' }), preliminaryMinutes: PRELIMINARY_MINUTES },
      invoicePaymentFailures: 5,
    },
    async drive(ctx) {
      await ctx.submit(makeSubmission('invoice'));
      await ctx.waitForStatus('invoiced', 'invoiced');
      await ctx.signalInvoicePaid({ invoiceId: 'doc-1', amount: CARD_TOTAL, reference: 'bank-1' });
    },
  },
  free: {
    name: 'free',
    description: 'free: total 0 → booked at once and completed, no payment session, no receipt document',
    behaviour: {
      validation: {
        ok: true,
        draft: makeDraft({ total: 0, paymentMethod: 'card' }),
        preliminaryMinutes: PRELIMINARY_MINUTES,
      },
    },
    async drive(ctx) {
      await ctx.submit();
    },
  },
  approvedCard: {
    name: 'approved-card',
    description: 'held for approval → approved: payment session and link mail, then paid and completed',
    behaviour: {
      validation: {
        ok: true,
        draft: makeDraft(),
        preliminaryMinutes: PRELIMINARY_MINUTES,
        approval: { deadlineHours: 48, onDeadline: 'reject' },
      },
    },
    async drive(ctx) {
      await ctx.submit();
      await ctx.waitForStatus('awaiting_approval', 'held');
      await ctx.decideApproval({ decision: 'approve', reason: 'looks fine', by: 'ops' });
      await ctx.waitForStatus('awaiting_payment', 'approved');
      await ctx.signalPayment(paymentEvent('evt-approved', 'succeeded'));
    },
  },
  approvalDeadline: {
    name: 'approval-deadline',
    description: 'held for approval, nobody decides → rejected at the deadline: cancelled, the booker told',
    behaviour: {
      validation: {
        ok: true,
        draft: makeDraft({ paymentMethod: 'invoice' }),
        preliminaryMinutes: PRELIMINARY_MINUTES,
        approval: { deadlineHours: 2, onDeadline: 'reject' },
      },
    },
    async drive(ctx) {
      await ctx.submit(makeSubmission('invoice'));
      await ctx.waitForStatus('awaiting_approval', 'held');
      await ctx.skipTime('3 hours');
    },
  },
  prepaid: {
    name: 'prepaid',
    description: 'paid elsewhere: the payment is in the ledger at placement → paid, booked with a receipt, completed',
    behaviour: {
      validation: {
        ok: true,
        draft: makeDraft({ total: CARD_TOTAL, paymentMethod: 'prepaid' }),
        preliminaryMinutes: PRELIMINARY_MINUTES,
      },
    },
    async drive(ctx) {
      await ctx.submit();
    },
  },
  rejectedByValidation: {
    name: 'rejected-by-validation',
    description: 'validation fails → the submit answers the errors, the workflow ends rejected, nothing is placed',
    behaviour: {
      validation: {
        ok: false,
        errors: [
          { code: 'occurrence_not_found', message: 'No such occurrence', field: 'lines[0].occurrence_id', index: 0 },
        ],
      },
    },
    async drive(ctx) {
      await ctx.submit();
    },
  },
  rejectedOccurrenceFull: {
    name: 'rejected-occurrence-full',
    description: 'placeOrder finds the occurrence full → rejected, no payment session',
    behaviour: {
      placementErrors: [
        { code: 'occurrence_full', message: 'Only 0 seat(s) left', field: 'lines[0].occurrence_id', index: 0 },
      ],
    },
    async drive(ctx) {
      await ctx.submit();
    },
  },
  cardCancelledBeforePayment: {
    name: 'card-cancelled-before-payment',
    description:
      'the client cancels while the card payment is pending → session closed, seats released, no refund, cancelled',
    async drive(ctx) {
      await ctx.submit();
      await ctx.waitForStatus('awaiting_payment');
      await ctx.cancel({ by: 'client', reason: 'changed my mind' });
    },
  },
  cardPaidThenCancelled: {
    name: 'card-paid-then-cancelled',
    description: 'paid and completed; the service is 30 days away; the client cancels → refund, credit note, cancelled',
    behaviour: { serviceStartsInDays: 30 },
    async drive(ctx) {
      await ctx.submit();
      await ctx.signalPayment(paymentEvent('evt-paid', 'succeeded'));
      await ctx.waitForStatus('completed');
      await ctx.cancel({ by: 'client' });
    },
  },
  cardRefundRefused: {
    name: 'card-refund-refused',
    description:
      'paid; the client cancels; the provider refuses the refund → needs_attention, the cancel answers; ' +
      'an operator settles it with a manual refund → cancelled',
    behaviour: { serviceStartsInDays: 30, refundRefusedBecause: 'card account closed' },
    async drive(ctx) {
      await ctx.submit();
      await ctx.signalPayment(paymentEvent('evt-paid', 'succeeded'));
      await ctx.waitForStatus('completed');
      await ctx.cancel({ by: 'client' });
      await ctx.progress('after the refused refund');
      await ctx.settle({ action: 'refund', reason: 'refunded by bank transfer', refundVia: 'manual' });
    },
  },
  cardAmountMismatchAccepted: {
    name: 'card-amount-mismatch-accepted',
    description: 'card: a payment of another amount parks the order; an operator accepts it → booked and completed',
    behaviour: { rejectSuccessBecause: 'paid 162400 nok, expected 162500 nok' },
    async drive(ctx) {
      await ctx.submit();
      await ctx.signalPayment(paymentEvent('evt-short', 'succeeded', CARD_TOTAL - 100));
      await ctx.waitForStatus('needs_attention', 'needs attention');
      await ctx.settle({ action: 'accept', reason: 'customer paid the old price' });
    },
  },
  cancellationRefused: {
    name: 'cancellation-refused',
    description: 'the policy refuses (deadline passed) → nothing changes; the order completes when the service starts',
    behaviour: {
      validation: { ok: true, draft: makeDraft({ paymentMethod: 'invoice' }), preliminaryMinutes: PRELIMINARY_MINUTES },
      serviceStartsInDays: 1,
      cancellation: {
        allowed: false,
        code: 'cancellation_deadline_passed',
        message: 'Cancellation is possible until 24 hours before the start',
      },
    },
    async drive(ctx) {
      await ctx.submit(makeSubmission('invoice'));
      await ctx.waitForStatus('invoiced');
      await ctx.cancel({ by: 'client' });
      await ctx.signalInvoicePaid({ invoiceId: 'doc-1', amount: CARD_TOTAL, reference: 'bank-1' });
    },
  },
  invoiceReminders: {
    name: 'invoice-reminders',
    description:
      'an invoice due in 14 days is never paid → two reminders a week apart, then flagged for operators; paid later',
    behaviour: {
      validation: { ok: true, draft: makeDraft({ paymentMethod: 'invoice' }), preliminaryMinutes: PRELIMINARY_MINUTES },
      invoiceDueInDays: 14,
    },
    async drive(ctx) {
      await ctx.submit(makeSubmission('invoice'));
      await ctx.waitForStatus('invoiced');
      await ctx.skipTime('30 days');
      await ctx.waitForCall((c) => c.name === 'flagForAttention');
      ctx.note('progressWhenOverdue', await ctx.progress());
      await ctx.signalInvoicePaid({ invoiceId: 'doc-1', amount: CARD_TOTAL, reference: 'bank-late' });
    },
  },
  cardPaidAfterExpiryRebooked: {
    name: 'card-paid-after-expiry-rebooked',
    description: 'expired, then paid late; the tenant re-books when seats are free → booked and completed, no refund',
    behaviour: { rebookLatePayment: true },
    async drive(ctx) {
      await ctx.submit();
      await ctx.skipTime(PRELIMINARY_MINUTES * MINUTE + MINUTE);
      await ctx.waitForStatus('expired');
      await ctx.signalPayment(paymentEvent('evt-late-paid', 'succeeded'));
    },
  },
  cardBookingFails: {
    name: 'card-booking-fails',
    description: 'paid, but booking fails for good → compensation: cancelled, refunded, flagged, refund email',
    behaviour: { bookingFails: true },
    async drive(ctx) {
      await ctx.submit();
      await ctx.signalPayment(paymentEvent('evt-paid', 'succeeded'));
    },
  },
  cardNewPaymentAttempt: {
    name: 'card-new-payment-attempt',
    description: 'the client starts another payment → old session closed, attempt 2 opened; paid on it',
    async drive(ctx) {
      await ctx.submit();
      await ctx.waitForStatus('awaiting_payment');
      ctx.note('newAttempt', await ctx.startPayment());
      await ctx.signalPayment({ ...paymentEvent('evt-paid-2', 'succeeded'), sessionId: 'sess-2' });
    },
  },
  cardChangedThenPaid: {
    name: 'card-changed-then-paid',
    description:
      'a participant is added while awaiting payment → contents changed, deadline extended, new session; then paid',
    async drive(ctx) {
      await ctx.submit();
      await ctx.waitForStatus('awaiting_payment');
      await ctx.skipTime('10 minutes');
      const change = {
        addLines: [
          {
            occurrence_id: '00000000-0000-4000-8000-000000000001',
            participants: [{ firstname: 'Ann', lastname: 'Doe' }],
          },
        ],
      };
      ctx.note('changeRequest', change);
      await ctx.change(change);
      ctx.note('afterChange', await ctx.progress());
      await ctx.signalPayment(paymentEvent('evt-paid', 'succeeded'));
    },
  },
  cardChangedToNothingToPay: {
    name: 'card-changed-to-nothing-to-pay',
    description:
      'a code covering everything is added while awaiting payment → nothing left to pay: completed like a free order',
    behaviour: { changedTotal: 0 },
    async drive(ctx) {
      await ctx.submit();
      await ctx.waitForStatus('awaiting_payment');
      await ctx.change({ voucherCode: 'ALL-OF-IT' });
    },
  },
  cardConfirmedAsInvoice: {
    name: 'card-confirmed-as-invoice',
    description:
      'a preliminary card order is confirmed (preliminary: false) → session closed, invoiced instead; invoice paid',
    async drive(ctx) {
      await ctx.submit();
      await ctx.waitForStatus('awaiting_payment');
      await ctx.change({ confirm: true });
      await ctx.waitForStatus('invoiced');
      await ctx.signalInvoicePaid({ invoiceId: 'doc-1', amount: CARD_TOTAL, reference: 'bank-1' });
    },
  },
  intakeFails: {
    name: 'intake-fails',
    description:
      'placeOrder keeps failing → bounded retries, the order is abandoned, the submit fails, ' +
      'the workflow ends rejected',
    behaviour: { placementFails: true },
    async drive(ctx) {
      try {
        await ctx.submit();
        ctx.note('submitError', null);
      } catch (error) {
        const cause = (error as { cause?: { type?: string } }).cause;
        ctx.note('submitError', cause?.type ?? String(error));
      }
    },
  },
  neverSubmitted: {
    name: 'never-submitted',
    description: 'nobody submits within 10 minutes → rejected without touching any activity',
    async drive() {},
  },
  submittedTwice: {
    name: 'submitted-twice',
    description: 'two different submit Updates at once → one order; both get the same answer',
    async drive(ctx) {
      const [first, second] = await Promise.all([
        ctx.submit(makeSubmission(), 'submit-a'),
        ctx.submit(makeSubmission(), 'submit-b'),
      ]);
      ctx.note('answers', [first, second]);
      await ctx.signalPayment(paymentEvent('evt-paid', 'succeeded'));
    },
  },
} satisfies Record<string, Scenario>;

export type ScenarioKey = keyof typeof scenarios;
export const ALL_SCENARIOS: Scenario[] = Object.values(scenarios);
