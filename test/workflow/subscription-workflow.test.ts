import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import {
  Client,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils';
// Default import: @temporalio/proto is CommonJS without static named exports (tsx/Node ESM).
import proto from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SubscriptionActivities, UnusedCreditPlan } from '../../activities/subscription-activities';
import type { PeriodChangeRefusal, SubscriptionTerm } from '../../db/queries/subscription-renewals';
import { addDays, periodEnd, unusedPeriodCredit } from '../../domain/subscription-calendar';
import type { SubscriptionStatus } from '../../domain/subscription-state';
import type { CancelResult } from '../../workflows/order-messages';
import { NextRenewalAtKey, SubscriptionNumberKey, SubscriptionStatusKey } from '../../workflows/search-attributes';
import {
  cancelSubscriptionUpdate,
  changeSubscriptionPeriodUpdate,
  pauseSubscriptionUpdate,
  resumeSubscriptionUpdate,
  type SubscriptionChangeResult,
  type SubscriptionProgress,
  subscriptionProgressQuery,
  subscriptionWorkflowId,
} from '../../workflows/subscription-messages';
import type { subscriptionWorkflow } from '../../workflows/subscription-workflow';
import type { FakeOrderActivities, FakeOrderScript } from './fixtures/subscription-test-workflows';
import { createTimeSkippingEnvironment, poll as pollUntil, TENANT_ID } from './scenarios';

// The subscription workflow (issue 13) on the time-skipping test server, with real month
// periods: every activity is a stub over an in-memory subscription, and a renewal's order is the
// fake of fixtures/subscription-test-workflows.ts, which reports its scripted moves back.

const DAY = 86_400_000;
const PRICE = 14_900;
const FIRST_ORDER_ID = '00000000-0000-4000-8000-00000000f001';
const PAY_URL = 'https://pay.example/renewal';

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

let env: TestWorkflowEnvironment | undefined;
let bundle: WorkflowBundleWithSourceMap;
/** A client that leaves the clock alone: the test environment's own one skips time while it awaits a result. */
let plainClient: Client;

beforeAll(async () => {
  bundle = await bundleWorkflowCode({
    workflowsPath: path.resolve(import.meta.dirname, 'fixtures/subscription-test-workflows.ts'),
    logger: quietLogger,
  });
});
afterAll(async () => {
  await env?.teardown();
});

/**
 * Every subscription gets a test server of its own: a path that leaves the server's clock lock
 * taken (a run cancelled while its renewal order waits, an activity cut off) makes it stop
 * skipping time, and every later test on that server would then wait in real time.
 */
function currentEnvironment(): TestWorkflowEnvironment {
  if (!env) throw new Error('no test server yet: withSubscription starts one');
  return env;
}

async function freshEnvironment(): Promise<TestWorkflowEnvironment> {
  // A test that timed out may leave a worker on the old connection: that server is then left to the process's end.
  await env?.teardown().catch(() => undefined);
  env = await createTimeSkippingEnvironment();
  plainClient = new Client({ connection: env.connection, namespace: env.namespace ?? 'default' });
  return env;
}

// ---------------------------------------------------------------- the stub database and activities

type Activities = SubscriptionActivities;
type ActivityName = keyof Activities;
type Input<K extends ActivityName> = Parameters<Activities[K]>[0];
type Prepared = Awaited<ReturnType<Activities['prepareRenewal']>>;
type ChargeOutcome = 'paid' | 'unpaid';

interface Cycle {
  sequence: number;
  orderId: string;
  orderNumber: number;
  start: string;
  end: string;
  status: 'pending' | 'paid' | 'unpaid' | 'cancelled';
}

/** The subscription as PostgreSQL would hold it; the stubs read and write it as the real queries do. */
interface StubSubscription {
  status: SubscriptionStatus;
  cancelAtPeriodEnd: boolean;
  cancelReason: string | null;
  paymentMethod: 'card' | 'invoice';
  noticeDays: number;
  nextPeriodId: string | null;
  periodStart: string;
  periodEnd: string;
  cycles: Cycle[];
}

interface StubOptions {
  paymentMethod?: 'card' | 'invoice';
  /** chargeRenewal's outcome per call, in order; 'paid' once they run out. */
  charges?: ChargeOutcome[];
  /** What every renewal order of the fake does besides being paid (fixtures/subscription-test-workflows.ts). */
  script?: FakeOrderScript;
  /** setNextPeriod's answers per call, in order; ok once they run out. */
  periodChanges?: ({ ok: true } | { ok: false; code: PeriodChangeRefusal })[];
  /** The 'cancelled' mail waits until release() (a window in which the workflow is cancelled but running). */
  holdCancelledMail?: boolean;
}

interface Call {
  name: string;
  input: unknown;
  /** When the workflow scheduled it, on the test server's clock. */
  at: number;
  output?: unknown;
}

