import { type RawBuilder, sql } from 'kysely';
import { jsonArrayFrom, jsonObjectFrom } from 'kysely/helpers/postgres';
import type { Db } from '../database';
import type { OccurrenceResourceKind, ProductType } from '../schema';
import { type DocumentAddress, normalizeAddress } from './invoices';

// An order's rows as facility-booking platforms list them: each line with what it is (product
// type and name), when (the occurrence's start and end), where (its resource), for whom and for
// how much — and who ordered it. Both the order list and a single order select them as JSON
// inside their own query (one round trip), keyed by the order id column they read from.

/** The order's lines with product, occurrence and participant, as a JSON array (in line order). */
export function orderRowsOf(db: Db, orderId: RawBuilder<string>) {
  return jsonArrayFrom(
    db
      .selectFrom('order_lines as l')
      .innerJoin('products as pr', 'pr.id', 'l.product_id')
      .leftJoin('occurrences as oc', 'oc.id', 'l.occurrence_id')
      .leftJoin('participants as pa', 'pa.id', 'l.participant_id')
      .select([
        'l.id',
        'l.product_id',
        'pr.type as product_type',
        'pr.name as product_name',
        'l.occurrence_id',
        'oc.starts_at',
        'oc.ends_at',
        'oc.resource_name',
        'oc.resource_kind',
        'l.inventory_date',
        'pa.position as participant_position',
        'pa.firstname as participant_firstname',
        'pa.lastname as participant_lastname',
        'l.description',
        'l.quantity',
        'l.unit_price',
        'l.discount',
        'l.vat_rate_bp',
        'l.excl_vat',
        'l.vat',
        'l.incl_vat',
      ])
      .where('l.order_id', '=', orderId)
      .orderBy('l.position'),
  );
}

/** The booker's customer record, when the order has one: its name and billing address. */
export function orderCustomerOf(db: Db, customerId: RawBuilder<string | null>) {
  return jsonObjectFrom(
    db.selectFrom('customers as cu').select(['cu.name', 'cu.billing_address']).where('cu.id', '=', customerId),
  );
}

/** `orders.<column>` (or `<alias>.<column>`) as the right-hand side of a correlated subquery. */
export function orderColumn<T>(alias: string, column: string): RawBuilder<T> {
  return sql.ref<T>(`${alias}.${column}`);
}

export interface OrderRowJson {
  id: string;
  product_id: string;
  product_type: ProductType;
  product_name: string;
  occurrence_id: string | null;
  starts_at: string | Date | null;
  ends_at: string | Date | null;
  resource_name: string | null;
  resource_kind: OccurrenceResourceKind | null;
  inventory_date: string | null;
  participant_position: number | null;
  participant_firstname: string | null;
  participant_lastname: string | null;
  description: string;
  quantity: number;
  unit_price: number;
  discount: number;
  vat_rate_bp: number;
  excl_vat: number;
  vat: number;
  incl_vat: number;
}

const isoOrNull = (value: string | Date | null) => (value === null ? null : new Date(value).toISOString());

function fullName(first: string | null, last: string | null): string | null {
  const name = [first, last].filter((part) => part && part.trim() !== '').join(' ');
  return name === '' ? null : name;
}

/** One order row as the API answers it: a line of the order summary plus what, when, where and for whom. */
export function presentOrderRow(row: OrderRowJson) {
  return {
    id: row.id,
    product_id: row.product_id,
    product_type: row.product_type,
    product_name: row.product_name,
    occurrence_id: row.occurrence_id,
    date: row.inventory_date,
    starts_at: isoOrNull(row.starts_at),
    ends_at: isoOrNull(row.ends_at),
    resource: row.resource_name && row.resource_kind ? { name: row.resource_name, kind: row.resource_kind } : null,
    participant_index: row.participant_position,
    participant_name: fullName(row.participant_firstname, row.participant_lastname),
    description: row.description,
    quantity: row.quantity,
    unit_price: row.unit_price,
    discount: row.discount,
    vat_rate: row.vat_rate_bp / 100,
    excl_vat: row.excl_vat,
    vat: row.vat,
    incl_vat: row.incl_vat,
  };
}

export type OrderRow = ReturnType<typeof presentOrderRow>;

export interface OrderedBySource {
  customer_id: string | null;
  external_contact_id: string | null;
  booker: unknown;
  company: unknown;
  invoice_details: unknown;
  delivery_details: unknown;
  customer: { name: string; billing_address: unknown } | null;
}

type Json = Record<string, unknown>;
const record = (value: unknown): Json =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
const text = (value: unknown): string | null => (typeof value === 'string' && value.trim() !== '' ? value : null);

/** Street, zip code and city: what facility platforms call a complete address. */
function isComplete(address: DocumentAddress | null): address is DocumentAddress {
  return address !== null && address.line_1 !== null && address.zipcode !== null && address.city !== null;
}

/**
 * Who ordered: the booker as the order names them, with the customer record it is filed under.
 * The address is the customer's billing address if it is complete, else the order's invoice
 * address, else its delivery address (a facility platform's order list does the same), else
 * the first of them that has any part, else null.
 */
export function presentOrderedBy(order: OrderedBySource) {
  const booker = record(order.booker);
  const invoice = record(order.invoice_details);
  const candidates = [
    normalizeAddress(order.customer?.billing_address),
    normalizeAddress(invoice.address),
    normalizeAddress(record(order.delivery_details).address),
  ];
  return {
    customer_id: order.customer_id,
    external_contact_id: order.external_contact_id,
    name:
      text(booker.name) ??
      text(order.customer?.name) ??
      fullName(text(invoice.firstname), text(invoice.lastname)) ??
      null,
    email: text(booker.email),
    phone: text(booker.phone),
    company: text(record(order.company).name),
    address: candidates.find(isComplete) ?? candidates.find((a) => a !== null) ?? null,
  };
}

export type OrderedBy = ReturnType<typeof presentOrderedBy>;
