// Failures in Payway's shape. Their create_order page says only that it "uses the common error
// conventions of the Payway API", whose bearer tokens are OAuth 2.0: so the body is the OAuth one,
// `{error, error_description}` (RFC 6749 section 5.2, the shape their token endpoint answers),
// with `errors[]` listing every field at fault in their field names. The transport failures take
// the OAuth codes (RFC 6750 section 3.1, RFC 6749 section 5.2); an order our rules refuse keeps our
// code (docs/error-codes.md), since theirs for those cases are not published.

export interface PaywayFieldError {
  code: string;
  message: string;
  field?: string;
}

export interface PaywayFailure {
  error: string;
  error_description: string;
  errors?: PaywayFieldError[];
}

/** What our API answers in a problem (problem+json) that this mapping reads. */
export interface OurProblem {
  code: string;
  detail?: string;
  title?: string;
  errors?: { code: string; message: string; field?: string }[];
}

/** The OAuth code for a transport-level status; other statuses keep our problem's code. */
const OAUTH_CODES: Readonly<Record<number, string>> = {
  400: 'invalid_request',
  401: 'invalid_token',
  403: 'insufficient_scope',
  503: 'temporarily_unavailable',
};

/**
 * Our field names → theirs, longest prefix first. The billing address is our order's `invoice`
 * (with `company.name`), the delivery address our `delivery`; the order's only line is their
 * product, period and start date, and the payment method is the period's.
 */
const FIELD_PREFIXES: readonly [string, string][] = [
  ['invoice.address.line_1', 'billing_address.street'],
  ['invoice.address.line_2', 'billing_address.care_of'],
  ['invoice.address.line_3', 'billing_address.company_department'],
  ['invoice.address.zipcode', 'billing_address.zip_code'],
  ['invoice.address', 'billing_address'],
  ['invoice.email', 'billing_address.contact_email'],
  ['invoice.firstname', 'billing_address.first_name'],
  ['invoice.lastname', 'billing_address.last_name'],
  ['invoice.reference', 'billing_address.company_reference'],
  ['invoice', 'billing_address'],
  ['company.name', 'billing_address.company_name'],
  ['company.vat_number', 'company_vat_number'],
  ['delivery.address.line_1', 'delivery_address.street'],
  ['delivery.address.line_2', 'delivery_address.care_of'],
  ['delivery.address.line_3', 'delivery_address.company_department'],
  ['delivery.address.zipcode', 'delivery_address.zip_code'],
  ['delivery.address', 'delivery_address'],
  ['delivery.name', 'delivery_address.first_name'],
  ['delivery', 'delivery_address'],
  ['booker.email', 'email'],
  ['booker.name', 'billing_address.first_name'],
  ['lines.0.start_date', 'start_date'],
  ['lines.0.period', 'period_id'],
  ['lines.0.quantity', 'period_id'],
  ['lines.0', 'product_code'],
  ['lines', 'product_code'],
  ['payment_method', 'period_id'],
  ['payment_complete_url', 'receipt_url'],
  ['external_id', 'merchant_reference'],
  ['external_contact_id', 'account_id'],
  ['client', 'client_info'],
  ['notes', 'traffic_source'],
];

/** One of our field names in theirs (unchanged when it is theirs already). */
export function paywayField(field: string): string {
  for (const [ours, theirs] of FIELD_PREFIXES) {
    if (field === ours || field.startsWith(`${ours}.`)) return theirs + field.slice(ours.length);
  }
  return field;
}

/** A failure of this adapter's own (an id it could not resolve, a field it does not take). */
export function paywayFailure(error: string, description: string, errors?: PaywayFieldError[]): PaywayFailure {
  return { error, error_description: description, ...(errors?.length ? { errors } : {}) };
}

/**
 * Our problem answer in their shape: the OAuth code for 400/401/403/503, else our code, and every
 * listed error with its field in their names.
 */
export function toPaywayFailure(status: number, problem: OurProblem): PaywayFailure {
  const errors = (problem.errors ?? []).map((e) => ({
    code: e.code,
    message: e.message,
    ...(e.field ? { field: paywayField(e.field) } : {}),
  }));
  const description = problem.detail ?? problem.title ?? problem.code;
  const oauthCode = OAUTH_CODES[status];
  // Where the OAuth code replaces ours, ours stays in `errors` so the cause is not lost.
  if (oauthCode && !errors.length && oauthCode !== problem.code)
    errors.push({ code: problem.code, message: description });
  return paywayFailure(oauthCode ?? problem.code, description, errors);
}
