import { z } from 'zod';
import { currencyExponent } from '../../../domain/money';
import { controlCharacterIn } from '../../../domain/text';
import type { OrderLineRequest, OrderRequest, ParticipantRequest } from '../../../domain/order-request';
import { ORDER_ORIGINS, type OrderOrigin } from '../../../domain/order-request';
import type { ProblemFieldError } from '../../problem';
import { zodIssuesToFieldErrors } from '../../validation-hook';

// Administrate's create-order body (`POST /api/v2/orders`) → our OrderRequest. Pure: the event and
// item ids it names are resolved by the caller (routes.ts) and handed in. Only the shape the
// mapping needs is checked here; whether a value is valid is the /v1 route's business.
//
// Their body names people by contact id only (contacts live in their CRM, which we do not have),
// while our participants need a name and an email. So each `contact_id` may carry an optional
// `contact` with the person's details (our extension, docs/compatibility/administrate.md): people
// with details become participants, an item whose people have none books anonymous seats, and the
// contact ids are kept in the order's internal note so nothing they said is lost.

/** A field passed on as given: /v1 judges its value. */
const given = z.unknown().optional();
/** Their ids are numbers in the examples; text ids (and our UUIDs) are taken too. */
const platformId = z.union([z.number().int().nonnegative(), z.string().min(1).max(128)], {
  error: 'Expected an id: a whole number, or text of 1 to 128 characters',
});
/** Amounts in major units with decimals (123.00), as their API takes them. */
const majorAmount = z.number().nonnegative().finite();

/** Our extension: the person behind a contact id (their contacts are not ours to look up). */
const contactDetails = z.strictObject({ first_name: given, last_name: given, email: given, phone: given });

const student = z.strictObject({ contact_id: platformId, contact: contactDetails.optional() });

const child = z.strictObject({ item_id: platformId, price: majorAmount.optional() });

const item = z.strictObject({
  event_id: platformId.optional(),
  // "If the item contains event_id …": an item without one is a stock item ordered on its own.
  item_id: platformId.optional(),
  price: majorAmount.optional(),
  contact_id: platformId.optional(),
  contact: contactDetails.optional(),
  quantity: z.number().int().optional(),
  students: z.array(student).optional(),
  // Each child is a line of ours, and an order has at most 50.
  children: z.array(child).max(50).optional(),
});

export const administrateOrderSchema = z.strictObject({
  contact_id: platformId,
  contact: contactDetails.optional(),
  company_id: platformId.optional(),
  // Our extension: the invoice needs the company's details, which live in their CRM.
  company: z.strictObject({ name: given, number: given, vat_number: given }).optional(),
  region_id: z.union([z.string().max(100), z.number()]).optional(),
  currency_id: z.string().optional(),
  source_type_id: z.union([z.string().max(100), z.number()]).optional(),
  items: z.array(item).max(50).optional(),
  payment: z
    .strictObject({
      amount: majorAmount,
      type: given,
      currency: z.string().optional(),
      transaction_code: z.union([z.string(), z.number()]).optional(),
    })
    .optional(),
  external_id: platformId.optional(),
});

export type AdministrateOrder = z.infer<typeof administrateOrderSchema>;
type Item = NonNullable<AdministrateOrder['items']>[number];
type ContactDetails = z.infer<typeof contactDetails>;

export type ParsedRequest = { ok: true; body: AdministrateOrder } | { ok: false; errors: ProblemFieldError[] };

/** Their body checked for the mapping; the errors name their fields (`items.2.students.0.contact_id`). */
export function parseAdministrateOrder(value: unknown): ParsedRequest {
  const result = administrateOrderSchema.safeParse(value);
  if (result.success) return { ok: true, body: result.data };
  const errors = zodIssuesToFieldErrors(result.error.issues, 'field', { input: value });
  // An id is a union (number or text), whose failure zod calls neither missing nor of the wrong type.
  return {
    ok: false,
    errors: errors.map((error) => (error.code === 'invalid_value' ? unionError(error, value) : error)),
  };
}

function unionError(error: ProblemFieldError, input: unknown): ProblemFieldError {
  if (!error.field) return error;
  const given = valueAt(input, error.field);
  if (given === undefined) return { ...error, code: 'field_required' };
  return typeof given === 'number' || typeof given === 'string' ? error : { ...error, code: 'invalid_type' };
}

