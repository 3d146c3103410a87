// Our problem codes → the course-booking platform's error codes, answered in its shape
// (`{successful: false, errors: [{code, message}]}`) with the HTTP status our API gave. A code of
// ours with no counterpart there is passed on unchanged (docs/compatibility/course-booking.md lists them), so
// the client still learns what went wrong.

export interface CourseBookingError {
  code: string;
  message: string;
}

export interface CourseBookingFailure {
  successful: false;
  errors: CourseBookingError[];
}

/** Our business-rule and request codes with a counterpart on their platform. */
export const ERROR_CODE_MAP: Readonly<Record<string, string>> = {
  unauthorized: 'school_account_invalid',
  course_date_identifier_invalid: 'course_date_identifier_invalid',
  occurrence_required: 'course_date_identifier_invalid',
  occurrence_cancelled: 'course_date_identifier_invalid',
  occurrence_in_past: 'course_date_identifier_invalid',
  default_course_product_missing: 'default_course_product_missing',
  exchange_rate_does_not_exist: 'exchange_rate_does_not_exist',
  participant_name_invalid_empty: 'participant_name_invalid_empty',
  participant_email_invalid_empty: 'participant_email_invalid_empty',
  participant_email_invalid: 'participant_email_invalid_empty',
  participant_products_invalid: 'participant_products_invalid',
  product_identifier_invalid: 'participant_products_invalid',
  product_inactive: 'participant_products_invalid',
  participant_does_not_have_a_course_product: 'participant_does_not_have_a_course_product',
  participant_have_multiple_course_products: 'participant_have_multiple_course_products',
  price_override_not_allowed: 'participant_product_price_invalid',
  participants_empty: 'participant_count_invalid',
  too_many_participants: 'participant_count_invalid',
  occurrence_full: 'booking_could_not_be_created',
  occurrence_busy: 'booking_could_not_be_created',
  campaign_code_invalid: 'campaign_code_invalid',
  campaign_code_not_yet_valid: 'campaign_code_invalid',
  campaign_minimum_not_met: 'campaign_code_invalid',
  campaign_code_expired: 'campaign_code_expired',
  campaign_code_used_up: 'campaign_code_expired',
  voucher_code_invalid: 'voucher_code_invalid',
  voucher_code_already_used: 'voucher_code_invalid',
  voucher_code_expired: 'voucher_code_expired',
  // A retried or concurrent request that could not be answered with an order.
  idempotency_key_reused: 'order_could_not_be_created',
  request_in_progress: 'order_could_not_be_created',
  order_already_processed: 'order_could_not_be_created',
};

/** Shape codes (a field missing, of the wrong type or value): their code depends on the field. */
const SHAPE_CODES = new Set(['field_required', 'invalid_type', 'invalid_value']);

/** Fields in their names (`participants.0.price`) and ours (`lines.0.participants.0.price`). */
const FIELD_CODES: readonly [RegExp, string][] = [
  [/^(coursedate_id|lines\.\d+\.occurrence_id)$/, 'course_date_identifier_invalid'],
  [/^currency$/, 'currency_missing'],
  [/(^|\.)participants$/, 'participant_count_invalid'],
  [/(^|\.)participants\.\d+(\.products\.\d+)?\.price$/, 'participant_product_price_invalid'],
  [/(^|\.)participants\.\d+\.products\.\d+\.id$/, 'participant_products_invalid'],
  [/(^|\.)participants\.\d+\.email$/, 'participant_email_invalid_empty'],
  [/(^|\.)participants\.\d+\.(firstname|lastname)$/, 'participant_name_invalid_empty'],
];

interface OurError {
  code: string;
  message?: string;
  detail?: string;
  field?: string;
}

/** Their code for one of our errors. */
export function courseBookingCode(error: OurError): string {
  if (SHAPE_CODES.has(error.code) && error.field !== undefined) {
    const byField = FIELD_CODES.find(([pattern]) => pattern.test(error.field as string));
    if (byField) return byField[1];
  }
  return ERROR_CODE_MAP[error.code] ?? error.code;
}

/**
 * A problem answer of ours (its status and problem+json body) in their shape: every listed error
 * when it lists them, else the problem itself. Any 503 (a dependency down, intake unavailable, a
 * timeout) is their `order_could_not_be_created`: nothing was booked, retry later.
 */
export function toCourseBookingFailure(
  status: number,
  problem: OurError & { errors?: OurError[] },
): CourseBookingFailure {
  const message = (error: OurError) => error.message ?? error.detail ?? error.code;
  if (status === 503) {
    return { successful: false, errors: [{ code: 'order_could_not_be_created', message: message(problem) }] };
  }
  const errors = problem.errors?.length ? problem.errors : [problem];
  return { successful: false, errors: errors.map((e) => ({ code: courseBookingCode(e), message: message(e) })) };
}
