import { z } from 'zod';
import type { OrderAddress, OrderLineRequest, OrderRequest, ParticipantRequest } from '../../../domain/order-request';
import { MAX_PARTICIPANTS_PER_ORDER } from '../../../domain/order-validation';
import type { ProblemFieldError } from '../../problem';
import { zodIssuesToFieldErrors } from '../../validation-hook';

// The venue platform's create-order body → our OrderRequest. Pure: the ids it names are resolved
// by the caller (order-routes.ts) and handed in. Only the shape the mapping needs is checked here;
// whether a value is valid (an email, a date, a quantity) is the /v1 route's business.

/** A field passed on as given: /v1 judges its value. */
const given = z.unknown().optional();
/** Their ids are numbers; ours are UUIDs. Both are taken (ours via `external_id`). */
const platformId = z.union([z.number().int().nonnegative(), z.string().min(1).max(128)]);

/**
 * The holder of the line's tickets or cards. The shop configures its own address fields, so
 * properties this mapping does not know are accepted and ignored rather than refused.
 */
const holderProperties = z.looseObject({
  name: z.string().max(201).optional(),
  email: given,
  phone: given,
  dateOfBirth: given,
  street: given,
  zipCode: given,
  city: given,
  countryCode: given,
  // A picture for a season card and the card being renewed: we keep neither (docs/compatibility/venue.md).
  imageId: given,
  oldCardId: given,
});

const orderLine = z.strictObject({
  sellableId: platformId.optional(),
  productId: platformId.optional(),
  quantity: z.number().int(),
  date: given,
  properties: holderProperties.optional(),
});

export const venueOrderSchema = z.strictObject({
  orderLines: z.array(orderLine).min(1).max(50),
  clientName: z.string().min(1).max(100),
  clientOs: given,
  // Ours, not theirs: their order belongs to the logged-in customer, ours names its booker. Needed
  // only when no line names a holder with an email (a card order needs one for the receipt).
  customer: z.strictObject({ name: given, email: given, phone: given }).optional(),
});

export type VenueOrder = z.infer<typeof venueOrderSchema>;
export type VenueOrderLine = VenueOrder['orderLines'][number];

export type ParsedOrder = { ok: true; body: VenueOrder } | { ok: false; errors: ProblemFieldError[] };

export function parseVenueOrder(value: unknown): ParsedOrder {
  const result = venueOrderSchema.safeParse(value);
  if (result.success) return { ok: true, body: result.data };
  return { ok: false, errors: zodIssuesToFieldErrors(result.error.issues, 'field', { input: value }) };
}

/** What one of their lines targets, resolved to ours by the caller. */
export type ResolvedTarget =
  | { kind: 'occurrence'; occurrenceId: string; dropDate: boolean }
  | { kind: 'product'; productId: string };

/**
 * Their body as our OrderRequest, paid by card (their orders are paid afterwards through the
 * payment provider's page: POST /order/ordertransaction starts another attempt).
 */
export function toOrderRequest(body: VenueOrder, targets: readonly ResolvedTarget[]): OrderRequest {
  const lines = body.orderLines.map((line, i) => toLine(line, targets[i] as ResolvedTarget));
  const customer = body.customer;
  const request: Record<string, unknown> = {
    payment_method: 'card',
    booker: customer
      ? compact({ name: text(customer.name), email: text(customer.email), phone: text(customer.phone) })
      : undefined,
    client: compact({ name: body.clientName, os: text(body.clientOs) }),
    lines,
  };
  return compact(request) as unknown as OrderRequest;
}

