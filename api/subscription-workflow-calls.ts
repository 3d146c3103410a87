import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Context } from 'hono';
import { findSubscriptionRef, type SubscriptionRef } from '../db/queries/subscriptions';
import { SUBSCRIPTION_CHANGE_INVALID, SUBSCRIPTION_STATE_CONFLICT } from '../workflows/subscription-messages';
import type { AppEnv } from './app-env';
import { ApiProblem, problems } from './problem';
import { uuidParam } from './schemas/common';

// How the API asks a subscription's workflow for a change (issue 13, point 4): the workflow alone
// decides and writes the change; these helpers find its id, key the Update and translate refusals.

/** The caller's subscription (404 for an unknown id, a malformed one, or another tenant's). */
export async function findSubscriptionToChange(c: Context<AppEnv>, id: string): Promise<SubscriptionRef> {
  if (!uuidParam.safeParse(id).success) throw problems.notFound('subscription');
  const subscription = await findSubscriptionRef(c.get('deps').db, c.get('auth').tenantId, id);
  if (!subscription) throw problems.notFound('subscription');
  return subscription;
}

/**
 * The Update id for a change sent with an Idempotency-Key: the same key asks the same change of the
 * same workflow, so Temporal answers a retry with the first result instead of running it again.
 * The change's name is part of it so that one key reused for another change is not mistaken for it.
 * Without a key Temporal picks a fresh id.
 */
export function subscriptionUpdateId(change: string, idempotencyKey: string | undefined): string | undefined {
  return idempotencyKey === undefined ? undefined : `${change}:${idempotencyKey}`;
}

const ENDED_MESSAGE = 'The subscription has ended; nothing about it changes now';

interface UpdateFailureCause {
  type?: string;
  details?: unknown[];
  message?: string;
}

/**
 * Maps what a subscription Update can fail with to problem+json: a refusal of the subscription's
 * state → 409 with the workflow's code; input the rules refuse → 422 with its code and `field`
 * named; a workflow that is gone (never started, or ended with the subscription) → 409
 * `subscription_cancelled`. Anything else (an outage included) is rethrown as it is, so the
 * app's error handling answers it (503 for Temporal unreachable).
 */
export function subscriptionUpdateProblem(error: unknown, field: string): unknown {
  if (error instanceof ApiProblem) return error;
  if (error instanceof WorkflowUpdateFailedError) {
    const cause = error.cause as UpdateFailureCause | undefined;
    const code = typeof cause?.details?.[0] === 'string' ? cause.details[0] : undefined;
    if (cause?.type === SUBSCRIPTION_STATE_CONFLICT)
      return problems.conflict(code ?? 'subscription_state_conflict', cause.message ?? 'Not in this state');
    if (cause?.type === SUBSCRIPTION_CHANGE_INVALID) {
      const message = cause.message ?? 'The change is not valid';
      const fieldCode = code ?? 'subscription_change_invalid';
      return problems.unprocessable(fieldCode, message, [{ code: fieldCode, message, field }]);
    }
  }
  if (error instanceof WorkflowNotFoundError || (error instanceof Error && /already completed/i.test(error.message)))
    return problems.conflict('subscription_cancelled', ENDED_MESSAGE);
  return error;
}
