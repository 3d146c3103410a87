import { z } from 'zod';
import { currencyExponent } from '../../../domain/money';
import type {
  OrderAddress,
  OrderPaymentMethod,
  OrderRequest,
  ParticipantProductRequest,
  ParticipantRequest,
} from '../../../domain/order-request';
import type { ProblemFieldError } from '../../problem';
import { zodIssuesToFieldErrors } from '../../validation-hook';

// The course-booking platform's create-order body → our OrderRequest. Pure: the ids it names are
// resolved by the caller (routes.ts) and handed in. Only the shape the mapping needs is checked
// here (every field of theirs known, ids and amounts of a usable type); whether a value is valid
// is the /v1 route's business, which the mapped request goes through.

/** A field passed on as given: /v1 judges its value. */
const given = z.unknown().optional();
/** Their ids are numbers in examples and numeric strings in others; ours are UUIDs. Both are taken. */
const platformId = z.union([z.number().int().nonnegative(), z.string().min(1).max(128)]);
/** Amounts in major units (1250 = 1 250.00), as their API takes them. */
const majorAmount = z.number().nonnegative().finite();

const address = z.strictObject({
  address_line_1: given,
  address_line_2: given,
  address_line_3: given,
  zipcode: given,
  city: given,
});

const product = z.strictObject({
  id: platformId,
  // Their documentation labels it "for clarity, documentation only": the catalogue names the product.
  title: given,
  price: majorAmount.optional(),
  discount_percent: given,
  quantity: given,
});

const participant = z.strictObject({
  firstname: given,
  lastname: given,
  date_of_birth: given,
  email: given,
  phone: given,
  price: majorAmount.optional(),
  discount_percent: given,
  // Their participant status: ours is decided by the order (booked, cancelled), so it is not taken.
  status_id: given,
  products: z.array(product).optional(),
  home_address: address.optional(),
  work_address: address.optional(),
});

export const courseBookingRequestSchema = z.strictObject({
  coursedate_id: platformId,
  payment_method: given,
  payment_complete_url: given,
  payment_cancel_url: given,
  currency: given,
  campaign_code: given,
  voucher_code: given,
  booker_name: given,
  booker_email: given,
  booker_phone: given,
  company: given,
  company_number: given,
  gln_number: given,
  invoice_reference: given,
  invoice_address_1: given,
  invoice_address_2: given,
  invoice_address_3: given,
  invoice_zipcode: given,
  invoice_city: given,
  invoice_email: given,
  invoice_firstname: given,
  invoice_lastname: given,
  invoice_phone: given,
  participants: z.array(participant).optional(),
  config: z
    .strictObject({
      auto_append_course_product: given,
      allow_customer_autoconnect: given,
      send_receipt_email_to_participant: given,
      // We keep customers by email, not user accounts with logins: nothing to connect or announce.
      allow_user_autoconnect: given,
      send_account_created_email_to_user: given,
    })
    .optional(),
});

export type CourseBookingRequest = z.infer<typeof courseBookingRequestSchema>;

export type ParsedRequest = { ok: true; body: CourseBookingRequest } | { ok: false; errors: ProblemFieldError[] };

/** Their body checked for the mapping; the errors name their fields (`participants.0.price`). */
export function parseCourseBookingRequest(value: unknown): ParsedRequest {
  const result = courseBookingRequestSchema.safeParse(value);
  if (result.success) return { ok: true, body: result.data };
  return { ok: false, errors: zodIssuesToFieldErrors(result.error.issues, 'field', { input: value }) };
}

/** The platform ids the body names, to be resolved to ours before mapping. */
export function platformIdsOf(body: CourseBookingRequest): { coursedateId: string; productIds: string[] } {
  const productIds = (body.participants ?? []).flatMap((p) => (p.products ?? []).map((item) => String(item.id)));
  return { coursedateId: String(body.coursedate_id), productIds: [...new Set(productIds)] };
}

