import { z } from '@hono/zod-openapi';

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
export const currencyCode = z
  .string()
  .regex(/^[a-z]{3}$/, 'a lowercase ISO 4217 code such as "nok"')
  .openapi({ example: 'nok' });
export const limitQuery = z.coerce.number().int().min(1).max(200).default(50);
