import type { XmlElement } from './facility-xml';

// Our order (GET /v1/orders/{id}) → the facility platform's `<order>`. Pure. Amounts stay in minor
// units, as theirs; times are UTC ("2011-04-26 14:45"), the only time zone a tenant has here.

interface OurAddress {
  line_1: string | null;
  zipcode: string | null;
  city: string | null;
  country_code: string | null;
}

interface OurRow {
  id: string;
  product_id: string;
  product_type: string;
  product_name: string;
  starts_at: string | null;
  ends_at: string | null;
  resource: { name: string; kind: string } | null;
  participant_name: string | null;
  quantity: number;
  excl_vat: number;
  incl_vat: number;
}

/** The fields of GET /v1/orders/{id} this mapping reads. */
export interface OurOrderDetails {
  id: string;
  number: number;
  status: string;
  currency: string;
  created_at: string;
  totals: { discounts: number; excl_vat: number; incl_vat: number };
  vat_summary: { rate: number; amount: number }[];
  lines: OurRow[];
  ordered_by: {
    customer_id: string | null;
    external_contact_id: string | null;
    name: string | null;
    address: OurAddress | null;
  };
  left_to_pay: number;
  notes: { mark?: string; external?: string; internal?: string } | null;
  preliminary_until: string | null;
  campaign_codes: string[];
  voucher_code: string | null;
  payment: { redirect_url: string | null };
}

/** Their product types for ours (their documentation shows `Service` for a court hour). */
const PRODUCT_TYPES: Readonly<Record<string, string>> = {
  facility_slot: 'Service',
  course: 'Course',
  ticket: 'Ticket',
  item: 'Article',
  subscription: 'Subscription',
  voucher: 'Voucher',
};

/** Statuses in which the whole order has been charged or invoiced (their "debited"). */
const DEBITED = new Set(['paid', 'booked', 'invoiced', 'completed']);

/** Statuses in which a card order still waits for its payment (their preliminary order, until its deadline). */
const WAITING = new Set(['received', 'reserved', 'awaiting_payment', 'payment_failed']);

const countries = new Intl.DisplayNames(['en'], { type: 'region' });

function countryName(code: string | null): string {
  if (!code) return '';
  try {
    return countries.of(code) ?? code;
  } catch {
    return code;
  }
}

const capitalized = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

/** "2011-04-26 14:45" (UTC), their time stamp. */
export function facilityTime(iso: string | null): string {
  if (!iso) return '';
  return new Date(iso).toISOString().slice(0, 16).replace('T', ' ');
}

/** Their `<timepoint>`: Unix seconds, date and time; an empty element when the row has no time. */
function timepoint(iso: string | null): XmlElement | string {
  if (!iso) return '';
  const at = facilityTime(iso);
  return {
    timepoint: {
      timestamp: Math.floor(Date.parse(iso) / 1000),
      datetime: at,
      date: at.slice(0, 10),
      time: at.slice(11),
    },
  };
}

function item(row: OurRow, productIds: ReadonlyMap<string, string>): XmlElement {
  return {
    id: row.id,
    producttype: PRODUCT_TYPES[row.product_type] ?? row.product_type,
    productname: row.product_name,
    productid: productIds.get(row.product_id) ?? row.product_id,
    // A resource has a name and a kind here, no id of its own: the id element is there, empty.
    resources: row.resource
      ? { resource: { id: '', name: row.resource.name, type: capitalized(row.resource.kind) } }
      : '',
    start: timepoint(row.starts_at),
    end: timepoint(row.ends_at),
    numberofproducts: row.quantity,
    participant: row.participant_name,
    priceexvat: row.excl_vat,
    priceincvat: row.incl_vat,
  };
}

/**
 * `productIds` maps our product ids to the ids the client knows (their external ids); a product
 * without one shows ours. Elements past their documentation (`status`, `currency`, `paymenturl`)
 * come last, so a reader of theirs finds every documented element where it was.
 */
export function toFacilityOrder(order: OurOrderDetails, productIds: ReadonlyMap<string, string>): XmlElement {
  const who = order.ordered_by;
  const address = who.address;
  const postal = [address?.zipcode, address?.city].filter((part) => part).join(' ');
  const preliminary = order.preliminary_until !== null && WAITING.has(order.status);
  const coupons = [...order.campaign_codes, ...(order.voucher_code ? [order.voucher_code] : [])];
  return {
    id: order.id,
    number: order.number,
    created: facilityTime(order.created_at),
    orderedby: {
      id: who.customer_id,
      number: who.external_contact_id,
      name: who.name,
      streetaddress: address?.line_1 ?? '',
      postaladdress: postal,
      country: countryName(address?.country_code ?? null),
    },
    items: order.lines.length ? { item: order.lines.map((row) => item(row, productIds)) } : '',
    sumexvat: order.totals.excl_vat,
    vatsums: order.vat_summary.length
      ? { vatsum: order.vat_summary.map((vat) => ({ rate: vat.rate, amount: vat.amount })) }
      : '',
    sum: order.totals.incl_vat,
    lefttopay: order.left_to_pay,
    fullydebited: DEBITED.has(order.status),
    coupondiscount: order.totals.discounts,
    mark: order.notes?.mark ?? '',
    externalnote: order.notes?.external ?? '',
    internalnote: order.notes?.internal ?? '',
    bringnotetoinvoice: false,
    preliminary,
    preliminaryuntil: preliminary ? facilityTime(order.preliminary_until) : '',
    coupons: coupons.length ? { coupon: coupons.map((name) => ({ name })) } : '',
    status: order.status,
    currency: order.currency,
    paymenturl: preliminary ? order.payment.redirect_url : null,
  };
}
