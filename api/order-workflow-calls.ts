import { z } from '@hono/zod-openapi';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Context } from 'hono';
import { findOrderForTenant } from '../db/queries/orders';
import { ORDER_STATE_CONFLICT } from '../workflows/order-messages';
import type { AppEnv } from './app-env';
import { ApiProblem, problems } from './problem';

/** The caller's order (404 for an unknown id, a malformed one, or another tenant's). */
export async function findOrder(c: Context<AppEnv>, id: string) {
  if (!z.string().uuid().safeParse(id).success) throw problems.notFound('order');
  const order = await findOrderForTenant(c.get('deps').db, c.get('auth').tenantId, id);
  if (!order) throw problems.notFound('order');
  return order;
}

/**
 * Maps what an order Update can fail with to problem+json: a validator that refused because
 * of the order's state → 409 with the workflow's code; a finished workflow → 409 `closedCode`.
 */
export function orderUpdateProblem(error: unknown, closedCode: string, closedMessage: string): unknown {
  if (error instanceof ApiProblem) return error;
  if (error instanceof WorkflowUpdateFailedError) {
    const cause = error.cause as { type?: string; details?: unknown[]; message?: string } | undefined;
    if (cause?.type === ORDER_STATE_CONFLICT)
      return problems.conflict(String(cause.details?.[0] ?? closedCode), cause.message ?? closedMessage);
  }
  if (error instanceof WorkflowNotFoundError || (error instanceof Error && /already completed/i.test(error.message))) {
    return problems.conflict(closedCode, closedMessage);
  }
  return error;
}
