import type { Context } from 'hono';
import type { AppEnv } from '../../app-env';
import { type CallApi, callOurApi } from '../call-api';

// Their `coupons` is one list of discount codes; ours has campaign codes (several) and one voucher
// code. Which a code is, the voucher route says: a code it knows is a voucher, any other is taken as
// a campaign code (and an unknown one is then refused by the order's rules: their 1107).

export type SplitCoupons =
  | { ok: true; campaignCodes: string[]; voucherCode: string | undefined }
  | { ok: false; response: Response }
  | { ok: false; response?: undefined; message: string };

export async function splitCoupons(c: Context<AppEnv>, callApi: CallApi, codes: string[]): Promise<SplitCoupons> {
  const campaignCodes: string[] = [];
  const vouchers: string[] = [];
  for (const code of codes) {
    const response = await callOurApi(c, callApi, 'GET', `/v1/vouchers/${encodeURIComponent(code)}`);
    if (response.ok) vouchers.push(code);
    else if (response.status === 404) campaignCodes.push(code);
    else return { ok: false, response };
  }
  if (vouchers.length > 1) return { ok: false, message: 'coupons: one gift voucher per order' };
  return { ok: true, campaignCodes, voucherCode: vouchers[0] };
}