function toLine(line: VenueOrderLine, target: ResolvedTarget): OrderLineRequest {
  const holder = line.properties ? toParticipant(line.properties) : undefined;
  // One holder for every unit of the line: each ticket or card is in the holder's name. A
  // quantity below 1 is passed on with one holder, for /v1 to refuse as it refuses any.
  const copies = line.quantity >= 1 ? Math.min(line.quantity, MAX_PARTICIPANTS_PER_ORDER + 1) : 1;
  const participants = holder ? Array.from({ length: copies }, () => holder) : undefined;
  const quantity = holder && line.quantity >= 1 ? undefined : line.quantity;
  const date = target.kind === 'occurrence' && target.dropDate ? undefined : line.date;
  return compact({
    occurrence_id: target.kind === 'occurrence' ? target.occurrenceId : undefined,
    product_id: target.kind === 'product' ? target.productId : undefined,
    quantity,
    date,
    participants,
  }) as unknown as OrderLineRequest;
}

type Holder = z.infer<typeof holderProperties>;

/** Their one `name` is split at its last space: "Fornavn Efternavn" → Fornavn / Efternavn. */
export function splitName(name: string | undefined): { firstname?: string; lastname?: string } {
  const trimmed = name?.trim();
  if (!trimmed) return {};
  const cut = trimmed.lastIndexOf(' ');
  if (cut < 0) return { firstname: trimmed };
  return { firstname: trimmed.slice(0, cut).trim(), lastname: trimmed.slice(cut + 1) };
}

function toParticipant(p: Holder): ParticipantRequest {
  const address = compact({
    line_1: text(p.street),
    zipcode: text(p.zipCode),
    city: text(p.city),
    country_code: text(p.countryCode),
  }) as OrderAddress | undefined;
  return compact({
    ...splitName(p.name),
    email: text(p.email),
    phone: text(p.phone),
    date_of_birth: p.dateOfBirth,
    home_address: address,
  }) as ParticipantRequest;
}

/** A number where text is expected (a zip code sent as 9000) becomes its digits; else passed on. */
function text(value: unknown): string | undefined {
  return typeof value === 'number' ? String(value) : (value as string | undefined);
}

/** Without the keys whose value is undefined, and undefined when nothing is left. */
function compact<T extends Record<string, unknown>>(value: T): T | undefined {
  const kept = Object.entries(value).filter(([, v]) => v !== undefined);
  return kept.length ? (Object.fromEntries(kept) as T) : undefined;
}

/** Fields of our order request that come from one of theirs, by pattern, for our errors' `field`. */
const THEIR_FIELDS: readonly [RegExp, string][] = [
  [/^lines\.(\d+)\.occurrence_id$/, 'orderLines.$1.sellableId'],
  [/^lines\.(\d+)\.product_id$/, 'orderLines.$1.productId'],
  [/^lines\.(\d+)\.(date|quantity)$/, 'orderLines.$1.$2'],
  [/^lines\.(\d+)\.participants$/, 'orderLines.$1.quantity'],
  [/^lines\.(\d+)\.participants\.\d+\.(firstname|lastname)$/, 'orderLines.$1.properties.name'],
  [/^lines\.(\d+)\.participants\.\d+\.date_of_birth$/, 'orderLines.$1.properties.dateOfBirth'],
  [/^lines\.(\d+)\.participants\.\d+\.home_address\.line_1$/, 'orderLines.$1.properties.street'],
  [/^lines\.(\d+)\.participants\.\d+\.home_address\.zipcode$/, 'orderLines.$1.properties.zipCode'],
  [/^lines\.(\d+)\.participants\.\d+\.home_address\.country_code$/, 'orderLines.$1.properties.countryCode'],
  [/^lines\.(\d+)\.participants\.\d+\.(\w+)$/, 'orderLines.$1.properties.$2'],
  [/^lines$/, 'orderLines'],
  [/^booker\.(\w+)$/, 'customer.$1'],
  [/^client\.name$/, 'clientName'],
  [/^client\.os$/, 'clientOs'],
];

/** Their name for a field of our order request named in an error; ours when it has none. */
export function theirOrderField(field: string): string {
  const match = THEIR_FIELDS.find(([pattern]) => pattern.test(field));
  return match ? field.replace(match[0], match[1]) : field;
}
