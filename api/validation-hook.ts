import type { z } from 'zod';
import { type ProblemFieldError, problems } from './problem';

/** zod issues → our field errors: `lines.0.quantity` style paths a client can map to its form. */
export function zodIssuesToFieldErrors(issues: readonly z.core.$ZodIssue[], noun = 'field'): ProblemFieldError[] {
  return issues.flatMap((issue): ProblemFieldError[] => {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        code: 'unknown_field',
        message: `Unknown ${noun} "${key}"`,
        field: base ? `${base}.${key}` : key,
      }));
    }
    const index = issue.path.find((p): p is number => typeof p === 'number');
    return [
      {
        code:
          issue.code === 'invalid_type' && issue.input === undefined
            ? 'field_required'
            : `invalid_${issue.code === 'invalid_type' ? 'type' : 'value'}`,
        message: issue.message,
        ...(base ? { field: base } : {}),
        ...(index !== undefined ? { index } : {}),
      },
    ];
  });
}

/** defaultHook of OpenAPIHono: a failed shape check is a 400 listing every failing field. */
export function validationHook(result: { success: boolean; error?: z.ZodError; target?: string }): void {
  if (!result.success && result.error) {
    const where =
      result.target === 'json' ? 'body' : result.target === 'query' ? 'query string' : (result.target ?? 'request');
    const noun = result.target === 'query' ? 'query parameter' : 'field';
    const errors = zodIssuesToFieldErrors(result.error.issues, noun);
    throw problems.badRequest('validation_failed', `The request ${where} is not valid`, errors);
  }
}
