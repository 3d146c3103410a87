// Business validation of an order request against a catalogue snapshot (pure).
//
// Runs after the zod shape check (a failure there is a 400) and before anything is written:
// every business-rule failure is collected — not just the first — and reported as a 422 list
// of BusinessError {code, message, field, index}. When there is none, the result is the
// OrderDraft the `placeOrder` activity persists, priced with `priceOrder`.
//
// Pure and deterministic: no I/O, no clock (the snapshot carries `now`), no randomness and no
// runtime imports outside domain/, because it also runs inside the Temporal workflow sandbox.
// `OrderRequest` is imported as a type only, so zod is never loaded here.
//
// Conventions:
//  - `field` is a dotted path into the request, e.g. `lines.0.participants.1.email`.
//  - `index` is the participant index for participant errors — the 0-based position of the
//    participant across the whole order, in request order (with one line, as a course-booking client sends, that
//    is the index in the line's `participants`); messages count from 1 ("Participant 2 …").
//    For other line errors it is the line index; order-level errors have no index.
//  - Catalogue prices are in the tenant base currency and are converted per unit to the order
//    currency. Price overrides in the request are taken to be in the order currency already.

import type { OrderRequest } from './order-request';
import type { BusinessError } from './business-error';
import { campaignCodesOf, checkCampaign, checkCampaignCodeList } from './campaign-codes';
import { isValidEmail } from './email-address';
import { convertMinor, ExchangeError, parseRate } from './exchange';
import type {
  CatalogOccurrence,
  CatalogProduct,
  CatalogSubscriptionPeriod,
  CatalogSnapshot,
  DraftCampaign,
  DraftHold,
  DraftLine,
  DraftParticipant,
  OrderDraft,
  ValidationOutcome,
} from './order-draft';
import {
  type CampaignDiscount,
  type PricingLineInput,
  type PricingResult,
  PricingError,
  priceOrder,
  type VoucherDiscount,
} from './pricing';

/** Every code validateOrder can emit, with a one-line description (the docs table). */
/** Participants one order may name in all (docs/api-examples.md, "Large orders"). */
export const MAX_PARTICIPANTS_PER_ORDER = 5_000;

