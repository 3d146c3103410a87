import type { z } from 'zod';
import { type ProblemFieldError, problems } from './problem';

/** The value at an issue's path in the checked input; undefined when it (or a parent) is not there. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/**
 * Whether an invalid_type issue is about a field that is not there at all. zod 4 leaves `input` out
 * of its issues (unless parsed with reportInput), so the checked input decides when the caller has
 * it; otherwise zod's message, which names what it received ("…, received undefined").
 */
function isMissing(issue: z.core.$ZodIssue, checked: { input: unknown } | undefined): boolean {
  if ('input' in issue) return issue.input === undefined;
  if (checked) return valueAt(checked.input, issue.path) === undefined;
  return /\breceived undefined$/.test(issue.message);
}

/**
 * zod issues → our field errors: `lines.0.quantity` style paths a client can map to its form. A
 * missing field is `field_required`, one of the wrong type `invalid_type`. Pass `checked` (the value
 * that was parsed) when at hand.
 */
export function zodIssuesToFieldErrors(
  issues: readonly z.core.$ZodIssue[],
  noun = 'field',
  checked?: { input: unknown },
): ProblemFieldError[] {
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
    const code =
      issue.code !== 'invalid_type' ? 'invalid_value' : isMissing(issue, checked) ? 'field_required' : 'invalid_type';
    return [
      {
        code,
        message: issue.message,
        ...(base ? { field: base } : {}),
        ...(index !== undefined ? { index } : {}),
      },
    ];
  });
}

/**
 * defaultHook of OpenAPIHono: a failed shape check is a 400 listing every failing field. The
 * library's validator hands the hook the value it checked as `data`.
 */
export function validationHook(result: {
  success: boolean;
  error?: z.ZodError;
  target?: string;
  data?: unknown;
}): void {
  if (!result.success && result.error) {
    const where =
      result.target === 'json' ? 'body' : result.target === 'query' ? 'query string' : (result.target ?? 'request');
    const noun = result.target === 'query' ? 'query parameter' : 'field';
    const checked = 'data' in result ? { input: result.data } : undefined;
    const errors = zodIssuesToFieldErrors(result.error.issues, noun, checked);
    throw problems.badRequest('validation_failed', `The request ${where} is not valid`, errors);
  }
}
