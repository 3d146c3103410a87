import { z } from 'zod';
import type { OrderAddress, OrderPaymentMethod, OrderRequest } from '../../../domain/order-request';
import type { ProblemFieldError } from '../../problem';
import { zodIssuesToFieldErrors } from '../../validation-hook';

// Tulo Payway's create_order body → our OrderRequest. Pure: the account, product and period it
// names are resolved by the caller (resolve-ids.ts) and handed in. The shape is checked here, with
// their documented required fields and sizes; whether a value is valid for an order (an email, a
// start date, an address for a print product) is the /v1 route's business.

const HEX_24 = /^[a-f\d]{24}$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** `YYYY-MM-DD`, optionally with a time and an offset (none: UTC, as their field says). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** An optional field: their clients send `null` for "not given" (`"care_of": null` in their example). */
const maybe = <T extends z.ZodType>(schema: T) => schema.nullish();
const text = (max: number) => z.string().max(max);
const required = (max: number) => z.string().trim().min(1, 'Required').max(max);

const httpUrl = required(2000).refine((value) => {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, 'An absolute http(s) URL');

const dateTime = z
  .string()
  .max(40)
  .refine((value) => DATE_TIME.test(value) && !Number.isNaN(Date.parse(utcIfNoOffset(value))), {
    message: 'An ISO 8601 date or date-time, e.g. 2019-05-01T00:00:00+00:00',
  });

/** Their id formats: a 24-hex id (theirs) or one of our UUIDs, for a tenant without their ids. */
const theirOrOurId = z.string().refine((value) => HEX_24.test(value) || UUID.test(value), {
  message: 'A 24-character hexadecimal id (or one of our UUIDs)',
});

const addressFields = {
  first_name: maybe(text(100)),
  last_name: maybe(text(100)),
  care_of: maybe(text(200)),
  street: required(200),
  city: required(100),
  zip_code: required(20),
  country_code: required(2),
  company_name: maybe(text(200)),
  company_reference: maybe(text(200)),
  company_department: maybe(text(200)),
};

/** "First name … can be substituted by company_name", as their address objects say. */
function namedOrCompany(address: {
  first_name?: string | null;
  last_name?: string | null;
  company_name?: string | null;
}) {
  return Boolean(address.company_name?.trim()) || Boolean(address.first_name?.trim() && address.last_name?.trim());
}
const nameRule = {
  message: 'first_name and last_name are required unless company_name is given',
  path: ['first_name'],
};

const billingAddress = z
  .strictObject({
    ...addressFields,
    contact_email: maybe(text(254)),
    // Their citizenship field: no process of ours reads a citizenship (accepted, not stored).
    citizenship_country_code: maybe(text(2)),
  })
  .refine(namedOrCompany, nameRule);

const deliveryAddress = z.strictObject(addressFields).refine(namedOrCompany, nameRule);

export const paywayRequestSchema = z.strictObject({
  account_id: maybe(theirOrOurId),
  email: maybe(text(1024)),
  product_code: required(128),
  period_id: required(128),
  start_date: maybe(dateTime),
  receipt_url: httpUrl,
  billing_address: maybe(billingAddress),
  delivery_address: maybe(deliveryAddress),
  traffic_source: maybe(text(128)),
  company_vat_number: maybe(text(40)),
  merchant_reference: maybe(text(100)),
  paywall_id: maybe(z.string().regex(HEX_24, 'A 24-character hexadecimal id')),
  secure_identification: maybe(
    z.strictObject({ trusted_identity_id: z.string().regex(HEX_24, 'A 24-character hexadecimal id') }),
  ),
  voucher_purchase: maybe(z.boolean()),
  voucher_details: maybe(z.strictObject({ expire_date: dateTime, redeem_url: maybe(text(2000)) })),
  account_payment_profile_id: maybe(
    z.string().regex(UUID, 'The id of a saved card (GET /v1/customers/{id}/saved-cards)'),
  ),
  invoice_delivery_method: maybe(z.enum(['mail', 'email'])),
  client_info: maybe(z.strictObject({ user_agent: required(500), language: required(35), ip_address: required(64) })),
});

export type PaywayRequest = z.infer<typeof paywayRequestSchema>;

export type ParsedRequest = { ok: true; body: PaywayRequest } | { ok: false; errors: ProblemFieldError[] };

/** Their body checked for the mapping; errors name their fields (`billing_address.street`). */
export function parsePaywayRequest(value: unknown): ParsedRequest {
  const result = paywayRequestSchema.safeParse(value);
  if (!result.success)
    return { ok: false, errors: zodIssuesToFieldErrors(result.error.issues, 'field', { input: value }) };
  const body = result.data;
  const errors: ProblemFieldError[] = [];
  if (!body.account_id && !body.email?.trim())
    errors.push({ code: 'field_required', message: 'Give account_id or email', field: 'email' });
  if (body.voucher_purchase && !body.voucher_details)
    errors.push({
      code: 'field_required',
      message: 'voucher_details is required with voucher_purchase',
      field: 'voucher_details',
    });
  return errors.length ? { ok: false, errors } : { ok: true, body };
}

function utcIfNoOffset(value: string): string {
  return value.length > 10 && !/(Z|[+-]\d{2}:?\d{2})$/.test(value) ? `${value}Z` : value;
}

/** Their DateTime (in UTC, says their field) as our `YYYY-MM-DD`: the UTC day it falls on. */
export function utcDay(value: string): string {
  return value.length === 10 ? value : new Date(Date.parse(utcIfNoOffset(value))).toISOString().slice(0, 10);
}

/** What the caller found for the ids the body names. */
export interface ResolvedOrder {
  productId: string;
  periodCode: string;
  paymentMethod: OrderPaymentMethod;
  /** The account's email (found by account_id), else the body's. */
  bookerEmail: string | undefined;
  /** Their account id, kept on the order and the customer as `external_contact_id`. */
  externalContactId: string | undefined;
}

type Address = NonNullable<PaywayRequest['delivery_address']>;

/**
 * Their body as our OrderRequest. `receipt_url` is where the card page returns the buyer, so it is
 * passed only for a card order (/v1 refuses return URLs on the others, which have no page).
 */
export function toOrderRequest(body: PaywayRequest, ids: ResolvedOrder): OrderRequest {
  const billing = body.billing_address ?? undefined;
  const delivery = body.delivery_address ?? undefined;
  const request: Record<string, unknown> = {
    payment_method: ids.paymentMethod,
    payment_complete_url: ids.paymentMethod === 'card' ? body.receipt_url : undefined,
    booker: compact({ name: personName(billing ?? delivery), email: ids.bookerEmail }),
    external_contact_id: ids.externalContactId,
    external_id: given(body.merchant_reference),
    company: compact({ name: given(billing?.company_name), vat_number: given(body.company_vat_number) }),
    invoice: billing
      ? compact({
          firstname: given(billing.first_name),
          lastname: given(billing.last_name),
          email: given(billing.contact_email),
          reference: given(billing.company_reference),
          address: toAddress(billing, false),
        })
      : undefined,
    delivery: delivery
      ? compact({ name: personName(delivery) ?? given(delivery.company_name), address: toAddress(delivery, true) })
      : undefined,
    lines: [
      compact({
        product_id: ids.productId,
        period: ids.periodCode,
        start_date: body.start_date ? utcDay(body.start_date) : undefined,
      }),
    ],
    client: body.client_info
      ? {
          user_agent: body.client_info.user_agent,
          language: body.client_info.language,
          ip_address: body.client_info.ip_address,
        }
      : undefined,
    notes: compact({ internal: internalNote(body) }),
  };
  return compact(request) as unknown as OrderRequest;
}

/**
 * Our order address has three free lines: the street, then c/o, then the company part. On a
 * delivery the company name goes there too (a parcel to a company names it); on the billing
 * address it is the order's `company.name` already.
 */
function toAddress(address: Address, withCompanyName: boolean): OrderAddress | undefined {
  const company = [withCompanyName ? address.company_name : undefined, address.company_department]
    .map(given)
    .filter(Boolean)
    .join(', ');
  return compact({
    line_1: address.street,
    line_2: given(address.care_of) ? `c/o ${given(address.care_of)}` : undefined,
    line_3: company || undefined,
    zipcode: address.zip_code,
    city: address.city,
    country_code: address.country_code.toUpperCase(),
  }) as OrderAddress | undefined;
}

function personName(address: Address | undefined): string | undefined {
  const name = [given(address?.first_name), given(address?.last_name)].filter(Boolean).join(' ');
  return name || undefined;
}

/**
 * Their marketing and identity references (traffic source, paywall, a verified identity): no
 * process of ours reads them, but an operator may want to, so they are kept in the order's
 * internal note rather than dropped.
 */
function internalNote(body: PaywayRequest): string | undefined {
  const parts = [
    given(body.traffic_source) ? `traffic_source: ${given(body.traffic_source)}` : undefined,
    given(body.paywall_id) ? `paywall_id: ${body.paywall_id}` : undefined,
    body.secure_identification ? `trusted_identity_id: ${body.secure_identification.trusted_identity_id}` : undefined,
  ].filter(Boolean);
  return parts.length ? `Payway ${parts.join('; ')}` : undefined;
}

/** A string with something in it, trimmed; null, empty and blank are "not given". */
function given(value: string | null | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** Without the keys whose value is undefined, and undefined when nothing is left (no empty objects). */
function compact<T extends Record<string, unknown>>(value: T): T | undefined {
  const kept = Object.entries(value).filter(([, v]) => v !== undefined);
  return kept.length ? (Object.fromEntries(kept) as T) : undefined;
}

/**
 * Their period decides the payment method; ours may be sold with several. One method: that one.
 * Several: card when a stored payment profile is given, invoice when an invoice delivery method
 * is, else card (the buyer is at hand, as their receipt_url says). /v1 checks the period takes it.
 */
export function paymentMethodFor(periodMethods: readonly string[], body: PaywayRequest): OrderPaymentMethod {
  const [only] = periodMethods;
  if (periodMethods.length === 1 && only) return only as OrderPaymentMethod;
  if (body.account_payment_profile_id) return 'card';
  if (body.invoice_delivery_method && periodMethods.includes('invoice')) return 'invoice';
  return periodMethods.includes('card') ? 'card' : ((only ?? 'card') as OrderPaymentMethod);
}
