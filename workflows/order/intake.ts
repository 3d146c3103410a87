import { ApplicationFailure, condition, log, sleep, workflowInfo } from '@temporalio/workflow';
import { ORDER_INTAKE_UNAVAILABLE, type OrderSubmission, type SubmitResult } from '../order-messages';
import { activities, intakeActivities } from './activities';
import type { OrderProcess } from './order-process';

/** How long an unsubmitted workflow waits before giving up (Update-with-Start submits at once). */
const SUBMIT_WAIT_MS = 10 * 60_000;
/** A renewal's intake that failed (the database was away) is tried again this much later. */
const INTAKE_RETRY_MS = 60_000;

/**
 * The submit Update: one activity takes the order (validate, place, open the payment session)
 * while the client waits. The API retries a lost answer with the same Update id (deduplicated
 * by the server); a second, different Update gets the first answer, never a second order.
 */
export async function submitOrder(order: OrderProcess, submission: OrderSubmission): Promise<SubmitResult> {
  if (order.intake.phase !== 'waiting') {
    await condition(() => order.intake.phase !== 'running');
    return answerOf(order);
  }
  order.intake = { phase: 'running' };
  try {
    const taken = await intakeActivities.intakeOrder({
      ...order.scope,
      orderNumber: order.start.orderNumber,
      workflowId: workflowInfo().workflowId,
      submission,
      startedAtMs: Date.now(),
      ...(windowOverrideMs(order) ? { windowOverrideMs: windowOverrideMs(order) } : {}),
      ...(order.start.approvalWindowOverrideMs
        ? { approvalWindowOverrideMs: order.start.approvalWindowOverrideMs }
        : {}),
    });
    if (!taken.ok) {
      order.intake = { phase: 'refused', errors: taken.errors };
      return answerOf(order);
    }
    order.facts = {
      paymentMethod: taken.paymentMethod,
      total: taken.total,
      amountDue: taken.total,
      preliminaryUntil: taken.preliminaryUntil,
      windowMs: taken.windowMs,
      serviceStartsAt: taken.firstStartsAt ? Date.parse(taken.firstStartsAt) : null,
      sellsGiftVouchers: taken.sellsGiftVouchers,
      // Read as optional: histories recorded before subscriptions have no such field.
      ...(taken.sellsSubscriptions ? { sellsSubscriptions: true } : {}),
      approval: taken.approval,
    };
    order.setPaymentMethod(taken.paymentMethod);
    if (taken.bookerEmail) order.setCustomerEmail(taken.bookerEmail);
    order.intake = { phase: 'taken' };
    return answerOf(order);
  } catch (error) {
    // Whatever part of the order was written is taken back before the client hears of it.
    await activities.abandonOrder(order.scope);
    order.intake = { phase: 'failed' };
    log.error('order intake failed', { error: String(error) });
    throw ApplicationFailure.nonRetryable(
      'The order could not be taken right now; nothing was held. Retry later.',
      ORDER_INTAKE_UNAVAILABLE,
    );
  }
}

function windowOverrideMs(order: OrderProcess): number | undefined {
  return order.start.renewal?.paymentWindowMs ?? order.start.preliminaryWindowOverrideMs;
}

function answerOf(order: OrderProcess): SubmitResult {
  const { intake } = order;
  if (intake.phase === 'taken') return { ok: true };
  if (intake.phase === 'refused') return { ok: false, errors: intake.errors };
  throw ApplicationFailure.nonRetryable(
    'The order could not be taken right now; nothing was held. Retry later.',
    ORDER_INTAKE_UNAVAILABLE,
  );
}

/**
 * An order a workflow placed (a renewal) has no client to retry it: an intake that could not
 * reach the database is tried again until it is taken or refused.
 */
async function takeStartSubmission(order: OrderProcess, submission: OrderSubmission): Promise<void> {
  for (;;) {
    try {
      await submitOrder(order, submission);
      return;
    } catch {
      order.intake = { phase: 'waiting' };
      await sleep(INTAKE_RETRY_MS);
    }
  }
}

/**
 * The intake phase of the main process: waits for the submit Update and answers whether the
 * order was taken. The short wait for the Update to start costs no timer in the usual case:
 * with Update-with-Start the Update is running before the main process first waits.
 */
export async function awaitIntake(order: OrderProcess): Promise<boolean> {
  if (order.start.submission) await takeStartSubmission(order, order.start.submission);
  const started = await order.wait(() => order.intake.phase !== 'waiting', SUBMIT_WAIT_MS, 'order submitted');
  if (started) await condition(() => order.intake.phase !== 'running');
  if (order.intake.phase !== 'taken') {
    if (order.intake.phase === 'refused')
      log.info('order rejected', { errors: order.intake.errors.map((e) => e.code) });
    order.move('rejected', null);
    return false;
  }
  return true;
}