function createStubs(today: string, options: StubOptions = {}) {
  const db: StubSubscription = {
    status: 'active',
    cancelAtPeriodEnd: false,
    cancelReason: null,
    paymentMethod: options.paymentMethod ?? 'card',
    noticeDays: 7,
    nextPeriodId: null,
    periodStart: today,
    periodEnd: periodEnd(today, 'month', 1),
    cycles: [
      {
        sequence: 1,
        orderId: FIRST_ORDER_ID,
        orderNumber: 1001,
        start: today,
        end: periodEnd(today, 'month', 1),
        status: 'paid',
      },
    ],
  };
  const calls: Call[] = [];
  const charges = [...(options.charges ?? [])];
  const periodChanges = [...(options.periodChanges ?? [])];
  let releaseMail: () => void = noop;
  const mailReleased = new Promise<void>((resolve) => {
    releaseMail = resolve;
  });

  function record(name: string, input: unknown): Call {
    const call = { name, input, at: Context.current().info.currentAttemptScheduledTimestampMs };
    calls.push(call);
    return call;
  }
  const cycleOf = (orderId: string) => db.cycles.find((c) => c.orderId === orderId);

  const activities: Activities & FakeOrderActivities = {
    async loadSubscriptionTerm(input): Promise<SubscriptionTerm> {
      record('loadSubscriptionTerm', input);
      const pending = db.cycles.findLast((c) => c.status === 'pending');
      return {
        status: db.status,
        cancelAtPeriodEnd: db.cancelAtPeriodEnd,
        paymentMethod: db.paymentMethod,
        savedCardId: db.paymentMethod === 'card' ? 'card-1' : null,
        periodStart: db.periodStart,
        periodEnd: db.periodEnd,
        noticeDays: db.noticeDays,
        nextSequence: Math.max(...db.cycles.map((c) => c.sequence)) + 1,
        pendingRenewal: pending
          ? { sequence: pending.sequence, orderId: pending.orderId, orderNumber: pending.orderNumber }
          : null,
      };
    },
    async prepareRenewal(input): Promise<Prepared> {
      const call = record('prepareRenewal', input);
      let cycle = db.cycles.find((c) => c.sequence === input.sequence);
      if (!cycle) {
        // From the end of the current period, or from today when a pause let it lapse.
        const lapsed = input.today > db.periodEnd;
        const start = lapsed ? input.today : db.periodEnd;
        cycle = {
          sequence: input.sequence,
          orderId: randomUUID(),
          orderNumber: 1000 + input.sequence,
          start,
          end: periodEnd(start, 'month', 1),
          status: 'pending',
        };
        db.cycles.push(cycle);
      }
      const prepared: Prepared = {
        sequence: cycle.sequence,
        orderId: cycle.orderId,
        orderNumber: cycle.orderNumber,
        startDate: cycle.start,
        endDate: cycle.end,
        paymentMethod: db.paymentMethod,
        savedCardId: db.paymentMethod === 'card' ? 'card-1' : null,
        submission: {
          request: {
            payment_method: db.paymentMethod,
            lines: [{ product_id: 'product-1', period: 'monthly', start_date: cycle.start }],
            ...(options.script ? { notes: { internal: options.script } } : {}),
          },
          requestHash: `renewal:${input.subscriptionId}:${cycle.sequence}`,
          canOverridePrice: false,
        },
      };
      call.output = prepared;
      return prepared;
    },
    async recordSubscriptionState(change) {
      record('recordSubscriptionState', change);
      db.status = change.status;
      db.cancelAtPeriodEnd = change.cancelAtPeriodEnd;
      if (change.cancelReason !== undefined) db.cancelReason = change.cancelReason;
    },
    async renewalOrderStatus(input) {
      record('renewalOrderStatus', input);
      // Only a run that finds a renewal placed by an earlier one asks; these tests never restart one.
      return 'received';
    },
    async markRenewalCycle(input) {
      record('markRenewalCycle', input);
      const cycle = cycleOf(input.orderId);
      if (cycle?.status === 'pending') cycle.status = input.status;
    },
    async setNextPeriod(input) {
      record('setNextPeriod', input);
      const answer = periodChanges.shift() ?? { ok: true };
      if (answer.ok) {
        db.nextPeriodId = input.periodId;
        // The new period tells its subscribers two weeks ahead.
        db.noticeDays = 14;
      }
      return answer;
    },
    async queueSubscriptionEmail(input) {
      record('queueSubscriptionEmail', input);
      if (input.kind === 'cancelled' && options.holdCancelledMail) await mailReleased;
      return undefined as never;
    },
    async chargeRenewal(input) {
      record('chargeRenewal', input);
      if ((charges.shift() ?? 'paid') === 'unpaid') return { outcome: 'unpaid', payUrl: PAY_URL, declined: true };
      // The order is paid: the fake completes it (and the stub database moves the period on).
      await currentEnvironment().client.workflow.getHandle(input.orderWorkflowId).signal('fakePaid');
      return { outcome: 'paid' };
    },
    async planUnusedCredit(input): Promise<UnusedCreditPlan> {
      const call = record('planUnusedCredit', input);
      const paid = db.cycles.findLast((c) => c.status === 'paid')!;
      const credit = unusedPeriodCredit(PRICE, paid, input.asOf);
      const plan: UnusedCreditPlan = {
        kind: 'credit',
        orderId: paid.orderId,
        orderWorkflowId: `order-${input.tenantSlug}-${paid.orderNumber}`,
        lineId: `line-${paid.sequence}`,
        credit,
      };
      call.output = plan;
      return plan;
    },
    async cancelSubscriptionOrder(input): Promise<CancelResult> {
      record('cancelSubscriptionOrder', input);
      const credit = input.part.kind === 'credit_unused' ? input.part.amount : 0;
      return {
        ok: true,
        status: input.part.kind === 'withdraw' ? 'cancelled' : 'completed',
        full: input.part.kind === 'withdraw',
        seats_released: 0,
        fee: 0,
        credit_amount: credit,
        refund_amount: credit,
        refund_via: 'card',
        credit_note_number: 'K-2026-000001',
        attention_reason: null,
      };
    },
    async startSubscriptionWorkflows() {
      throw new Error('not used by the subscription workflow');
    },
    async fakeRenewalRenewed(input) {
      record('fakeRenewalRenewed', input);
      const cycle = cycleOf(input.orderId)!;
      cycle.status = 'paid';
      db.periodStart = cycle.start;
      db.periodEnd = cycle.end;
    },
  };

  return {
    db,
    calls,
    activities,
    releaseMail: () => releaseMail(),
    /** The inputs of one activity's calls, oldest first. */
    inputs<K extends ActivityName>(name: K): Input<K>[] {
      return calls.filter((c) => c.name === name).map((c) => c.input as Input<K>);
    },
    callsOf(name: ActivityName | keyof FakeOrderActivities): Call[] {
      return calls.filter((c) => c.name === name);
    },
    mails(kind?: string): Call[] {
      return calls.filter(
        (c) =>
          c.name === 'queueSubscriptionEmail' && (kind === undefined || (c.input as { kind: string }).kind === kind),
      );
    },
  };
}

