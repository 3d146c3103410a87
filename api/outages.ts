import { isGrpcServiceError, ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import type { Context } from 'hono';
import { isStalePlanError } from '../db/prepared-statements';
import type { AppEnv } from './app-env';
import { ApiProblem, problemResponse } from './problem';
import { paymentPageUnavailable } from './routes/sandbox-psp-page';

// One place decides what a failure of PostgreSQL or Temporal looks like to a client: a 503
// problem with a stable code, the dependency named (never the driver's message, which may name
// hosts, users or tables) and Retry-After — not a 500, which says "our bug, do not retry".

export type Dependency = 'postgres' | 'temporal';

/** Seconds a client should wait before retrying after an outage answer. */
export const RETRY_AFTER_SECONDS = 5;

const DEPENDENCY_NAMES: Record<Dependency, string> = {
  postgres: 'PostgreSQL (the order database)',
  temporal: 'Temporal (the order workflow service)',
};

export function dependencyUnavailable(dependency: Dependency): ApiProblem {
  return new ApiProblem(
    503,
    'dependency_unavailable',
    'Service Unavailable',
    `${DEPENDENCY_NAMES[dependency]} cannot be reached or did not answer in time. Retry after the Retry-After ` +
      'interval; a retried order with the same Idempotency-Key is never placed twice.',
    undefined,
    { 'Retry-After': String(RETRY_AFTER_SECONDS) },
    { dependency },
  );
}

export function requestTimedOut(timeoutMs: number): ApiProblem {
  return new ApiProblem(
    503,
    'request_timeout',
    'Service Unavailable',
    `The request did not complete within ${Math.round(timeoutMs / 100) / 10} s; it may still complete. Retry after ` +
      'the Retry-After interval (an order with the same Idempotency-Key).',
    undefined,
    { 'Retry-After': String(RETRY_AFTER_SECONDS) },
  );
}

// PostgreSQL: SQLSTATE class 08 (connection exception), the server shutting down or starting
// up (57P01–57P03) and too many connections (53300). Other SQLSTATEs are answers, not outages.
const PG_OUTAGE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
// Socket errors of the pg driver's connection (node's net module).
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
]);
// pg and pg-pool report a lost or never-made connection with these messages and no code.
const PG_MESSAGES = new RegExp(
  [
    'Connection terminated',
    'timeout exceeded when trying to connect',
    'connection error and is not queryable',
    'Client was closed and is not queryable',
    'the database system is (shutting down|starting up)',
    'sorry, too many clients',
  ].join('|'),
  'i',
);

// gRPC status codes (numbers, as @grpc/grpc-js defines them) that mean "Temporal is not there
// right now": CANCELLED (our own deadline or abort), DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED
// (rate limited), UNAVAILABLE. INTERNAL only for a connection reset mid-call (RST_STREAM).
const GRPC_OUTAGE_CODES = new Set([1, 4, 8, 14]);
const GRPC_INTERNAL = 13;

/** Which dependency an error says is down, or undefined when it is something else (a bug). */
export function failedDependency(error: unknown, depth = 0): Dependency | undefined {
  if (!(error instanceof Error) || depth > 5) return undefined;
  if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return 'temporal';
  if (isGrpcServiceError(error)) {
    const { code, details } = error as Error & { code?: number; details: string };
    if (code !== undefined && GRPC_OUTAGE_CODES.has(code)) return 'temporal';
    if (code === GRPC_INTERNAL && /RST_STREAM/i.test(details)) return 'temporal';
    return undefined;
  }
  if (error instanceof ServiceError) return failedDependency(error.cause, depth + 1);
  // A failed fetch of some HTTP service carries a socket code too; it is not PostgreSQL.
  if (error instanceof TypeError && /fetch failed/i.test(error.message)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code.startsWith('08') || PG_OUTAGE_SQLSTATES.has(code) || SOCKET_CODES.has(code)) return 'postgres';
  }
  if (PG_MESSAGES.test(error.message)) return 'postgres';
  // A statement in a transaction met a plan a migration made stale; the connection has prepared it afresh, so the
  // client's retry succeeds (docs/deployment.md, "Connections").
  if (isStalePlanError(error)) return 'postgres';
  // Node reports a refused connection to a host with several addresses as an AggregateError.
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const found = failedDependency(inner, depth + 1);
      if (found) return found;
    }
  }
  return error.cause === undefined ? undefined : failedDependency(error.cause, depth + 1);
}

/**
 * Answers a problem: application/problem+json, except on the sandbox provider's payment pages,
 * which a customer's browser shows: there a 5xx is a friendly HTML page ("try again shortly"); and
 * on a compatibility route, whose clients read their platform's error shape (docs/compatibility.md).
 */
export function answerProblem(c: Context<AppEnv>, problem: ApiProblem): Response | Promise<Response> {
  if (problem.status >= 500 && c.req.path.startsWith('/psp/')) return paymentPageUnavailable(c, problem);
  const answerCompat = c.get('answerCompatProblem');
  if (answerCompat) return answerCompat(c, problem);
  return problemResponse(c, problem);
}
