import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExtraApi, startExtraApi } from '../helpers/extra-api';
import { startTestStack, type TestStack } from '../helpers/test-stack';
import { CreateOrder, type CreateSpec, commandArbitraries, createSpec } from './commands';
import { InvariantViolation } from './http';
import { checkAfterStep, checkMail } from './invariants';
import { allOrders, describeOrder, type Model } from './model';
import { SUBSCRIPTION_DAY_MS } from './subscriptions';
import { createFixtures, type Real, type WorldParams } from './world';

// Model-based test of the whole orchestrator: random sequences of operations on random orders,
// through the real HTTP API against the real stack (Temporal dev server, PostgreSQL, sandbox
// provider with signed webhooks, SMTP sink), with every invariant checked after every step.
//
//   npm test                                 a bounded number of runs (MODEL_RUNS, default 8)
//   npm run test:model -- --runs 50          more
//   MODEL_SEED=… MODEL_PATH=… MODEL_REPLAY_PATH=… npm run test:model     replays a failure
//
// See test/model/README.md for the commands, the invariants and how to read a failure.

const env = process.env;
const RUNS = Number(env.MODEL_RUNS ?? 8);
const MAX_COMMANDS = Number(env.MODEL_MAX_COMMANDS ?? 10);
/** Runs and shrinking stop after this long; a failure found by then is reported shrunk as far as it got. */
const TIME_LIMIT_MS = Number(env.MODEL_TIME_LIMIT_MS ?? 100_000);
/** The preliminary window of orders placed with `short-window` (the other API keeps the tenant's 30 min). */
const SHORT_WINDOW_MS = Number(env.MODEL_SHORT_WINDOW_MS ?? 2_000);
const SEED = env.MODEL_SEED ? Number(env.MODEL_SEED) : undefined;
const PATH = env.MODEL_PATH || undefined;
const REPLAY_PATH = env.MODEL_REPLAY_PATH || undefined;
/** Only these commands (comma-separated; test/model/run.ts lists the names). */
const ONLY = env.MODEL_COMMANDS ? env.MODEL_COMMANDS.split(',').map((c) => c.trim()) : undefined;

let stack: TestStack;
let shortApi: ExtraApi;

beforeAll(async () => {
  stack = await startTestStack({ subscriptionDayMs: SUBSCRIPTION_DAY_MS });
  shortApi = await startExtraApi(stack, { preliminaryWindowMs: SHORT_WINDOW_MS });
});
afterAll(async () => {
  await shortApi?.stop();
  await stack?.stop();
});

const worldParams: fc.Arbitrary<WorldParams> = fc.record({
  feePercent: fc.constantFrom(0, 10, 12.5),
  latePolicy: fc.constantFrom<WorldParams['latePolicy']>('refund', 'rebook'),
  capacityA: fc.integer({ min: 4, max: 8 }),
  capacityB: fc.integer({ min: 3, max: 6 }),
});

/**
 * Ends what a run left running, so the next run (and the shrinker) starts clean: its subscriptions
 * first (they place orders), then every order of the run's tenant (renewals included).
 */
async function stopWorkflows(real: Real, model: Model): Promise<void> {
  const terminate = async (workflowId: string) => {
    const handle = real.stack.temporal.workflow.getHandle(workflowId);
    try {
      const description = await handle.describe();
      if (description.status.name === 'RUNNING') await handle.terminate('model run finished');
    } catch {
      // already gone
    }
  };
  await Promise.all(model.subscriptions.map((s) => terminate(s.workflowId)));
  const orders = await real.stack.database.db
    .selectFrom('orders')
    .select('number')
    .where('tenant_id', '=', real.fx.tenantId)
    .execute();
  await Promise.all(orders.map((o) => terminate(`order-${real.fx.tenantSlug}-${o.number}`)));
}