type Stubs = ReturnType<typeof createStubs>;

// ---------------------------------------------------------------- driving a subscription

interface Drive {
  handle: WorkflowHandleWithFirstExecutionRunId<typeof subscriptionWorkflow>;
  stubs: Stubs;
  slug: string;
  /** The first period's first day and end (the first renewal date), on the server's calendar. */
  today: string;
  firstRenewal: string;
  progress(): Promise<SubscriptionProgress>;
  /** Polls (real time, the server's clock stands still) until the progress matches. */
  progressUntil(what: string, test: (p: SubscriptionProgress) => boolean): Promise<SubscriptionProgress>;
  until(what: string, test: () => boolean): Promise<void>;
  /** Skips the server's clock to that instant (timers on the way fire). */
  skipTo(ms: number): Promise<void>;
  now(): Promise<number>;
}

/** Subscriptions take longer than an order to get where a test waits for them. */
const POLL_LIMIT_MS = 15_000;
const poll = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined) =>
  pollUntil(what, probe, POLL_LIMIT_MS);

/** Starts a subscription on a task queue (and tenant slug, so order ids never collide) of its own. */
async function withSubscription<T>(name: string, options: StubOptions, drive: (d: Drive) => Promise<T>): Promise<T> {
  const env = await freshEnvironment();
  const suffix = randomUUID().slice(0, 8);
  const slug = `${name}-${suffix}`;
  const today = new Date(await env.currentTimeMs()).toISOString().slice(0, 10);
  const stubs = createStubs(today, options);
  const taskQueue = `subscription-${slug}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    activities: stubs.activities,
    workflowBundle: bundle,
  });
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start<typeof subscriptionWorkflow>('subscriptionWorkflow', {
      taskQueue,
      workflowId: subscriptionWorkflowId(slug, 1),
      args: [{ tenantId: TENANT_ID, tenantSlug: slug, subscriptionId: `sub-${suffix}`, number: 1 }],
      typedSearchAttributes: [
        { key: SubscriptionNumberKey, value: '1' },
        { key: SubscriptionStatusKey, value: 'active' },
      ],
    });
    const d: Drive = {
      handle,
      stubs,
      slug,
      today,
      firstRenewal: stubs.db.periodEnd,
      progress: () => handle.query(subscriptionProgressQuery),
      progressUntil: (what, test) =>
        poll(what, async () => {
          const progress = await handle.query(subscriptionProgressQuery);
          return test(progress) ? progress : undefined;
        }),
      until: async (what, test) => {
        await poll(what, () => (test() ? true : undefined));
      },
      async skipTo(ms) {
        const now = await env.currentTimeMs();
        if (ms > now) await env.sleep(ms - now);
      },
      now: () => env.currentTimeMs(),
    };
    return drive(d);
  });
}

/** A run that sleeps towards its next renewal (not in the middle of one). */
const asleep = (p: SubscriptionProgress) =>
  p.waitingFor === 'the renewal notice' || p.waitingFor === 'the renewal date';

const midnight = (date: string) => Date.parse(`${date}T00:00:00Z`);

function eventTimeMs(time: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return Number(time?.seconds ?? 0) * 1000 + Math.floor((time?.nanos ?? 0) / 1e6);
}

function closedAt(history: History): number {
  const events = history.events ?? [];
  return eventTimeMs(events[events.length - 1]?.eventTime);
}

const EventType = proto.temporal.api.enums.v1.EventType;

/** No workflow task and no activity outstanding in this history (as scenarios.ts judges a run idle). */
function isIdle(history: History): boolean {
  let open = 0;
  for (const event of history.events ?? []) {
    if (
      event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED ||
      event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    )
      open += 1;
    if (
      event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED ||
      event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED ||
      event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT ||
      event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED ||
      event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED ||
      event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT ||
      event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED
    )
      open -= 1;
  }
  return open === 0;
}

/** Polls until the workflows are idle: the time-skipping server loses an Update sent into an open task. */
async function idle(...workflowIds: string[]): Promise<void> {
  for (const id of workflowIds)
    await poll(`${id} to be idle`, async () =>
      isIdle(await plainClient.workflow.getHandle(id).fetchHistory()) ? true : undefined,
    );
}

/** The run ids of a chain of continue-as-new runs, from the first. */
async function runChain(handle: WorkflowHandle, firstRunId: string): Promise<{ runIds: string[]; first: History }> {
  const runIds = [firstRunId];
  let first: History | undefined;
  for (;;) {
    const history = await currentEnvironment()
      .client.workflow.getHandle(handle.workflowId, runIds.at(-1))
      .fetchHistory();
    first ??= history;
    const next = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    if (!next) return { runIds, first };
    runIds.push(next);
  }
}

async function updateFailure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (error as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

// ---------------------------------------------------------------- the tests

describe('a monthly card subscription renewed three times', () => {
  let run: {
    d: Drive;
    renewals: string[];
    runIds: string[];
    firstRun: History;
    progress: SubscriptionProgress;
    attributes: { status: unknown; nextRenewalAt: unknown };
    orderResults: unknown[];
  };

  beforeAll(async () => {
    run = await withSubscription('three', {}, async (d) => {
      const r1 = d.firstRenewal;
      const renewals = [r1, periodEnd(r1, 'month', 1), periodEnd(periodEnd(r1, 'month', 1), 'month', 1)];
      await d.skipTo(midnight(renewals[2]!) + DAY);
      const progress = await d.progressUntil('three renewals', (p) => p.renewals === 3 && asleep(p));
      const { runIds, first } = await runChain(d.handle, d.handle.firstExecutionRunId);
      const description = await d.handle.describe();
      const orderResults = await Promise.all(
        [2, 3, 4].map((s) => plainClient.workflow.getHandle(`order-${d.slug}-${1000 + s}`).result()),
      );
      return {
        d,
        renewals,
        runIds,
        firstRun: first,
        progress,
        attributes: {
          status: description.typedSearchAttributes.get(SubscriptionStatusKey),
          nextRenewalAt: description.typedSearchAttributes.get(NextRenewalAtKey),
        },
        orderResults,
      };
    });
  });

  it('sends the welcome mail once and a renewal notice noticeDays before each renewal', () => {
    const { d, renewals } = run;
    expect(d.stubs.mails('welcome')).toHaveLength(1);
    const notices = d.stubs.mails('renewal_notice');
    expect(notices.map((n) => n.input)).toEqual(
      renewals.map((r, i) => expect.objectContaining({ renewalDate: r, sequence: i + 2 })),
    );
    notices.forEach((notice, i) => {
      expect(notice.at).toBeGreaterThanOrEqual(midnight(renewals[i]!) - 7 * DAY);
      expect(notice.at).toBeLessThan(midnight(renewals[i]!) - 7 * DAY + 60_000);
    });
  });

  it('places one order per renewal date (sequences 2, 3, 4), each charged once and completed', () => {
    const { d, renewals } = run;
    const prepared = d.stubs.callsOf('prepareRenewal');
    expect(prepared.map((c) => c.input)).toEqual(
      renewals.map((r, i) => expect.objectContaining({ sequence: i + 2, today: r })),
    );
    prepared.forEach((call, i) => {
      expect(call.at).toBeGreaterThanOrEqual(midnight(renewals[i]!));
      expect(call.at).toBeLessThan(midnight(renewals[i]!) + 60_000);
    });
    expect(d.stubs.inputs('chargeRenewal').map((c) => [c.attempt, c.savedCardId])).toEqual([
      [1, 'card-1'],
      [1, 'card-1'],
      [1, 'card-1'],
    ]);
    expect(run.orderResults).toEqual(['completed', 'completed', 'completed']);
    expect(d.stubs.db.cycles.map((c) => [c.sequence, c.status])).toEqual([
      [1, 'paid'],
      [2, 'paid'],
      [3, 'paid'],
      [4, 'paid'],
    ]);
    expect(d.stubs.inputs('recordSubscriptionState')).toEqual([]);
  });

  it('continues as new after each renewal, carrying the renewal count', () => {
    expect(run.runIds).toHaveLength(4);
    expect(new Set(run.runIds).size).toBe(4);
    const nextRenewal = periodEnd(run.renewals[2]!, 'month', 1);
    expect(run.progress).toEqual({
      status: 'active',
      waitingFor: 'the renewal notice',
      nextRenewalAt: new Date(midnight(nextRenewal)).toISOString(),
      cancelAtPeriodEnd: false,
      renewals: 3,
    });
  });

  it('publishes SubscriptionStatus and NextRenewalAt as search attributes', () => {
    const nextRenewal = periodEnd(run.renewals[2]!, 'month', 1);
    expect(run.attributes.status).toBe('active');
    expect(run.attributes.nextRenewalAt).toEqual(new Date(midnight(nextRenewal)));
  });

  it('replays the first run deterministically on the real workflow bundle', async () => {
    await expect(
      Worker.runReplayHistory(
        { workflowBundle: { codePath: inject('workflowBundlePath') }, replayName: 'subscription-replay' },
        run.firstRun,
        run.d.handle.workflowId,
      ),
    ).resolves.toBeUndefined();
  });
});

describe('a failed renewal recovered on the second dunning attempt', () => {
  let d: Drive;
  let progress: SubscriptionProgress;

  beforeAll(async () => {
    await withSubscription('dunning', { charges: ['unpaid', 'paid'] }, async (drive) => {
      d = drive;
      await d.skipTo(midnight(d.firstRenewal) + 2 * DAY);
      progress = await d.progressUntil('the renewal', (p) => p.renewals === 1 && asleep(p));
    });
  });

  it('records past_due after the first attempt and active after the paid second one', () => {
    expect(d.stubs.inputs('recordSubscriptionState').map((s) => s.status)).toEqual(['past_due', 'active']);
    const charges = d.stubs.callsOf('chargeRenewal');
    expect(charges.map((c) => (c.input as { attempt: number }).attempt)).toEqual([1, 2]);
    expect(charges[1]!.at - charges[0]!.at).toBeGreaterThanOrEqual(DAY);
    expect(charges[1]!.at - charges[0]!.at).toBeLessThan(DAY + 60_000);
  });

  it('mails payment_failed once, with the pay link and the retry date', () => {
    expect(d.stubs.mails('payment_failed').map((m) => m.input)).toEqual([
      expect.objectContaining({ sequence: 201, payUrl: PAY_URL, retryDate: addDays(d.firstRenewal, 1) }),
    ]);
    expect(d.stubs.mails('suspended')).toEqual([]);
  });

  it('is active again with the next renewal scheduled at the new period end', () => {
    expect(progress.status).toBe('active');
    expect(progress.nextRenewalAt).toBe(new Date(midnight(periodEnd(d.firstRenewal, 'month', 1))).toISOString());
    expect(d.stubs.db.cycles.map((c) => c.status)).toEqual(['paid', 'paid']);
  });
});

describe('a renewal never paid: suspended after the last attempt, cancelled when the order expires', () => {
  let d: Drive;
  let result: SubscriptionStatus;
  let history: History;
  let orderResult: unknown;

  beforeAll(async () => {
    await withSubscription('suspend', { charges: ['unpaid', 'unpaid', 'unpaid', 'unpaid'] }, async (drive) => {
      d = drive;
      result = await d.handle.result();
      history = await d.handle.fetchHistory();
      orderResult = await plainClient.workflow.getHandle(`order-${d.slug}-1002`).result();
    });
  });

  it('charges on days 0, 1, 3 and 7 of the dunning', () => {
    const charges = d.stubs.callsOf('chargeRenewal');
    expect(charges.map((c) => (c.input as { attempt: number }).attempt)).toEqual([1, 2, 3, 4]);
    const days = charges.map((c) => Math.floor((c.at - charges[0]!.at) / DAY));
    expect(days).toEqual([0, 1, 3, 7]);
  });

  it('mails each failed attempt with its retry date, then suspended, then cancelled', () => {
    const r1 = d.firstRenewal;
    expect(d.stubs.mails('payment_failed').map((m) => m.input)).toEqual([
      expect.objectContaining({ sequence: 201, payUrl: PAY_URL, retryDate: addDays(r1, 1) }),
      expect.objectContaining({ sequence: 202, payUrl: PAY_URL, retryDate: addDays(r1, 3) }),
      expect.objectContaining({ sequence: 203, payUrl: PAY_URL, retryDate: addDays(r1, 7) }),
    ]);
    expect(d.stubs.mails('suspended').map((m) => m.input)).toEqual([expect.objectContaining({ payUrl: PAY_URL })]);
    expect(d.stubs.mails('cancelled')).toHaveLength(1);
  });

  it('is suspended, then cancelled (unpaid) with the cycle unpaid when the order expires at its window', () => {
    expect(d.stubs.inputs('recordSubscriptionState').map((s) => [s.status, s.cancelReason])).toEqual([
      ['past_due', undefined],
      ['suspended', undefined],
      ['cancelled', 'unpaid'],
    ]);
    const renewal = d.stubs.db.cycles[1]!;
    expect(d.stubs.inputs('markRenewalCycle')).toEqual([
      { tenantId: TENANT_ID, orderId: renewal.orderId, status: 'unpaid' },
    ]);
    expect(renewal.status).toBe('unpaid');
    expect(orderResult).toBe('expired');
    expect(result).toBe('cancelled');
    const placedAt = d.stubs.callsOf('prepareRenewal')[0]!.at;
    expect(closedAt(history) - placedAt).toBeGreaterThanOrEqual(14 * DAY);
    expect(closedAt(history) - placedAt).toBeLessThan(14 * DAY + 60_000);
  });
});

describe('cancelled at the period end', () => {
  let d: Drive;
  let answer: SubscriptionChangeResult;
  let result: SubscriptionStatus;
  let history: History;

  beforeAll(async () => {
    await withSubscription('period-end', {}, async (drive) => {
      d = drive;
      await d.progressUntil('the wait for the notice', (p) => p.waitingFor === 'the renewal notice');
      answer = await d.handle.executeUpdate(cancelSubscriptionUpdate, {
        args: [{ at: 'period_end', reason: 'Moving abroad' }],
      });
      result = await d.handle.result();
      history = await d.handle.fetchHistory();
    });
  });

  it('answers cancel_at_period_end with no renewal planned', () => {
    expect(answer).toEqual({ status: 'active', cancel_at_period_end: true, next_renewal_at: null });
    expect(d.stubs.inputs('recordSubscriptionState')[0]).toMatchObject({ status: 'active', cancelAtPeriodEnd: true });
  });

  it('renews no more and ends at the period end with a cancelled mail', () => {
    expect(d.stubs.callsOf('prepareRenewal')).toEqual([]);
    expect(d.stubs.callsOf('chargeRenewal')).toEqual([]);
    expect(d.stubs.mails('renewal_notice')).toEqual([]);
    expect(d.stubs.mails('cancelled')).toHaveLength(1);
    expect(result).toBe('cancelled');
    expect(d.stubs.db.status).toBe('cancelled');
    expect(closedAt(history)).toBeGreaterThanOrEqual(midnight(d.firstRenewal));
    expect(closedAt(history)).toBeLessThan(midnight(d.firstRenewal) + 60_000);
  });

  it('keeps the reason the subscriber gave', () => {
    expect(d.stubs.db.cancelReason).toBe('Moving abroad');
  });
});

describe('cancelled at once', () => {
  let d: Drive;
  let answer: SubscriptionChangeResult;
  let refusal: ApplicationFailure;
  let result: SubscriptionStatus;
  let history: History;
  let cancelledAt: number;

  beforeAll(async () => {
    await withSubscription('now', { holdCancelledMail: true }, async (drive) => {
      d = drive;
      await d.skipTo(midnight(d.today) + 10 * DAY);
      await d.progressUntil('the wait for the notice', (p) => p.waitingFor === 'the renewal notice');
      cancelledAt = await d.now();
      const cancelling = d.handle.executeUpdate(cancelSubscriptionUpdate, { args: [{ at: 'now' }] });
      // The cancelled mail is held: the subscription is cancelled, its workflow still runs.
      await d.until('the cancelled mail', () => d.stubs.mails('cancelled').length > 0);
      refusal = await updateFailure(d.handle.executeUpdate(pauseSubscriptionUpdate));
      d.stubs.releaseMail();
      answer = await cancelling;
      result = await d.handle.result();
      history = await d.handle.fetchHistory();
    });
  });

  it('credits the unused part through the cancellation of the order that paid the period', () => {
    const asOf = new Date(cancelledAt).toISOString().slice(0, 10);
    const [plan] = d.stubs.callsOf('planUnusedCredit');
    expect(plan!.input).toMatchObject({ asOf, tenantSlug: d.slug });
    const planned = plan!.output as Extract<UnusedCreditPlan, { kind: 'credit' }>;
    expect(planned.credit).toBeGreaterThan(0);
    expect(d.stubs.inputs('cancelSubscriptionOrder')).toEqual([
      expect.objectContaining({
        orderId: FIRST_ORDER_ID,
        part: { kind: 'credit_unused', amount: planned.credit, lineId: planned.lineId },
        reason: 'cancelled_at_once',
      }),
    ]);
    expect(answer).toEqual({
      status: 'cancelled',
      cancel_at_period_end: false,
      next_renewal_at: null,
      credit: { amount: planned.credit, refund_amount: planned.credit, credit_note_number: 'K-2026-000001' },
    });
  });

  it('is cancelled at once, with a cancelled mail', () => {
    expect(d.stubs.inputs('recordSubscriptionState')).toEqual([
      expect.objectContaining({ status: 'cancelled', cancelReason: 'cancelled_at_once' }),
    ]);
    expect(d.stubs.mails('cancelled')).toHaveLength(1);
    expect(result).toBe('cancelled');
    expect(closedAt(history)).toBeLessThan(cancelledAt + 60_000);
    expect(d.stubs.callsOf('prepareRenewal')).toEqual([]);
  });

  it('refuses a pause of the cancelled subscription (SubscriptionStateConflict, subscription_cancelled)', () => {
    expect(refusal.type).toBe('SubscriptionStateConflict');
    expect(refusal.details).toEqual(['subscription_cancelled']);
  });
});

describe('paused mid-period, resumed after the period end', () => {
  let d: Drive;
  let paused: { progress: SubscriptionProgress; status: unknown; answer: unknown };
  let resumedOn: string;
  let resumeAnswer: unknown;
  let progress: SubscriptionProgress;

  beforeAll(async () => {
    await withSubscription('pause', {}, async (drive) => {
      d = drive;
      await d.skipTo(midnight(d.today) + 5 * DAY);
      await d.progressUntil('the wait for the notice', (p) => p.waitingFor === 'the renewal notice');
      const answer = await d.handle.executeUpdate(pauseSubscriptionUpdate);
      await d.skipTo(midnight(d.firstRenewal) + 3 * DAY);
      const pausedProgress = await d.progressUntil(
        'the wait for a resume',
        (p) => p.waitingFor?.includes('resumed') === true,
      );
      const description = await d.handle.describe();
      paused = {
        progress: pausedProgress,
        status: description.typedSearchAttributes.get(SubscriptionStatusKey),
        answer,
      };
      resumedOn = new Date(await d.now()).toISOString().slice(0, 10);
      resumeAnswer = await d.handle.executeUpdate(resumeSubscriptionUpdate);
      progress = await d.progressUntil('the renewal', (p) => p.renewals === 1 && asleep(p));
    });
  });

  it('renews nothing at the period end while paused', () => {
    expect(paused.answer).toEqual({ status: 'paused', cancel_at_period_end: false, next_renewal_at: null });
    expect(paused.progress).toMatchObject({ status: 'paused', nextRenewalAt: null, renewals: 0 });
    expect(paused.status).toBe('paused');
    const prepared = d.stubs.callsOf('prepareRenewal');
    expect(prepared).toHaveLength(1);
    expect(prepared[0]!.at).toBeGreaterThanOrEqual(midnight(d.firstRenewal) + 3 * DAY);
    expect(d.stubs.mails('renewal_notice')).toEqual([]);
  });

  it('renews at once on the resume, from that day', () => {
    expect(resumeAnswer).toMatchObject({ status: 'active', cancel_at_period_end: false });
    expect(d.stubs.inputs('prepareRenewal')).toEqual([expect.objectContaining({ sequence: 2, today: resumedOn })]);
    expect(d.stubs.inputs('recordSubscriptionState').map((s) => s.status)).toEqual(['paused', 'active']);
    expect(d.stubs.db.periodStart).toBe(resumedOn);
    expect(progress.nextRenewalAt).toBe(new Date(midnight(periodEnd(resumedOn, 'month', 1))).toISOString());
  });
});

describe('a change of period', () => {
  let d: Drive;
  let answer: unknown;
  let refusal: ApplicationFailure;

  beforeAll(async () => {
    await withSubscription(
      'period',
      { periodChanges: [{ ok: true }, { ok: false, code: 'period_inactive' }] },
      async (drive) => {
        d = drive;
        await d.progressUntil('the wait for the notice', (p) => p.waitingFor === 'the renewal notice');
        answer = await d.handle.executeUpdate(changeSubscriptionPeriodUpdate, { args: [{ periodId: 'yearly' }] });
        refusal = await updateFailure(
          d.handle.executeUpdate(changeSubscriptionPeriodUpdate, { args: [{ periodId: 'old' }] }),
        );
        // The new period's notice days (14) count from now on.
        await d.skipTo(midnight(d.firstRenewal) - 10 * DAY);
        await d.until('the renewal notice', () => d.stubs.mails('renewal_notice').length > 0);
      },
    );
  });

  it('sets the next period and re-plans with its notice days', () => {
    expect(answer).toMatchObject({ status: 'active', cancel_at_period_end: false });
    expect(d.stubs.inputs('setNextPeriod').map((c) => c.periodId)).toEqual(['yearly', 'old']);
    expect(d.stubs.db.nextPeriodId).toBe('yearly');
    const [notice] = d.stubs.mails('renewal_notice');
    expect(notice!.at).toBeGreaterThanOrEqual(midnight(d.firstRenewal) - 14 * DAY);
    expect(notice!.at).toBeLessThan(midnight(d.firstRenewal) - 14 * DAY + 60_000);
  });

  it('refuses a period the rules refuse (SubscriptionChangeInvalid with the code)', () => {
    expect(refusal.type).toBe('SubscriptionChangeInvalid');
    expect(refusal.details).toEqual(['period_inactive']);
  });
});

describe('a renewal order refused', () => {
  it('cancels the subscription (renewal_refused) and marks the cycle unpaid', async () => {
    await withSubscription('refused', { script: 'reject' }, async (d) => {
      expect(await d.handle.result()).toBe('cancelled');
      expect(d.stubs.callsOf('chargeRenewal')).toEqual([]);
      expect(d.stubs.inputs('recordSubscriptionState')).toEqual([
        expect.objectContaining({ status: 'cancelled', cancelReason: 'renewal_refused' }),
      ]);
      expect(d.stubs.db.cycles[1]!.status).toBe('unpaid');
      expect(d.stubs.mails('cancelled')).toHaveLength(1);
    });
  });
});

describe('a change of period during dunning', () => {
  it('keeps numbering the dunning mails by the renewal being collected', async () => {
    await withSubscription('dunning-change', { charges: ['unpaid', 'unpaid', 'paid'] }, async (d) => {
      await d.skipTo(midnight(d.firstRenewal) + DAY / 2);
      await d.progressUntil('the dunning', (p) => p.waitingFor === 'dunning attempt 2');
      await d.handle.executeUpdate(changeSubscriptionPeriodUpdate, { args: [{ periodId: 'yearly' }] });
      await d.skipTo(midnight(d.firstRenewal) + 4 * DAY);
      await d.progressUntil('the renewal', (p) => p.renewals === 1 && asleep(p));
      expect(d.stubs.mails('payment_failed').map((m) => m.input)).toEqual([
        expect.objectContaining({ sequence: 201, retryDate: addDays(d.firstRenewal, 1) }),
        expect.objectContaining({ sequence: 202, retryDate: addDays(d.firstRenewal, 3) }),
      ]);
    });
  });
});

// After this path the time-skipping server stops skipping time (its clock lock is left taken
// somewhere in the cancelled-but-running subscription's end): the next test gets a server of its own.
describe('cancelled at once while its renewal order awaits approval', () => {
  it('withdraws the renewal order and never charges it', async () => {
    await withSubscription('held', { script: 'hold' }, async (d) => {
      await d.skipTo(midnight(d.firstRenewal) + DAY);
      await d.progressUntil('the held renewal', (p) => p.waitingFor === 'the renewal order to be taken');
      await idle(d.handle.workflowId, `order-${d.slug}-1002`);
      const answer = await d.handle.executeUpdate(cancelSubscriptionUpdate, { args: [{ at: 'now' }] });
      expect(answer.status).toBe('cancelled');
      const renewal = d.stubs.db.cycles[1]!;
      await currentEnvironment()
        .client.workflow.getHandle(`order-${d.slug}-${renewal.orderNumber}`)
        .signal('fakeApproved');
      await plainClient.workflow
        .getHandle(d.handle.workflowId)
        .result()
        .catch(() => undefined);
      expect.soft(d.stubs.inputs('cancelSubscriptionOrder').map((c) => c.orderId)).toContain(renewal.orderId);
      expect
        .soft(d.stubs.inputs('markRenewalCycle'))
        .toEqual([{ tenantId: TENANT_ID, orderId: renewal.orderId, status: 'cancelled' }]);
      expect.soft(d.stubs.callsOf('chargeRenewal')).toEqual([]);
    });
  });
});
