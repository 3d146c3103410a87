import type { Context } from 'hono';
import type { AppEnv } from '../../app-env';

/**
 * Their JSON body. `emptyIsObject`: a call their documentation sends without a body (pay with a
 * saved card, redeem a voucher) reads an empty one as `{}`.
 */
export async function readJson(
  c: Context<AppEnv>,
  emptyIsObject = false,
): Promise<{ ok: true; json: unknown } | { ok: false }> {
  const text = await c.req.text();
  if (emptyIsObject && text.trim() === '') return { ok: true, json: {} };
  try {
    return { ok: true, json: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}