export interface ResolvedIds {
  occurrenceId: string;
  /** Their product id (as a string) → ours. */
  productIds: ReadonlyMap<string, string>;
}

/**
 * Their body as our OrderRequest. `currency` is the order's (theirs, else the tenant's base): its
 * exponent turns their major units into our minor units. Values are passed on as given, except
 * numbers where we take text (their sample sends `company_number` as a number).
 */
export function toOrderRequest(body: CourseBookingRequest, ids: ResolvedIds, currency: string): OrderRequest {
  const minor = (amount: number) => Math.round(amount * 10 ** currencyExponent(currency));
  const request: Record<string, unknown> = {
    payment_method: body.payment_method as OrderPaymentMethod,
    currency: body.currency,
    campaign_code: body.campaign_code,
    voucher_code: body.voucher_code,
    payment_complete_url: body.payment_complete_url,
    payment_cancel_url: body.payment_cancel_url,
    booker: compact({ name: text(body.booker_name), email: text(body.booker_email), phone: text(body.booker_phone) }),
    company: compact({ name: text(body.company), number: text(body.company_number), gln: text(body.gln_number) }),
    invoice: compact({
      reference: text(body.invoice_reference),
      email: text(body.invoice_email),
      firstname: text(body.invoice_firstname),
      lastname: text(body.invoice_lastname),
      phone: text(body.invoice_phone),
      address: compact({
        line_1: text(body.invoice_address_1),
        line_2: text(body.invoice_address_2),
        line_3: text(body.invoice_address_3),
        zipcode: text(body.invoice_zipcode),
        city: text(body.invoice_city),
      }),
    }),
    lines: [
      {
        occurrence_id: ids.occurrenceId,
        // Absent participants become none, which the order's rules refuse as their platform does.
        participants: (body.participants ?? []).map((p) => toParticipant(p, ids, minor)),
      },
    ],
    config: body.config
      ? compact({
          auto_append_course_product: body.config.auto_append_course_product,
          allow_customer_autoconnect: body.config.allow_customer_autoconnect,
          send_receipt_email_to_participant: body.config.send_receipt_email_to_participant,
        })
      : undefined,
  };
  return compact(request) as unknown as OrderRequest;
}

type Participant = NonNullable<CourseBookingRequest['participants']>[number];

function toParticipant(p: Participant, ids: ResolvedIds, minor: (amount: number) => number): ParticipantRequest {
  const products = p.products?.map(
    (item): ParticipantProductRequest =>
      compact({
        id: ids.productIds.get(String(item.id)) ?? String(item.id),
        price: item.price === undefined ? undefined : minor(item.price),
        discount_percent: item.discount_percent,
        quantity: item.quantity,
      }) as unknown as ParticipantProductRequest,
  );
  return compact({
    firstname: text(p.firstname),
    lastname: text(p.lastname),
    email: text(p.email),
    phone: text(p.phone),
    date_of_birth: p.date_of_birth,
    price: p.price === undefined ? undefined : minor(p.price),
    discount_percent: p.discount_percent,
    products,
    home_address: p.home_address ? toAddress(p.home_address) : undefined,
    work_address: p.work_address ? toAddress(p.work_address) : undefined,
  }) as ParticipantRequest;
}

function toAddress(a: z.infer<typeof address>): OrderAddress {
  return compact({
    line_1: text(a.address_line_1),
    line_2: text(a.address_line_2),
    line_3: text(a.address_line_3),
    zipcode: text(a.zipcode),
    city: text(a.city),
  }) as OrderAddress;
}

/** A number where text is expected becomes its digits; anything else is passed on for /v1 to judge. */
function text(value: unknown): string | undefined {
  return typeof value === 'number' ? String(value) : (value as string | undefined);
}

/** Without the keys whose value is undefined, and undefined when nothing is left (no empty objects). */
function compact<T extends Record<string, unknown>>(value: T): T | undefined {
  const kept = Object.entries(value).filter(([, v]) => v !== undefined);
  return kept.length ? (Object.fromEntries(kept) as T) : undefined;
}
