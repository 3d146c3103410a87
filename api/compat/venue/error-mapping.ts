import type { Context } from 'hono';
import type { AppEnv } from '../../app-env';

// Our problems → the venue platform's error shape, `{error, errorCode}`. Their `errorCode` is a
// number, "often 0", and their documentation gives no numbers for the cases we can produce, so it
// is 0; our stable code travels beside it in `code` (and every field error in `errors`), so a
// client still learns exactly what went wrong. The HTTP status is theirs where their
// documentation names one for the case (see `StatusFor` per route), else ours.

export interface VenueFieldError {
  code: string;
  message: string;
  field?: string;
}

export interface VenueError {
  error: string;
  errorCode: number;
  code: string;
  errors?: VenueFieldError[];
}

/** The fields of a problem+json answer (or an ApiProblem) this mapping reads. */
export interface OurProblem {
  code?: string;
  title?: string;
  detail?: string;
  errors?: VenueFieldError[];
}

/** A route's status for one of our problems: their documented status for it, else ours. */
export type StatusFor = (status: number, code: string) => number;

export const ourStatus: StatusFor = (status) => status;

/**
 * Create order and pay: their documentation answers every refusal with 400 ("Failed to pay the
 * order"); our rules' 422 becomes that 400. A conflict (a retry key reused) stays 409.
 */
export const orderStatus: StatusFor = (status) => (status === 422 ? 400 : status);

export function toVenueError(problem: OurProblem): VenueError {
  const code = problem.code ?? 'error';
  const error = problem.errors?.length
    ? problem.errors.map((e) => e.message).join('; ')
    : (problem.detail ?? problem.title ?? code);
  return {
    error,
    errorCode: 0,
    code,
    ...(problem.errors?.length
      ? { errors: problem.errors.map((e) => ({ code: e.code, message: e.message, field: e.field })) }
      : {}),
  };
}

export function venueFailure(
  c: Context<AppEnv>,
  status: number,
  error: VenueError,
  headers: Record<string, string> = {},
) {
  return c.json(error, status as 400, headers);
}

/** One of our own refusals, decided while mapping (an id that names nothing, a body of the wrong shape). */
export function refuse(c: Context<AppEnv>, status: number, code: string, message: string, errors?: VenueFieldError[]) {
  return venueFailure(c, status, toVenueError({ code, detail: message, errors }));
}

/** Our field names in a problem → theirs (`lines.0.occurrence_id` → `orderLines.0.sellableId`). */
export type FieldFor = (field: string) => string;

/** A /v1 problem answer, relayed in their shape; a 503 keeps its Retry-After. */
export async function relayProblem(
  c: Context<AppEnv>,
  response: Response,
  statusFor: StatusFor = ourStatus,
  fieldFor: FieldFor = (field) => field,
) {
  let problem: OurProblem = {};
  try {
    problem = (await response.json()) as OurProblem;
  } catch {
    problem = { code: 'error', detail: `Our API answered ${response.status}` };
  }
  if (problem.errors)
    problem.errors = problem.errors.map((e) => (e.field === undefined ? e : { ...e, field: fieldFor(e.field) }));
  const retryAfter = response.headers.get('retry-after');
  const status = response.status === 503 ? 503 : statusFor(response.status, problem.code ?? '');
  return venueFailure(c, status, toVenueError(problem), retryAfter ? { 'Retry-After': retryAfter } : {});
}
