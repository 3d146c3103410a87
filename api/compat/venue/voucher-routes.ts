import type { Context, Hono, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../../app-env';
import { requireAnyScope, requireScope } from '../../auth';
import { type CallApi, callOurApi } from '../call-api';
import { refuse, relayProblem, type StatusFor } from './error-mapping';
import { toMajor } from './order-answer-mapping';
import { readJson } from './read-json';
import { venueXml, wantsXml } from './venue-xml';

// Voucher codes: look one up, redeem one without an order. Through GET /v1/vouchers/{code} and
// POST /v1/vouchers/{code}/redeem. We keep one code per voucher, so their `id` (the code's) and
// `voucherId` are both our voucher's id.

interface OurVoucher {
  id: string;
  code: string;
  valid: boolean;
  currency: string | null;
  remaining_value: number | null;
  percent: number | null;
  valid_until: string | null;
  message: string | null;
  creation_price: { amount: number; discount: number; vat_rate: number; currency: string } | null;
}

function toVenueVoucher(v: OurVoucher) {
  const price = v.creation_price;
  return {
    id: v.id,
    voucherId: v.id,
    code: v.code,
    isValid: v.valid,
    ...(v.message === null ? {} : { message: v.message }),
    ...(price
      ? {
          creationPrice: {
            amount: toMajor(price.amount, price.currency),
            discount: toMajor(price.discount, price.currency),
            vatPercentage: price.vat_rate,
            currencyCode: price.currency.toUpperCase(),
          },
        }
      : {}),
    // Ours, beside theirs: what a value voucher has left, a percent voucher's percent, its end.
    remainingValue: v.remaining_value === null || v.currency === null ? null : toMajor(v.remaining_value, v.currency),
    percent: v.percent,
    validUntil: v.valid_until,
  };
}

/** A voucher that cannot be redeemed (used up, expired): their 403. */
const redeemStatus: StatusFor = (status) => (status === 409 ? 403 : status);

const redeemBody = z.looseObject({ code: z.string().min(1).max(64).optional() });

/** The code, from `?code=` or the body's `code`. */
async function redeemCode(c: Context<AppEnv>): Promise<string | undefined | null> {
  const inQuery = c.req.query('code');
  if (inQuery) return inQuery;
  const value = await readJson(c, true);
  if (!value.ok) return null;
  const parsed = redeemBody.safeParse(value.json);
  return parsed.success ? parsed.data.code : undefined;
}

export function addVoucherRoutes(routes: Hono<AppEnv>, callApi: CallApi, auth: MiddlewareHandler<AppEnv>) {
  routes.get('/voucher/code', auth, requireAnyScope('orders:read', 'orders:write'), async (c) => {
    const code = c.req.query('code');
    if (!code) return refuse(c, 400, 'voucher_code_missing', 'Missing voucher code value');
    const response = await callOurApi(c, callApi, 'GET', `/v1/vouchers/${encodeURIComponent(code)}`);
    if (!response.ok) return relayProblem(c, response);
    const voucher = toVenueVoucher((await response.json()) as OurVoucher);
    // Their lookup answers JSON or XML, as the client asks.
    if (wantsXml(c.req.header('accept')))
      return c.body(venueXml('voucherCode', voucher), 200, { 'Content-Type': 'application/xml; charset=utf-8' });
    return c.json(voucher, 200);
  });

  routes.post('/voucher/code/redeem', auth, requireScope('orders:write'), async (c) => {
    const code = await redeemCode(c);
    if (code === null) return refuse(c, 400, 'malformed_json', 'The body is not valid JSON');
    if (!code) return refuse(c, 400, 'voucher_code_missing', 'Missing voucher code: give ?code= or {"code"}');
    const response = await callOurApi(c, callApi, 'POST', `/v1/vouchers/${encodeURIComponent(code)}/redeem`, {});
    if (!response.ok) return relayProblem(c, response, redeemStatus);
    return c.body(null, 204);
  });
}
