import { z } from '@hono/zod-openapi';

// Text patterns for the OpenAPI document (ECMA-262 syntax, as JSON Schema reads it): they state what
// request-rules.ts refuses (control characters) and what `.trim()` makes empty.
const CONTROL = '\\u0000-\\u001f\\u007f-\\u009f';
const CONTROL_BUT_LINE_BREAKS = '\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f';
/** What String.prototype.trim removes. */
const TRIMMED = '\\t-\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';
export const END = '$';
/** No control characters (U+0000–U+001F, U+007F–U+009F). */
export const PRINTABLE_TEXT = `^[^${CONTROL}]*${END}`;
/** As PRINTABLE_TEXT, with tab, line feed and carriage return (notes, descriptions, reasons). */
export const FREE_TEXT = `^[^${CONTROL_BUT_LINE_BREAKS}]*${END}`;
/** Text that is not empty once trimmed (`z.string().trim().min(1)`), free text or not. */
export function nonBlankText(freeText = false): string {
  const control = freeText ? CONTROL_BUT_LINE_BREAKS : CONTROL;
  return `^[^${control}]*[^${control}${TRIMMED}][^${control}]*${END}`;
}

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string().openapi({ example: 'validation_failed' }),
    detail: z.string().optional(),
    errors: z
      .array(
        z.object({
          code: z.string(),
          message: z.string(),
          field: z.string().optional(),
          index: z.number().int().optional(),
          expected: z
            .number()
            .int()
            .optional()
            .openapi({ description: 'The value the rule asked for, where it is one' }),
        }),
      )
      .optional(),
    instance: z.string().optional(),
    request_id: z.string().optional(),
  })
  .openapi('Problem');

export const problemContent = { 'application/problem+json': { schema: problemSchema } };

export function problemResponses(...statuses: number[]) {
  const descriptions: Record<number, string> = {
    400: 'Malformed JSON or a field failed its shape check',
    401: 'Missing or unknown API key',
    403: 'The API key lacks the scope',
    404: "Not found (or another tenant's)",
    409: 'Conflicts with the current state',
    413: 'Body too large',
    415: 'Body is not JSON',
    422: 'Invalid for business reasons',
    503: 'Temporarily unavailable; retry later',
  };
  return Object.fromEntries(
    statuses.map((s) => [s, { description: descriptions[s] ?? 'Error', content: problemContent }]),
  );
}

export const uuidParam = z.string().uuid();

/** A page the provider's page sends the buyer to: an absolute http(s) URL, never `javascript:` or `data:`. */
export const pageUrl = () =>
  z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .openapi({ pattern: '^https?://', example: 'https://shop.example/thanks' });
export const currencyCode = z
  .string()
  .regex(/^[a-z]{3}$/, 'a lowercase ISO 4217 code such as "nok"')
  .openapi({ example: 'nok' });
export const limitQuery = z.coerce.number().int().min(1).max(200).default(50);

/** Why an operator acts: required, and kept in the order's timeline with who did it. */
export const operatorReason = z
  .string()
  .trim()
  .min(1)
  .max(500)
  .openapi({ description: "Why; kept in the order's timeline", pattern: nonBlankText(true) });
