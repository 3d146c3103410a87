// Our problems → the facility platform's error answer. Its documentation names one numeric code,
// 1107 (a discount code that does not exist, always with status 400); every other failure keeps
// our status and our stable problem code, so the client still learns what went wrong
// (docs/compatibility/facility.md lists them).

export const UNKNOWN_COUPON = '1107';

/** Our codes for a discount code that does not exist: their 1107. */
const UNKNOWN_COUPON_CODES = new Set(['campaign_code_invalid', 'voucher_code_invalid']);

interface OurError {
  code: string;
  message?: string;
  detail?: string;
}

export interface FacilityError {
  status: number;
  code: string;
  message: string;
}

/** A problem answer of ours (status and problem+json body) as their error. */
export function toFacilityError(status: number, problem: OurError & { errors?: OurError[] }): FacilityError {
  const listed = problem.errors?.length ? problem.errors : [problem];
  const messages = listed.map((e) => e.message ?? e.detail ?? e.code);
  const coupon =
    listed.find((e) => UNKNOWN_COUPON_CODES.has(e.code)) ?? (UNKNOWN_COUPON_CODES.has(problem.code) && problem);
  if (coupon) return { status: 400, code: UNKNOWN_COUPON, message: coupon.message ?? coupon.detail ?? coupon.code };
  const code = listed.length === 1 && listed[0] ? listed[0].code : problem.code;
  return { status, code, message: listed.length === 1 ? (messages[0] ?? code) : messages.join('; ') };
}
