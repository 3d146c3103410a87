import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  type OrderIdentity,
  renewIdempotencyIdentity,
  type StoredAnswer,
  storeIdempotentAnswer,
} from '../db/queries/order-numbers';
import { loadTakenOrderSummary } from '../db/queries/order-summary';
import type { SubmitResult } from '../workflows/order-messages';
import type { AppEnv } from './app-env';
import { problems } from './problem';

// What POST /v1/orders does with an Idempotency-Key beyond claiming it: answers are stored as
// the bytes sent (a replay is the same answer, not a re-serialisation of it), and a retry after
// an attempt that left no answer learns what became of that attempt instead of waiting or
// repeating an old failure.

/** The submit Update's id: one per order identity, so a retried submit is deduplicated by Temporal. */
export function submitUpdateId(orderId: string): string {
  return `submit-${orderId}`;
}

/**
 * Sends an order answer; with a key it is stored first, and what the key keeps is sent (of two
 * requests finishing together, both send the first one's bytes). Problems carry the request id
 * of the request that produced them, also when replayed.
 */
export async function answerOrder(
  c: Context<AppEnv>,
  key: string | undefined,
  orderId: string,
  status: number,
  body: unknown,
): Promise<Response> {
  const problem = status >= 400;
  const answer: StoredAnswer = {
    status,
    contentType: problem ? 'application/problem+json' : 'application/json',
    bytes: Buffer.from(JSON.stringify(problem ? { ...(body as object), request_id: c.get('requestId') } : body)),
  };
  if (!key) return sendAnswer(c, answer, orderId);
  const kept = await storeIdempotentAnswer(c.get('deps').db, c.get('auth').tenantId, key, orderId, answer);
  return sendAnswer(c, kept, kept.orderId ?? orderId);
}

/** A stored answer, byte for byte, with its Content-Type (and the order's Location for a 201). */
export function sendAnswer(c: Context<AppEnv>, answer: StoredAnswer, orderId: string): Response {
  const headers: Record<string, string> = { 'Content-Type': answer.contentType };
  if (answer.status === 201) headers.Location = `/v1/orders/${orderId}`;
  return c.body(new Uint8Array(answer.bytes), answer.status as ContentfulStatusCode, headers);
}

/**
 * A retry while the key's lease is held — typically the client gave up on an answer that is
 * still coming. When the order is taken, or its submit (the same Update id) finishes with an
 * order while we wait, that is the answer; otherwise undefined (the caller answers 409).
 */
export async function settleInFlight(
  c: Context<AppEnv>,
  key: string,
  identity: OrderIdentity,
  workflowId: string,
): Promise<Response | undefined> {
  const { db, temporal } = c.get('deps');
  const { tenantId } = c.get('auth');
  const taken = await loadTakenOrderSummary(db, tenantId, identity.orderId);
  if (taken) return answerOrder(c, key, identity.orderId, 201, taken);
  try {
    const update = temporal.workflow
      .getHandle(workflowId)
      .getUpdateHandle<SubmitResult>(submitUpdateId(identity.orderId));
    if (!(await update.result()).ok) return undefined;
  } catch (error) {
    // Not started yet, failed, or not done within our deadline: the request holding the key answers.
    const pending =
      error instanceof WorkflowNotFoundError ||
      error instanceof WorkflowUpdateFailedError ||
      error instanceof WorkflowUpdateRPCTimeoutOrCancelledError;
    if (pending) return undefined;
    throw error;
  }
  const placed = await loadTakenOrderSummary(db, tenantId, identity.orderId);
  return placed ? answerOrder(c, key, identity.orderId, 201, placed) : undefined;
}

/**
 * A key whose earlier attempt stored no answer (its request failed or timed out). Either the
 * outcome is known — the order exists: 201 at once — or the identity to submit with comes back:
 * the same one while its workflow has not started or is still taking the order (the same
 * Update id then waits for that Update's result) or has an answer (Temporal returns the stored
 * outcome), a fresh one when its workflow ended without an order (a failed intake: that
 * workflow id cannot run again, REJECT_DUPLICATE).
 */
export async function resumeAttempt(
  c: Context<AppEnv>,
  key: string,
  identity: OrderIdentity,
  workflowId: string,
): Promise<{ response: Response } | { identity: OrderIdentity }> {
  const { db, temporal } = c.get('deps');
  const { tenantId } = c.get('auth');
  // Taken, and the answer lost with the database or the connection: that order is the answer.
  const taken = await loadTakenOrderSummary(db, tenantId, identity.orderId);
  if (taken) return { response: await answerOrder(c, key, identity.orderId, 201, taken) };

  const handle = temporal.workflow.getHandle(workflowId);
  try {
    const { status } = await handle.describe();
    if (status.name === 'RUNNING') return { identity };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return { identity };
    throw error;
  }
  try {
    await handle.getUpdateHandle(submitUpdateId(identity.orderId)).result();
    return { identity };
  } catch (error) {
    // The Update failed (intake unavailable), or the workflow closed without it.
    if (!(error instanceof WorkflowUpdateFailedError || error instanceof WorkflowNotFoundError)) throw error;
  }
  const fresh = await renewIdempotencyIdentity(db, tenantId, key, identity.orderId, false);
  // Another request stored the key's answer meanwhile: that request's client has it.
  if (!fresh) {
    throw problems.conflict(
      'request_in_progress',
      'A request with this Idempotency-Key is still being processed; retry shortly',
    );
  }
  c.get('logger').info(
    { stale_order: identity.orderNumber, order: fresh.orderNumber },
    'idempotency key renewed after a failed intake',
  );
  return { identity: fresh };
}