export const ORDER_ERROR_CODES = {
  order_lines_empty: 'The order has no lines; at least one line is required.',
  too_many_participants:
    `The order names more than ${MAX_PARTICIPANTS_PER_ORDER} participants in all; split ` + `it into several orders.`,
  line_target_missing: 'A line names neither an occurrence_id nor a product_id.',
  line_target_ambiguous: 'A line names both an occurrence_id and a product_id; give exactly one.',
  course_date_identifier_invalid: 'The occurrence (course date) does not exist for this tenant.',
  default_course_product_missing:
    "The occurrence's product is missing from the catalogue; the course is not correctly configured.",
  occurrence_cancelled: 'The occurrence has been cancelled and cannot be booked.',
  occurrence_in_past: 'The occurrence has already started or is in the past.',
  occurrence_full: 'The occurrence has fewer seats left than the order asks for.',
  product_identifier_invalid: 'The product does not exist or is not for sale.',
  product_inactive: "The occurrence's product has been deactivated; its occurrences are not for sale.",
  occurrence_required:
    'The product is sold per occurrence (course, ticket, facility slot); order it with an occurrence_id.',
  date_required: 'The product has inventory per date; the line needs a date.',
  date_not_allowed: 'The line has a date, but its product has no inventory per date (or it books an occurrence).',
  subscription_period_required: 'A subscription product is bought for one of its periods: the line needs `period`.',
  subscription_period_invalid: 'The period does not exist for this product or is no longer sold.',
  subscription_fields_not_allowed: '`period` and `start_date` are only for subscription products.',
  subscription_start_date_invalid: 'The start date is not a valid date, or is in the past.',
  subscription_quantity_invalid: 'A subscription line is one subscription: quantity 1, no participants.',
  payment_method_not_allowed_for_period: 'The period is not sold with this payment method (its payment_methods).',
  delivery_address_required: 'A physical subscription needs a delivery address (line_1, zipcode, city) unless free.',
  date_invalid: 'The date is not a real calendar date.',
  date_in_past: 'The date is before today.',
  participants_empty: 'A line has participants: []; name at least one, or leave participants out and give a quantity.',
  quantity_invalid:
    'The quantity must be an integer from 1 to 100, and equal the number of participants when participants are given.',
  participant_name_invalid_empty: 'A participant must have both a first name and a last name.',
  participant_email_invalid_empty: 'A participant must have an email address.',
  participant_email_invalid: "A participant's email address is malformed.",
  participant_does_not_have_a_course_product:
    'With auto_append_course_product false, every participant must list the main (course) product.',
  participant_have_multiple_course_products: 'A participant lists the main (course) product more than once.',
  participant_products_invalid:
    "A participant's product does not exist, is not for sale, or cannot be an add-on (dated or per-date products).",
  price_override_not_allowed: 'A price override needs the orders:price_override permission.',
  card_fields_not_allowed: 'payment_complete_url and payment_cancel_url are only allowed for card payments.',
  invoice_recipient_missing: 'An invoice order needs an invoice.email or a booker.email to send the invoice to.',
  booker_email_invalid: "The booker's email address is malformed.",
  booker_email_invalid_empty: 'A card order needs an email address for the receipt (booker, invoice or a participant).',
  invoice_email_invalid: 'The invoice email address is malformed.',
  exchange_rate_does_not_exist: 'No exchange rate is configured from the base currency to the order currency.',
  campaign_code_invalid:
    'The campaign code does not exist, is in another currency, or applies to none of the products.',
  campaign_code_not_yet_valid: 'The campaign code is not valid yet.',
  campaign_code_expired: 'The campaign code has expired.',
  campaign_code_used_up: 'The campaign code has reached its maximum number of uses.',
  campaign_minimum_not_met: 'The order total (incl. VAT, before the campaign) is below the campaign minimum.',
  campaign_codes_conflict: 'The order names both campaign_code and campaign_codes; give one of them.',
  campaign_code_duplicate: 'campaign_codes names the same code more than once (codes are case-insensitive).',
  campaign_stacking_not_allowed:
    "The order names more than one campaign code, but the tenant's campaign_stacking setting is off.",
  voucher_code_invalid: 'The voucher code does not exist or is in another currency.',
  voucher_code_expired: 'The voucher code has expired.',
  voucher_code_already_used: 'The voucher has already been redeemed or has no value left.',
  payment_method_free_not_allowed: "Payment method 'free' is only allowed when the order total is 0.",
  prepayment_missing: "Payment method 'prepaid' needs the payment's details in `prepayment`.",
  prepayment_not_allowed: "`prepayment` is only allowed with payment method 'prepaid'.",
  prepayment_currency_mismatch: 'The prepayment is in another currency than the order.',
  prepayment_amount_mismatch: 'The prepayment does not equal the order total (incl. VAT, after discounts).',
  pricing_invalid: 'The order could not be priced (an amount or percentage is out of range).',
} as const satisfies Readonly<Record<string, string>>;

export type OrderErrorCode = keyof typeof ORDER_ERROR_CODES;

export interface ValidationContext {
  /** The caller holds the orders:price_override scope. */
  canOverridePrice: boolean;
}

type RequestLine = OrderRequest['lines'][number];
type RequestParticipant = NonNullable<RequestLine['participants']>[number];

const DATED_TYPES: ReadonlySet<CatalogProduct['type']> = new Set(['course', 'ticket', 'facility_slot']);
const MAX_LINE_QUANTITY = 100;

/** A draft line before keys/positions are assigned; remembers which request line made it. */
interface PlannedLine extends Omit<DraftLine, 'key' | 'position'> {
  requestLine: number;
  vatRateBp: number;
}

function isBlank(value: string | undefined | null): boolean {
  return value === undefined || value === null || value.trim().length === 0;
}

function trimmedOrNull(value: string | undefined): string | null {
  return value === undefined || value.trim().length === 0 ? null : value.trim();
}