async function runOnce(
  params: WorldParams,
  first: CreateSpec[],
  commands: Iterable<fc.AsyncCommand<Model, Real>>,
): Promise<void> {
  const fx = await createFixtures(stack, params);
  const model: Model = { fx, orders: [], subscriptions: [], seq: 0 };
  const real: Real = { stack, shortApi, fx, trace: [], documents: new Map() };
  try {
    // Every run starts with an order or two, so that the random commands have something to act on.
    await fc.asyncModelRun(() => ({ model, real }), [...first.map((spec) => new CreateOrder(spec)), ...commands]);
    await checkAfterStep(real, model, null);
    await checkMail(real, model);
    if (env.MODEL_VERBOSE) console.info(`run ${fx.tenantSlug} ${JSON.stringify(params)}\n${real.trace.join('\n')}`);
  } catch (error) {
    const world =
      `tenant ${fx.tenantSlug}: fee ${params.feePercent}%, late payments ${params.latePolicy},` +
      ` capacity A=${params.capacityA} B=${params.capacityB}`;
    const trace = real.trace.map((line) => `    ${line}`).join('\n');
    const orders = allOrders(model)
      .map((o) => `    ${describeOrder(o)} id=${o.id}`)
      .concat(
        model.subscriptions.map(
          (s) =>
            `    ${s.label}(#${s.number} ${s.kind} ${s.status}${s.cancelAtPeriodEnd ? ' ending' : ''}` +
            ` cycles=${s.cycles.size}) id=${s.id}`,
        ),
      )
      .join('\n');
    const cause = error instanceof Error ? error.message : String(error);
    const message = `${cause}\n  ${world}\n  steps:\n${trace}\n  model:\n${orders}`;
    if (error instanceof InvariantViolation) throw new InvariantViolation(message);
    throw new Error(message, { cause: error });
  } finally {
    await stopWorkflows(real, model);
  }
}

describe('order orchestrator model', () => {
  it('keeps every invariant under random sequences of operations', { timeout: TIME_LIMIT_MS + 120_000 }, async () => {
    const property = fc.asyncProperty(
      worldParams,
      fc.array(createSpec, { minLength: 1, maxLength: 2 }),
      fc.commands(commandArbitraries(ONLY), {
        maxCommands: MAX_COMMANDS,
        size: 'max',
        ...(REPLAY_PATH ? { replayPath: REPLAY_PATH } : {}),
      }),
      (params, first, commands) => runOnce(params, first, commands),
    );
    const details = await fc.check(property, {
      numRuns: RUNS,
      interruptAfterTimeLimit: TIME_LIMIT_MS,
      markInterruptAsFailure: false,
      ...(SEED !== undefined ? { seed: SEED } : {}),
      ...(PATH ? { path: PATH } : {}),
    });
    if (details.failed) {
      const printed = fc.stringify(details.counterexample);
      const replayPath = /replayPath="([^"]*)"/.exec(printed)?.[1];
      const generation = [
        'MODEL_COMMANDS',
        'MODEL_MAX_COMMANDS',
        'MODEL_MAX_SUBSCRIPTIONS',
        'MODEL_SUBSCRIPTION_DAY_MS',
      ]
        .filter((k) => env[k])
        .map((k) => `${k}=${env[k]} `)
        .join('');
      const replay =
        `${generation}MODEL_SEED=${details.seed} MODEL_PATH=${details.counterexamplePath}` +
        `${replayPath ? ` MODEL_REPLAY_PATH=${replayPath}` : ''} npm run test:model`;
      const error =
        details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
      const message =
        `${fc.defaultReportMessage(details)}\n\nFailure (shrunk):\n${error}` +
        `\n\nReplay this failure:\n  ${replay}\n`;
      expect.fail(message);
    }
    console.info(
      `model: ${details.numRuns} run(s) passed${details.interrupted ? ' (stopped at the time limit)' : ''},` +
        ` seed ${details.seed}`,
    );
  });
});
