import { currencyExponent } from '../../../domain/money';
import type { FieldOrigins } from './request-mapping';

// Our problem answers → Administrate's shape. Their documentation shows only the success answer
// (`{msg, order_id}`), so failures keep its `msg` and add `errors[]`: our stable codes (they document
// none to map onto) with a message and the field in their names (`items.2.event_id`, not
// `lines.2.occurrence_id`). The HTTP status is ours.

export interface AdministrateError {
  code: string;
  message: string;
  field?: string;
  /** With `prepayment_amount_mismatch`: the order's total, in major units as their `payment.amount`. */
  expected?: number;
}

export interface AdministrateFailure {
  msg: string;
  errors: AdministrateError[];
}

/** The members of our problem (or one of its `errors[]`) this mapping reads. */
export interface OurError {
  code: string;
  message?: string;
  detail?: string;
  title?: string;
  field?: string;
  expected?: number;
}

/** The answer's `msg` when an order was refused, the counterpart of their "order created". */
export const ORDER_NOT_CREATED = 'order not created';

/** Our request's top-level fields → theirs. */
const TOP_LEVEL: readonly [string, string][] = [
  ['payment_method', 'payment'],
  ['prepayment.amount', 'payment.amount'],
  ['prepayment.currency', 'payment.currency'],
  ['prepayment.method', 'payment.type'],
  ['prepayment.transaction_code', 'payment.transaction_code'],
  ['prepayment', 'payment'],
  ['currency', 'currency_id'],
  ['booker.name', 'contact.first_name'],
  ['booker', 'contact'],
  ['invoice.email', 'contact.email'],
  ['invoice', 'contact'],
  ['external_contact_id', 'contact_id'],
  ['external_company_id', 'company_id'],
  ['origin', 'source_type_id'],
  ['lines', 'items'],
];

/** A line's fields → an item's. */
const LINE_FIELDS: Readonly<Record<string, string>> = {
  occurrence_id: 'event_id',
  product_id: 'item_id',
  participants: 'students',
};

/** A participant's fields → their contact details'. */
const PERSON_FIELDS: Readonly<Record<string, string>> = { firstname: 'first_name', lastname: 'last_name' };

/** One of our field paths in their names, given where each line and participant came from. */
export function theirField(field: string | undefined, origins?: FieldOrigins): string | undefined {
  if (field === undefined) return undefined;
  const person = /^lines\.(\d+)\.participants\.(\d+)(?:\.(\w+))?/.exec(field);
  if (person && origins) {
    const base = origins.participants.get(`${person[1]}.${person[2]}`);
    if (base) return person[3] ? `${base}.${PERSON_FIELDS[person[3]] ?? person[3]}` : base;
  }
  const line = /^lines\.(\d+)(?:\.(\w+))?/.exec(field);
  if (line && origins) {
    const base = origins.lines[Number(line[1])];
    if (base) return line[2] ? `${base}.${LINE_FIELDS[line[2]] ?? line[2]}` : base;
  }
  for (const [ours, theirs] of TOP_LEVEL) {
    if (field === ours || field.startsWith(`${ours}.`)) return theirs + field.slice(ours.length);
  }
  return field;
}

/**
 * A problem answer of ours (its status and problem+json body) in their shape: every listed error
 * when it lists them, else the problem itself. `currency` turns an `expected` total back into major units.
 */
export function toAdministrateFailure(
  msg: string,
  problem: OurError & { errors?: OurError[] },
  origins?: FieldOrigins,
  currency?: string,
): AdministrateFailure {
  const listed = problem.errors?.length ? problem.errors : [problem];
  return {
    msg,
    errors: listed.map((error) => {
      const field = theirField(error.field, origins);
      const expected =
        error.expected !== undefined && currency ? error.expected / 10 ** currencyExponent(currency) : undefined;
      return {
        code: error.code,
        message: error.message ?? error.detail ?? error.title ?? error.code,
        ...(field ? { field } : {}),
        ...(expected !== undefined ? { expected } : {}),
      };
    }),
  };
}