/** A real YYYY-MM-DD calendar date (the schema only checks the shape). */
function isCalendarDate(date: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

function isUsableRate(rate: string): boolean {
  try {
    parseRate(rate);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks `request` against the catalogue `snapshot`. Returns every business error at once, or
 * the priced OrderDraft. Never throws for bad input.
 */
export function validateOrder(
  request: OrderRequest,
  snapshot: CatalogSnapshot,
  context: ValidationContext,
): ValidationOutcome {
  const errors: BusinessError[] = [];
  const fail = (code: OrderErrorCode, message: string, field?: string, index?: number): void => {
    const error: BusinessError = { code, message };
    if (field !== undefined) error.field = field;
    if (index !== undefined) error.index = index;
    errors.push(error);
  };

  const nowMs = Date.parse(snapshot.now);
  const today = new Date(nowMs).toISOString().slice(0, 10);
  const baseCurrency = snapshot.tenant.baseCurrency;
  const paymentMethod = request.payment_method;

  // ── Currency ───────────────────────────────────────────────────────────────────────────
  const currency = request.currency ?? baseCurrency;
  let exchangeRate: string | null = null;
  if (currency !== baseCurrency) {
    const rate = snapshot.exchangeRates[currency];
    if (rate === undefined || !isUsableRate(rate)) {
      fail(
        'exchange_rate_does_not_exist',
        `No exchange rate from ${baseCurrency.toUpperCase()} to ${currency.toUpperCase()} is configured`,
        'currency',
      );
    } else {
      exchangeRate = rate;
    }
  }
  const currencyUsable = currency === baseCurrency || exchangeRate !== null;

  /**
   * A subscription line's period, checked against the line and the order: one subscription per
   * line, a period the product sells, a start date from today on, a payment method the period
   * takes and, for a physical one that costs something, a delivery address. Null after failing.
   */
  const subscriptionPeriodOf = (
    line: OrderRequest['lines'][number],
    product: CatalogProduct,
    li: number,
    lf: string,
  ): CatalogSubscriptionPeriod | null => {
    if (line.period === undefined) {
      fail('subscription_period_required', `Line ${li + 1}: choose a period of ${product.name}`, `${lf}.period`, li);
      return null;
    }
    const code = line.period.trim().toLowerCase();
    const period = snapshot.subscriptionPeriods?.[product.id]?.find((p) => p.code.toLowerCase() === code);
    if (period === undefined) {
      const message = `Line ${li + 1}: ${product.name} has no period ${line.period} for sale`;
      fail('subscription_period_invalid', message, `${lf}.period`, li);
      return null;
    }
    let ok = true;
    if ((line.participants?.length ?? 0) > 0 || (line.quantity !== undefined && line.quantity !== 1)) {
      const message = `Line ${li + 1}: one subscription per line (quantity 1, no participants)`;
      fail('subscription_quantity_invalid', message, `${lf}.quantity`, li);
      ok = false;
    }
    if (line.start_date !== undefined && (!isCalendarDate(line.start_date) || line.start_date < today)) {
      const message = `Line ${li + 1}: ${line.start_date} is not a date from today (${today}) on`;
      fail('subscription_start_date_invalid', message, `${lf}.start_date`, li);
      ok = false;
    }
    const method = paymentMethod === 'prepaid' ? 'card' : paymentMethod;
    if (period.price > 0 && !period.paymentMethods.includes(method)) {
      const message =
        `Line ${li + 1}: ${period.name} is paid by ${period.paymentMethods.join(' or ')}, ` + `not ${paymentMethod}`;
      fail('payment_method_not_allowed_for_period', message, 'payment_method', li);
      ok = false;
    }
    const address = request.delivery?.address;
    if (period.physical && period.price > 0 && !(address?.line_1 && address.zipcode && address.city)) {
      const message = `Line ${li + 1}: ${product.name} is delivered; give delivery.address (line_1, zipcode, city)`;
      fail('delivery_address_required', message, 'delivery.address', li);
      ok = false;
    }
    return ok ? period : null;
  };

  /** Catalogue price (base currency) → order currency, per unit. Null when not convertible. */
  const catalogPrice = (amount: number, field: string, index: number): number | null => {
    if (!currencyUsable) return null;
    if (exchangeRate === null) return amount;
    try {
      return convertMinor(amount, baseCurrency, currency, exchangeRate);
    } catch (e) {
      if (!(e instanceof ExchangeError)) throw e;
      fail(
        'pricing_invalid',
        `The price could not be converted to ${currency.toUpperCase()}: ${e.message}`,
        field,
        index,
      );
      return null;
    }
  };

  const checkOverride = (price: number | undefined, field: string, index: number, who: string): void => {
    if (price !== undefined && !context.canOverridePrice) {
      fail(
        'price_override_not_allowed',
        `${who}: overriding the price needs the orders:price_override permission`,
        field,
        index,
      );
    }
  };

  // ── Lines ──────────────────────────────────────────────────────────────────────────────
  const errorsBeforeLines = errors.length;
  const planned: PlannedLine[] = [];
  const participants: DraftParticipant[] = [];
  const holds: DraftHold[] = [];
  const occurrenceHolds = new Map<string, { hold: DraftHold; occurrence: CatalogOccurrence; firstLine: number }>();
  const dateHolds = new Map<string, DraftHold>();
  const autoAppend = request.config?.auto_append_course_product !== false;

  if (request.lines.length === 0) {
    fail('order_lines_empty', 'The order must have at least one line', 'lines');
  }
  const participantsInAll = request.lines.reduce((n, line) => n + (line.participants?.length ?? 0), 0);
  if (participantsInAll > MAX_PARTICIPANTS_PER_ORDER) {
    fail(
      'too_many_participants',
      `The order names ${participantsInAll} participants; at most ${MAX_PARTICIPANTS_PER_ORDER} are taken in one order`,
      'lines',
    );
    return { ok: false, errors };
  }

  let participantCounter = 0;

  request.lines.forEach((line, li) => {
    const lf = `lines.${li}`;
    const lineParticipants: RequestParticipant[] = line.participants ?? [];
    const hasParticipants = lineParticipants.length > 0;
    const firstPosition = participantCounter;
    participantCounter += lineParticipants.length;

    checkOverride(line.price, `${lf}.price`, li, `Line ${li + 1}`);
    // An empty list once booked one anonymous seat: the client meant somebody, so say so.
    if (line.participants !== undefined && line.participants.length === 0) {
      fail(
        'participants_empty',
        `Line ${li + 1} has an empty participants list; name them, or leave participants out and give a quantity`,
        `${lf}.participants`,
        li,
      );
    }

    // Participant identity and overrides: checked whatever the line targets.
    lineParticipants.forEach((p, pj) => {
      const position = firstPosition + pj;
      const pf = `${lf}.participants.${pj}`;
      const label = `Participant ${position + 1}`;
      if (isBlank(p.firstname) || isBlank(p.lastname)) {
        fail(
          'participant_name_invalid_empty',
          `${label} must have a first name and a last name`,
          `${pf}.${isBlank(p.firstname) ? 'firstname' : 'lastname'}`,
          position,
        );
      }
      if (isBlank(p.email)) {
        fail('participant_email_invalid_empty', `${label} must have an email address`, `${pf}.email`, position);
      } else if (!isValidEmail((p.email ?? '').trim())) {
        fail('participant_email_invalid', `${label} has an invalid email address`, `${pf}.email`, position);
      }
      checkOverride(p.price, `${pf}.price`, position, label);
      (p.products ?? []).forEach((pp, k) => {
        checkOverride(pp.price, `${pf}.products.${k}.price`, position, label);
      });

      const details: Record<string, unknown> = {};
      if (p.home_address !== undefined) details.home_address = p.home_address;
      if (p.work_address !== undefined) details.work_address = p.work_address;
      participants.push({
        position,
        firstname: (p.firstname ?? '').trim(),
        lastname: (p.lastname ?? '').trim(),
        email: trimmedOrNull(p.email),
        phone: trimmedOrNull(p.phone),
        dateOfBirth: p.date_of_birth ?? null,
        details,
      });
    });

    // Target.
    const hasOccurrence = line.occurrence_id !== undefined;
    const hasProduct = line.product_id !== undefined;
    if (!hasOccurrence && !hasProduct) {
      fail('line_target_missing', `Line ${li + 1} must name an occurrence_id or a product_id`, lf, li);
      return;
    }
    if (hasOccurrence && hasProduct) {
      fail(
        'line_target_ambiguous',
        `Line ${li + 1} must name either an occurrence_id or a product_id, not both`,
        lf,
        li,
      );
      return;
    }

    // Seats/units this line asks for.
    let units = 0;
    if (hasParticipants) {
      units = lineParticipants.length;
      if (line.quantity !== undefined && line.quantity !== units) {
        fail(
          'quantity_invalid',
          `Line ${li + 1} has quantity ${line.quantity} but ${units} participant(s); leave ` +
            `quantity out or make them equal`,
          `${lf}.quantity`,
          li,
        );
      }
    } else {
      const q = line.quantity ?? 1;
      if (!Number.isInteger(q) || q < 1 || q > MAX_LINE_QUANTITY) {
        fail(
          'quantity_invalid',
          `Line ${li + 1} quantity must be an integer from 1 to ${MAX_LINE_QUANTITY}`,
          `${lf}.quantity`,
          li,
        );
      } else {
        units = q;
      }
    }

    let mainProduct: CatalogProduct | null = null;
    let occurrence: CatalogOccurrence | null = null;
    let inventoryDate: string | null = null;
    let baseUnitPrice = 0;
    let description = '';
    let subscription: DraftLine['subscription'] | null = null;

    if (hasOccurrence) {
      const occurrenceId = line.occurrence_id as string;
      const occ = snapshot.occurrences[occurrenceId];
      const field = `${lf}.occurrence_id`;
      if (occ === undefined) {
        fail('course_date_identifier_invalid', `Line ${li + 1}: occurrence ${occurrenceId} does not exist`, field, li);
        return;
      }
      let usable = true;
      if (occ.status === 'cancelled') {
        fail('occurrence_cancelled', `Line ${li + 1}: ${occ.name} has been cancelled`, field, li);
        usable = false;
      } else if (!(Date.parse(occ.startsAt) > nowMs)) {
        fail('occurrence_in_past', `Line ${li + 1}: ${occ.name} has already started`, field, li);
        usable = false;
      }
      const product = snapshot.products[occ.productId];
      if (product === undefined) {
        fail(
          'default_course_product_missing',
          `Line ${li + 1}: ${occ.name} has no product; the course is not correctly configured`,
          field,
          li,
        );
        return;
      }
      if (!product.active) {
        const message = `Line ${li + 1}: ${product.name} is deactivated; ${occ.name} is not for sale`;
        fail('product_inactive', message, field, li);
        usable = false;
      }
      if (line.date !== undefined) {
        fail('date_not_allowed', `Line ${li + 1}: ${occ.name} is an occurrence; leave out date`, `${lf}.date`, li);
      }
      if (!usable) return;
      occurrence = occ;
      mainProduct = product;
      baseUnitPrice = occ.price ?? product.price;
      description = occ.name.trim().length > 0 ? occ.name : product.name;
    } else {
      const productId = line.product_id as string;
      const product = snapshot.products[productId];
      const field = `${lf}.product_id`;
      if (product === undefined || !product.active) {
        fail(
          'product_identifier_invalid',
          `Line ${li + 1}: product ${productId} does not exist or is not for sale`,
          field,
          li,
        );
        return;
      }
      if (DATED_TYPES.has(product.type)) {
        fail(
          'occurrence_required',
          `Line ${li + 1}: ${product.name} is sold per occurrence; order it with an occurrence_id`,
          field,
          li,
        );
        return;
      }
      let period: CatalogSubscriptionPeriod | null = null;
      if (product.type === 'subscription') {
        period = subscriptionPeriodOf(line, product, li, lf);
        if (period === null) return;
        subscription = { periodId: period.id, startDate: line.start_date ?? today };
      } else if (line.period !== undefined || line.start_date !== undefined) {
        const field = `${lf}.${line.period !== undefined ? 'period' : 'start_date'}`;
        fail('subscription_fields_not_allowed', `Line ${li + 1}: ${product.name} is not a subscription`, field, li);
        return;
      } else if (product.dailyCapacity !== null) {
        if (line.date === undefined) {
          fail(
            'date_required',
            `Line ${li + 1}: ${product.name} is sold per date; the line needs a date`,
            `${lf}.date`,
            li,
          );
          return;
        }
        if (!isCalendarDate(line.date)) {
          fail('date_invalid', `Line ${li + 1}: ${line.date} is not a valid date`, `${lf}.date`, li);
          return;
        }
        if (line.date < today) {
          fail('date_in_past', `Line ${li + 1}: ${line.date} is in the past`, `${lf}.date`, li);
          return;
        }
        inventoryDate = line.date;
      } else if (line.date !== undefined) {
        // Without per-date inventory nothing would hold the date: it would be dropped silently.
        const message = `Line ${li + 1}: ${product.name} has no inventory per date; leave out date`;
        fail('date_not_allowed', message, `${lf}.date`, li);
      }
      mainProduct = product;
      baseUnitPrice = period?.price ?? product.price;
      description = period ? `${product.name} — ${period.name}` : product.name;
    }

    // Holds (only for units we could count).
    if (units > 0) {
      if (occurrence !== null) {
        const entry = occurrenceHolds.get(occurrence.id);
        if (entry) entry.hold.quantity += units;
        else {
          const hold: DraftHold = {
            occurrenceId: occurrence.id,
            productId: null,
            inventoryDate: null,
            quantity: units,
          };
          holds.push(hold);
          occurrenceHolds.set(occurrence.id, { hold, occurrence, firstLine: li });
        }
      } else if (inventoryDate !== null) {
        const key = `${mainProduct.id}|${inventoryDate}`;
        const existing = dateHolds.get(key);
        if (existing) existing.quantity += units;
        else {
          const hold: DraftHold = { occurrenceId: null, productId: mainProduct.id, inventoryDate, quantity: units };
          holds.push(hold);
          dateHolds.set(key, hold);
        }
      }
    }

    const mainUnitPrice = catalogPrice(baseUnitPrice, hasOccurrence ? `${lf}.occurrence_id` : `${lf}.product_id`, li);
    const main = mainProduct;
    const occurrenceId = occurrence?.id ?? null;

    if (!hasParticipants) {
      if (units > 0) {
        planned.push({
          requestLine: li,
          productId: main.id,
          occurrenceId,
          inventoryDate,
          participantPosition: null,
          description,
          quantity: units,
          unitPrice: line.price ?? mainUnitPrice ?? 0,
          discountPercent: line.discount_percent ?? null,
          vatRateBp: main.vatRateBp,
          ...(subscription ? { subscription } : {}),
        });
      }
      return;
    }

    // One main line per participant, then that participant's add-ons.
    const requireExplicitMain = hasOccurrence && !autoAppend;
    lineParticipants.forEach((p, pj) => {
      const position = firstPosition + pj;
      const pf = `${lf}.participants.${pj}`;
      const label = `Participant ${position + 1}`;
      const entries = (p.products ?? []).map((entry, k) => ({ entry, k }));
      const mainEntries = entries.filter(({ entry }) => entry.id === main.id);

      if (mainEntries.length > 1) {
        fail(
          'participant_have_multiple_course_products',
          `${label} lists ${main.name} ${mainEntries.length} times; only one per participant`,
          `${pf}.products.${mainEntries[1]?.k ?? 0}.id`,
          position,
        );
      } else if (mainEntries.length === 0 && requireExplicitMain) {
        fail(
          'participant_does_not_have_a_course_product',
          `${label} is missing the course product ${main.name}`,
          `${pf}.products`,
          position,
        );
      }
      const mainEntry = mainEntries[0]?.entry;
      if (mainEntry?.quantity !== undefined && mainEntry.quantity !== 1) {
        fail(
          'quantity_invalid',
          `${label}: the course product is one seat per participant; quantity must be 1`,
          `${pf}.products.${mainEntries[0]?.k ?? 0}.quantity`,
          position,
        );
      }

      planned.push({
        requestLine: li,
        productId: main.id,
        occurrenceId,
        inventoryDate,
        participantPosition: position,
        description,
        quantity: 1,
        unitPrice: mainEntry?.price ?? p.price ?? line.price ?? mainUnitPrice ?? 0,
        discountPercent: mainEntry?.discount_percent ?? p.discount_percent ?? line.discount_percent ?? null,
        vatRateBp: main.vatRateBp,
      });

      for (const { entry, k } of entries) {
        if (entry.id === main.id) continue;
        const field = `${pf}.products.${k}.id`;
        const addOn = snapshot.products[entry.id];
        if (addOn === undefined || !addOn.active) {
          fail(
            'participant_products_invalid',
            `One of the products for participant ${position + 1} has an invalid id: ${entry.id}`,
            field,
            position,
          );
          continue;
        }
        if (DATED_TYPES.has(addOn.type) || addOn.dailyCapacity !== null) {
          fail(
            'participant_products_invalid',
            `${label}: ${addOn.name} needs its own occurrence or date and cannot be an add-on`,
            field,
            position,
          );
          continue;
        }
        const addOnPrice = entry.price ?? catalogPrice(addOn.price, field, position);
        planned.push({
          requestLine: li,
          productId: addOn.id,
          occurrenceId: null,
          inventoryDate: null,
          participantPosition: position,
          description: addOn.name,
          quantity: entry.quantity ?? 1,
          unitPrice: addOnPrice ?? 0,
          discountPercent: entry.discount_percent ?? null,
          vatRateBp: addOn.vatRateBp,
        });
      }
    });
  });

  // Early capacity check (the database enforces it again atomically when holding seats).
  for (const { hold, occurrence, firstLine } of occurrenceHolds.values()) {
    const left = Math.max(0, occurrence.capacity - occurrence.seatsTaken);
    if (left < hold.quantity) {
      fail(
        'occurrence_full',
        `${occurrence.name} has ${left} seat(s) left; this order needs ${hold.quantity}`,
        `lines.${firstLine}.occurrence_id`,
        firstLine,
      );
    }
  }
  const linesOk = errors.length === errorsBeforeLines && currencyUsable && request.lines.length > 0;

  // ── Payment, booker and invoice ────────────────────────────────────────────────────────
  if (paymentMethod !== 'card') {
    for (const key of ['payment_complete_url', 'payment_cancel_url'] as const) {
      if (request[key] !== undefined) {
        fail('card_fields_not_allowed', `${key} is only allowed for card payments, not '${paymentMethod}'`, key);
      }
    }
  }
  const bookerEmail = trimmedOrNull(request.booker?.email);
  const invoiceEmail = trimmedOrNull(request.invoice?.email);
  const bookerEmailValid = bookerEmail !== null && isValidEmail(bookerEmail);
  const invoiceEmailValid = invoiceEmail !== null && isValidEmail(invoiceEmail);
  if (bookerEmail !== null && !bookerEmailValid) {
    fail('booker_email_invalid', "The booker's email address is invalid", 'booker.email');
  }
  if (invoiceEmail !== null && !invoiceEmailValid) {
    fail('invoice_email_invalid', 'The invoice email address is invalid', 'invoice.email');
  }
  if (paymentMethod === 'invoice' && bookerEmail === null && invoiceEmail === null) {
    fail('invoice_recipient_missing', 'An invoice order needs invoice.email or booker.email', 'invoice.email');
  }
  const firstParticipantEmail =
    participants.map((p) => p.email).find((e): e is string => e !== null && isValidEmail(e)) ?? null;
  const receiptEmail = bookerEmail ?? invoiceEmail ?? firstParticipantEmail;
  if (paymentMethod === 'card' && receiptEmail === null) {
    fail(
      'booker_email_invalid_empty',
      'A card order needs an email address for the receipt: give booker.email',
      'booker.email',
    );
  }

  // ── Campaigns (domain/campaign-codes.ts) ─────────────────────────────────────────────
  const campaignInputs: CampaignDiscount[] = [];
  const draftCampaigns: DraftCampaign[] = [];
  const campaignMinimums: { code: string; field: string; minimum: number }[] = [];
  const listProblems = checkCampaignCodeList(request, snapshot.tenant.campaignStacking === true);
  for (const problem of listProblems) fail(problem.code, problem.message, problem.field);
  let campaignOk = listProblems.length === 0;
  if (campaignOk) {
    const known = [...(snapshot.campaigns ?? []), ...(snapshot.campaign ? [snapshot.campaign] : [])];
    const orderProductIds = linesOk ? new Set(planned.map((l) => l.productId)) : null;
    for (const requested of campaignCodesOf(request)) {
      const check = checkCampaign(requested, known, { nowMs, currency, orderProductIds });
      if (!check.ok) {
        fail(check.problem.code, check.problem.message, check.problem.field);
        campaignOk = false;
        continue;
      }
      campaignInputs.push(check.discount);
      draftCampaigns.push({ code: check.discount.code, campaignId: check.campaignId });
      if (check.minimum !== null)
        campaignMinimums.push({ code: check.discount.code, field: requested.field, minimum: check.minimum });
    }
  }

  // ── Voucher ────────────────────────────────────────────────────────────────────────────
  const voucherCodeInput = trimmedOrNull(request.voucher_code);
  let voucherInput: VoucherDiscount | undefined;
  let voucherOk = voucherCodeInput === null;
  if (voucherCodeInput !== null) {
    const v = snapshot.voucher;
    const field = 'voucher_code';
    if (v === null || v.code.toUpperCase() !== voucherCodeInput.toUpperCase()) {
      fail('voucher_code_invalid', `The voucher code ${voucherCodeInput} is not valid`, field);
    } else if (v.validUntil !== null && nowMs > Date.parse(v.validUntil)) {
      fail('voucher_code_expired', `The voucher code ${v.code} has expired`, field);
    } else if (v.redeemedAt !== null || (v.kind === 'value' && (v.remainingValue ?? 0) <= 0)) {
      fail('voucher_code_already_used', `The voucher code ${v.code} has already been used`, field);
    } else if (v.kind === 'value' && v.currency !== currency) {
      fail(
        'voucher_code_invalid',
        `The voucher code ${v.code} is not valid for orders in ${currency.toUpperCase()}`,
        field,
      );
    } else if (v.kind === 'percent' && v.percent === null) {
      fail('voucher_code_invalid', `The voucher code ${v.code} is not valid`, field);
    } else {
      voucherOk = true;
      voucherInput =
        v.kind === 'value'
          ? { code: v.code, kind: 'value', remaining: v.remainingValue ?? 0 }
          : { code: v.code, kind: 'percent', percent: v.percent ?? 0 };
    }
  }

  // ── Pricing ────────────────────────────────────────────────────────────────────────────
  const lines: DraftLine[] = planned.map(({ requestLine: _r, vatRateBp: _v, ...rest }, position) => ({
    ...rest,
    key: `l${position}`,
    position,
  }));
  let pricing: PricingResult | null = null;

  if (linesOk) {
    const pricingLines: PricingLineInput[] = planned.map((l, i) => {
      const input: PricingLineInput = {
        key: `l${i}`,
        productId: l.productId,
        description: l.description,
        quantity: l.quantity,
        unitPrice: l.unitPrice,
        vatRateBp: l.vatRateBp,
      };
      if (l.discountPercent !== null) input.discountPercent = l.discountPercent;
      if (l.participantPosition !== null) input.participantIndex = l.participantPosition;
      if (l.occurrenceId !== null) input.occurrenceId = l.occurrenceId;
      return input;
    });
    const price = (campaigns: CampaignDiscount[] = [], voucher?: VoucherDiscount): PricingResult | null => {
      try {
        return priceOrder({
          currency,
          pricesIncludeVat: snapshot.tenant.pricesIncludeVat,
          lines: pricingLines,
          ...(campaigns.length > 0 ? { campaigns } : {}),
          ...(voucher ? { voucher } : {}),
        });
      } catch (e) {
        if (!(e instanceof PricingError)) throw e;
        const lineMatch = /^lines\[(\d+)\]/.exec(e.path ?? '');
        const planLine = lineMatch ? planned[Number(lineMatch[1])] : undefined;
        if (planLine) {
          fail(
            'pricing_invalid',
            `Line ${planLine.requestLine + 1} could not be priced: ${e.message}`,
            `lines.${planLine.requestLine}`,
            planLine.requestLine,
          );
        } else {
          fail('pricing_invalid', `The order could not be priced: ${e.message}`);
        }
        return null;
      }
    };

    const undiscounted = price();
    if (undiscounted !== null) {
      // Each code's minimum is measured before any campaign, so the order of the codes never matters to it.
      for (const { code, field, minimum } of campaignOk ? campaignMinimums : []) {
        if (undiscounted.totals.inclVat >= minimum) continue;
        fail(
          'campaign_minimum_not_met',
          `The campaign code ${code} needs an order total of at least ` +
            `${minimum} (minor units, ${currency.toUpperCase()} incl. VAT); this order is ` +
            `${undiscounted.totals.inclVat}`,
          field,
        );
        campaignOk = false;
      }
      if (campaignOk && voucherOk) {
        pricing =
          campaignInputs.length === 0 && voucherInput === undefined
            ? undiscounted
            : price(campaignInputs, voucherInput);
        if (pricing !== null && paymentMethod === 'free' && pricing.totals.inclVat > 0) {
          fail(
            'payment_method_free_not_allowed',
            `Payment method 'free' is not allowed: the order total is ${pricing.totals.inclVat} ` +
              `(minor units, ${currency.toUpperCase()} incl. VAT)`,
            'payment_method',
          );
        }
      }
    }
  }

  errors.push(...prepaymentErrors(request, currency, pricing?.totals.inclVat ?? null));

  if (errors.length > 0 || pricing === null) {
    if (errors.length === 0) fail('pricing_invalid', 'The order could not be priced');
    return { ok: false, errors };
  }

  const draft: OrderDraft = {
    currency,
    exchangeRate,
    paymentMethod,
    lines,
    participants,
    holds,
    pricing,
    campaignCode: campaignInputs[0]?.code ?? null,
    campaigns: draftCampaigns,
    voucherCode: voucherInput?.code ?? null,
    bookerEmail: receiptEmail === null ? null : receiptEmail.toLowerCase(),
  };
  return { ok: true, draft };
}

/**
 * An order paid elsewhere is taken only for exactly what it costs: a prepayment that differs
 * from the total (or is in another currency) is refused, never accepted and settled later.
 */
function prepaymentErrors(request: OrderRequest, currency: string, total: number | null): BusinessError[] {
  const { prepayment } = request;
  const error = (code: OrderErrorCode, message: string, field: string): BusinessError => ({ code, message, field });
  if (request.payment_method !== 'prepaid') {
    return prepayment === undefined
      ? []
      : [error('prepayment_not_allowed', ORDER_ERROR_CODES.prepayment_not_allowed, 'prepayment')];
  }
  if (prepayment === undefined)
    return [error('prepayment_missing', ORDER_ERROR_CODES.prepayment_missing, 'prepayment')];
  if (prepayment.currency !== currency) {
    const message = `The prepayment is in ${prepayment.currency.toUpperCase()}, the order in ${currency.toUpperCase()}`;
    return [error('prepayment_currency_mismatch', message, 'prepayment.currency')];
  }
  if (total === null || prepayment.amount === total) return [];
  const message =
    `The prepayment is ${prepayment.amount}, the order total ${total} (minor units, ${currency.toUpperCase()} ` +
    'incl. VAT, after discounts)';
  return [{ ...error('prepayment_amount_mismatch', message, 'prepayment.amount'), expected: total }];
}