function valueAt(value: unknown, field: string): unknown {
  return field
    .split('.')
    .reduce<unknown>(
      (at, key) => (at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined),
      value,
    );
}

/**
 * Control characters anywhere in their (parsed, so known and shallow) body, named by their field:
 * our route refuses them too, but would name our field, and some of theirs (student contact ids)
 * only reach it inside the order's note.
 */
export function controlCharacterErrors(value: unknown, path = ''): ProblemFieldError[] {
  const at = (key: string) => (path ? `${path}.${key}` : key);
  const found = (field: string, code: number): ProblemFieldError => {
    const codePoint = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
    return {
      code: 'control_character',
      message: `The field "${field}" contains the control character ${codePoint}`,
      field,
    };
  };
  if (typeof value === 'string') {
    const code = controlCharacterIn(value);
    return code === undefined ? [] : [found(path, code)];
  }
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) => {
    const code = controlCharacterIn(key);
    return [...(code === undefined ? [] : [found(at(key), code)]), ...controlCharacterErrors(item, at(key))];
  });
}

/** A reference to one of their ids in the body, with where it is (their field path). */
export interface PlatformReference {
  id: string;
  field: string;
}

/** The event and stock-item ids the body names, to be resolved to our occurrences and products. */
export function platformIdsOf(body: AdministrateOrder): { events: PlatformReference[]; items: PlatformReference[] } {
  const events: PlatformReference[] = [];
  const items: PlatformReference[] = [];
  (body.items ?? []).forEach((entry, k) => {
    if (entry.event_id !== undefined) events.push({ id: String(entry.event_id), field: `items.${k}.event_id` });
    if (entry.item_id !== undefined) items.push({ id: String(entry.item_id), field: `items.${k}.item_id` });
    (entry.children ?? []).forEach((c, m) => {
      items.push({ id: String(c.item_id), field: `items.${k}.children.${m}.item_id` });
    });
  });
  return { events, items };
}

export interface ResolvedIds {
  /** Their event id (as text) → our occurrence id. */
  occurrences: ReadonlyMap<string, string>;
  /** Their item id (as text) → our product id. */
  products: ReadonlyMap<string, string>;
}

/**
 * Where each of our request's lines and participants came from in their body, so an error /v1
 * reports on `lines.3.participants.0.email` is answered on `items.2.students.0.contact.email`.
 */
export interface FieldOrigins {
  lines: string[];
  /** `${line}.${participant}` → their path of that person. */
  participants: Map<string, string>;
}

export type MappedOrder =
  | { ok: true; request: OrderRequest; origins: FieldOrigins }
  | { ok: false; errors: ProblemFieldError[] };

/** Our internal note has room for this much (api/schemas/order-request.ts). */
const NOTE_LIMIT = 2000;

/**
 * Their body as our OrderRequest. With `payment` the order was paid elsewhere (`prepaid`, its
 * transaction code recorded); without one it takes the "fully automatic" route: booked and invoiced.
 * Prices are major units of the order's currency (their `currency_id`, else `baseCurrency`).
 */
