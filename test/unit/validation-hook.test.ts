import { createRoute, z } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import { ApiProblem, problemResponse } from '../../api/problem';
import { createResourceApp } from '../../api/resource-app';
import { zodIssuesToFieldErrors } from '../../api/validation-hook';

// A resource app as api/routes/ make them: the body is read by the request rules (which hand the
// hook only zod's error), the query by the library's validator (which hands it the checked value too).
const app = createResourceApp();
app.openapi(
  createRoute({
    method: 'post',
    path: '/things',
    request: {
      query: z.object({ limit: z.coerce.number().int().optional(), kind: z.string() }),
      body: {
        content: {
          'application/json': {
            schema: z
              .object({
                reason: z.string(),
                count: z.number().int().optional(),
                mode: z.enum(['a', 'b']).optional(),
                nested: z.object({ name: z.string() }).optional(),
              })
              .strict(),
          },
        },
      },
    },
    responses: { 204: { description: 'ok' } },
  }),
  (c) => c.body(null, 204),
);
app.onError((error, c) => (error instanceof ApiProblem ? problemResponse(c, error) : c.text(String(error), 500)));

type FieldError = { code: string; field?: string };

async function post(query: string, body: unknown) {
  const response = await app.request(`/things?${query}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const problem = response.status === 204 ? null : ((await response.json()) as { code: string; errors: FieldError[] });
  return { status: response.status, problem };
}

const codes = (errors: FieldError[] | undefined) => (errors ?? []).map((e) => `${e.code} ${e.field}`).sort();

describe('validationHook', () => {
  it('accepts a valid request', async () => {
    expect((await post('kind=x', { reason: 'why' })).status).toBe(204);
  });

  it('reports a missing body field as field_required', async () => {
    const { status, problem } = await post('kind=x', {});
    expect(status).toBe(400);
    expect(problem?.code).toBe('validation_failed');
    expect(codes(problem?.errors)).toEqual(['field_required reason']);
  });

  it('reports a body field of the wrong type as invalid_type, null included', async () => {
    for (const reason of [5, null, true, ['why'], { text: 'why' }]) {
      const { status, problem } = await post('kind=x', { reason });
      expect(status, JSON.stringify(reason)).toBe(400);
      expect(codes(problem?.errors), JSON.stringify(reason)).toEqual(['invalid_type reason']);
    }
  });

  it('tells missing from wrong in one body, nested fields too', async () => {
    const { problem } = await post('kind=x', { count: 'three', nested: {}, mode: 'c', extra: 1 });
    expect(codes(problem?.errors)).toEqual([
      'field_required nested.name',
      'field_required reason',
      'invalid_type count',
      'invalid_value mode',
      'unknown_field extra',
    ]);
  });

  it('reports a missing query parameter as field_required and a wrong one as invalid_type', async () => {
    expect(codes((await post('', { reason: 'why' })).problem?.errors)).toEqual(['field_required kind']);
    expect(codes((await post('kind=x&limit=many', { reason: 'why' })).problem?.errors)).toEqual(['invalid_type limit']);
  });
});

describe('zodIssuesToFieldErrors', () => {
  const schema = z.object({ reason: z.string(), note: z.string().optional() });
  const issuesOf = (input: unknown) => {
    const result = schema.safeParse(input);
    if (result.success) throw new Error('expected a failure');
    return result.error.issues;
  };

  it('decides from the checked input when given one, whatever the message says', () => {
    const custom = z.object({ reason: z.string({ error: 'Give a reason' }), note: z.string().optional() });
    for (const [input, code] of [
      [{}, 'field_required'],
      [{ reason: 5 }, 'invalid_type'],
      [{ reason: 'why', note: null }, 'invalid_type'],
    ] as const) {
      const result = custom.safeParse(input);
      expect(zodIssuesToFieldErrors(result.error?.issues ?? [], 'field', { input }).map((e) => e.code)).toEqual([code]);
    }
  });

  it('decides from the issue itself when zod reports its input', () => {
    const result = schema.safeParse({ reason: 5 }, { reportInput: true });
    expect(result.success).toBe(false);
    expect(zodIssuesToFieldErrors(result.error?.issues ?? []).map((e) => e.code)).toEqual(['invalid_type']);
    const missing = schema.safeParse({}, { reportInput: true });
    expect(zodIssuesToFieldErrors(missing.error?.issues ?? []).map((e) => e.code)).toEqual(['field_required']);
  });

  it('decides from the issue alone when nothing else is at hand', () => {
    expect(zodIssuesToFieldErrors(issuesOf({ reason: 5 })).map((e) => e.code)).toEqual(['invalid_type']);
    expect(zodIssuesToFieldErrors(issuesOf({})).map((e) => e.code)).toEqual(['field_required']);
  });
});
