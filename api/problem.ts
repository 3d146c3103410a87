import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export interface ProblemFieldError {
  code: string;
  message: string;
  field?: string;
  index?: number;
}

/** RFC 9457 problem details with our stable machine-readable `code`. */
export class ApiProblem extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: ProblemFieldError[],
    readonly headers: Record<string, string> = {},
    /** Extra members of the problem object (RFC 9457 extensions), e.g. `dependency`. */
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
  }
}

export const problems = {
  badRequest: (code: string, detail: string, errors?: ProblemFieldError[]) =>
    new ApiProblem(400, code, 'Bad Request', detail, errors),
  unauthorized: (detail = 'A valid API key is required (X-API-Key header or Authorization: Bearer)') =>
    new ApiProblem(401, 'unauthorized', 'Unauthorized', detail, undefined, { 'WWW-Authenticate': 'Bearer' }),
  forbidden: (scope: string) =>
    new ApiProblem(403, 'missing_scope', 'Forbidden', `This API key lacks the scope "${scope}"`),
  notFound: (what = 'resource', code = 'not_found') => new ApiProblem(404, code, 'Not Found', `No such ${what}`),
  conflict: (code: string, detail: string) => new ApiProblem(409, code, 'Conflict', detail),
  unprocessable: (code: string, detail: string, errors?: ProblemFieldError[]) =>
    new ApiProblem(422, code, 'Unprocessable Content', detail, errors),
  unsupportedMediaType: () =>
    new ApiProblem(415, 'unsupported_media_type', 'Unsupported Media Type', 'Send the body as application/json'),
  payloadTooLarge: (limit: number) =>
    // The unread rest of the body makes the connection unusable: tell the client not to reuse it.
    new ApiProblem(413, 'payload_too_large', 'Content Too Large', `The body exceeds ${limit} bytes`, undefined, {
      Connection: 'close',
    }),
  unavailable: (code: string, detail: string) => new ApiProblem(503, code, 'Service Unavailable', detail),
};

export function problemResponse(c: Context, problem: ApiProblem): Response {
  const body = {
    type: `https://docs.order-orchestrator.dev/problems/${problem.code}`,
    title: problem.title,
    status: problem.status,
    code: problem.code,
    ...(problem.detail ? { detail: problem.detail } : {}),
    ...(problem.errors ? { errors: problem.errors } : {}),
    ...problem.extensions,
    instance: c.req.path,
    request_id: c.get('requestId' as never) as string | undefined,
  };
  return c.body(JSON.stringify(body), problem.status, {
    'Content-Type': 'application/problem+json',
    ...problem.headers,
  });
}