export function toOrderRequest(body: AdministrateOrder, ids: ResolvedIds, baseCurrency: string): MappedOrder {
  const currency = body.currency_id?.toLowerCase() ?? baseCurrency;
  const minor = (amount: number, code = currency) => Math.round(amount * 10 ** currencyExponent(code));
  const lines: OrderLineRequest[] = [];
  const origins: FieldOrigins = { lines: [], participants: new Map() };
  const errors: ProblemFieldError[] = [];
  const note: string[] = [];

  (body.items ?? []).forEach((entry, k) => {
    const field = `items.${k}`;
    const people = peopleOf(entry, field);
    const named = people.some((p) => p.details !== undefined);
    const line: OrderLineRequest = {
      ...(entry.event_id !== undefined ? { occurrence_id: ids.occurrences.get(String(entry.event_id)) } : {}),
      ...(entry.item_id !== undefined ? { product_id: ids.products.get(String(entry.item_id)) } : {}),
      ...(entry.price !== undefined ? { price: minor(entry.price) } : {}),
    };
    if (named) {
      if (entry.quantity !== undefined) line.quantity = entry.quantity;
      line.participants = people.map((p, j) => {
        origins.participants.set(`${lines.length}.${j}`, p.field);
        return toParticipant(p.details);
      });
    } else {
      // Anonymous seats: as many as they say, else one per student, else one.
      const students = entry.students?.length ?? 0;
      if (entry.quantity !== undefined && students > 0 && entry.quantity !== students) {
        errors.push({
          code: 'quantity_invalid',
          message: `Item ${k + 1} has quantity ${entry.quantity} but ${students} student(s); make them equal`,
          field: `${field}.quantity`,
        });
      }
      line.quantity = entry.quantity ?? (students || 1);
    }
    const contacts = contactNote(entry);
    if (contacts)
      note.push(`item ${k + 1} (${entry.event_id !== undefined ? 'event' : 'item'} ${targetOf(entry)}): ${contacts}`);
    origins.lines.push(field);
    lines.push(line);

    // Stock items ordered with the event: a line each, one unit at the price they give.
    (entry.children ?? []).forEach((c, m) => {
      origins.lines.push(`${field}.children.${m}`);
      lines.push({
        product_id: ids.products.get(String(c.item_id)),
        quantity: 1,
        ...(c.price !== undefined ? { price: minor(c.price) } : {}),
      });
    });
  });
  if (errors.length) return { ok: false, errors };

  const origin = originOf(body.source_type_id);
  if (body.source_type_id !== undefined && origin === undefined) note.unshift(`source type ${body.source_type_id}`);
  if (body.region_id !== undefined) note.unshift(`region ${body.region_id}`);
  const internal = note.length ? truncate(`Administrate: ${note.join('; ')}`, NOTE_LIMIT) : undefined;

  const payment = body.payment;
  const paymentCurrency = payment?.currency?.toLowerCase() ?? currency;
  const request: Record<string, unknown> = {
    payment_method: payment ? 'prepaid' : 'invoice',
    prepayment: payment
      ? compact({
          amount: minor(payment.amount, paymentCurrency),
          currency: paymentCurrency,
          method: text(payment.type),
          transaction_code: text(payment.transaction_code),
        })
      : undefined,
    currency: body.currency_id === undefined ? undefined : currency,
    booker: body.contact ? personOf(body.contact) : undefined,
    company: body.company
      ? compact({
          name: text(body.company.name),
          number: text(body.company.number),
          vat_number: text(body.company.vat_number),
        })
      : undefined,
    lines,
    external_id: text(body.external_id),
    external_contact_id: String(body.contact_id),
    external_company_id: body.company_id === undefined ? undefined : String(body.company_id),
    origin,
    notes: internal ? { internal } : undefined,
  };
  return { ok: true, request: compact(request) as unknown as OrderRequest, origins };
}

interface Person {
  field: string;
  details: ContactDetails | undefined;
}

/** The people an item seats: its students when it names any, else its delegate contact. */
function peopleOf(entry: Item, field: string): Person[] {
  if (entry.students?.length) {
    return entry.students.map((s, j) => ({ field: `${field}.students.${j}.contact`, details: s.contact }));
  }
  if (entry.contact_id !== undefined || entry.contact !== undefined) {
    return [{ field: `${field}.contact`, details: entry.contact }];
  }
  return [];
}

function targetOf(entry: Item): string {
  return String(entry.event_id ?? entry.item_id ?? '?');
}

/** The item's contact ids in words, for the order's internal note. */
function contactNote(entry: Item): string | undefined {
  const parts: string[] = [];
  if (entry.contact_id !== undefined) parts.push(`delegate contact ${entry.contact_id}`);
  if (entry.students?.length) parts.push(`student contacts ${entry.students.map((s) => s.contact_id).join(', ')}`);
  return parts.length ? parts.join(', ') : undefined;
}

/** Their source type ids are per installation; one spelt as ours (`api`, `staff`, `import`) is taken. */
function originOf(sourceType: string | number | undefined): OrderOrigin | undefined {
  return ORDER_ORIGINS.find((origin) => origin === sourceType);
}

function personOf(details: ContactDetails): { name?: string; email?: string; phone?: string } | undefined {
  const name = [text(details.first_name), text(details.last_name)].filter((part) => part).join(' ');
  return compact({ name: name || undefined, email: text(details.email), phone: text(details.phone) });
}

function toParticipant(details: ContactDetails | undefined): ParticipantRequest {
  if (!details) return {};
  return (
    compact({
      firstname: text(details.first_name),
      lastname: text(details.last_name),
      email: text(details.email),
      phone: text(details.phone),
    }) ?? {}
  );
}

function truncate(value: string, limit: number): string {
  return value.length <= limit ? value : `${value.slice(0, limit - 1)}…`;
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
