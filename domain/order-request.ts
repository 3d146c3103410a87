// What a client sends to place an order, as the order domain reads it. The contract belongs here
// rather than to the HTTP layer because validation, pricing, intake and the workflow all consume
// it; api/schemas/order-request.ts checks the shape of incoming JSON against this type at compile
// time, so the two cannot drift apart. Every field a client may leave out is optional: which ones
// an order really needs is business validation (domain/order-validation.ts), not shape.

/**
 * How an order is paid: by card through our provider, by invoice, nothing to pay, or already
 * paid through another provider before it reached us (`prepaid`, with its `prepayment`).
 */
export const PAYMENT_METHODS = ['card', 'invoice', 'free', 'prepaid'] as const;
export type OrderPaymentMethod = (typeof PAYMENT_METHODS)[number];

/** A payment taken elsewhere (the training-management system's payment details), recorded in our ledger as given. */
export interface PrepaymentRequest {
  /** Minor units; must equal the order's total. */
  amount: number;
  /** ISO 4217, the order's currency. */
  currency: string;
  /** How it was paid, in the other system's words (e.g. card, bank_transfer, cash). */
  method: string;
  /** The other provider's transaction code: kept for reconciliation, unique per tenant. */
  transaction_code: string;
  /** The provider that took it (e.g. adyen, stripe), when known. */
  provider?: string;
  /** When it was paid (ISO 8601); absent: when the order arrived. */
  paid_at?: string;
}

/**
 * Where an order came from (the training-management system's "source type"): placed by a client
 * through the API, entered by the tenant's staff, or imported from another system. Operators
 * filter by it; nothing in the order's processing depends on it.
 */
export const ORDER_ORIGINS = ['api', 'staff', 'import'] as const;
export type OrderOrigin = (typeof ORDER_ORIGINS)[number];
/** What an order that does not say is: a client placed it through the API. */
export const DEFAULT_ORDER_ORIGIN: OrderOrigin = 'api';

export interface OrderAddress {
  line_1?: string;
  line_2?: string;
  line_3?: string;
  zipcode?: string;
  city?: string;
  /** ISO 3166-1 alpha-2, e.g. "NO". */
  country_code?: string;
}

/** An add-on product booked for one participant. */
export interface ParticipantProductRequest {
  id: string;
  quantity?: number;
  discount_percent?: number;
  /** Price override in minor units; needs the orders:price_override scope. */
  price?: number;
}

export interface ParticipantRequest {
  firstname?: string;
  lastname?: string;
  email?: string;
  phone?: string;
  /** YYYY-MM-DD. */
  date_of_birth?: string;
  /** Overrides the main product price; needs the orders:price_override scope. */
  price?: number;
  /** Discount on the main product. */
  discount_percent?: number;
  products?: ParticipantProductRequest[];
  home_address?: OrderAddress;
  work_address?: OrderAddress;
}

/** One line: an occurrence, or a product (for a date when it has inventory per date). */
export interface OrderLineRequest {
  occurrence_id?: string;
  product_id?: string;
  /** YYYY-MM-DD, for products with inventory per date. */
  date?: string;
  quantity?: number;
  discount_percent?: number;
  price?: number;
  participants?: ParticipantRequest[];
  /** A subscription product's period code (the subscription platform's `period_id`). */
  period?: string;
  /** YYYY-MM-DD: the subscription's first day (absent: today). */
  start_date?: string;
}

export interface OrderRequest {
  payment_method: OrderPaymentMethod;
  /** Required with `prepaid`, refused with any other method. */
  prepayment?: PrepaymentRequest;
  currency?: string;
  /** One campaign code; `campaign_codes` names several (at most one of the two). */
  campaign_code?: string;
  /** Campaign codes applied in this order, each on what the ones before it left; more than one needs the
   * tenant's `campaign_stacking`. */
  campaign_codes?: string[];
  voucher_code?: string;
  payment_complete_url?: string;
  payment_cancel_url?: string;
  booker?: { name?: string; email?: string; phone?: string };
  company?: { name?: string; number?: string; gln?: string; vat_number?: string };
  invoice?: {
    reference?: string;
    email?: string;
    firstname?: string;
    lastname?: string;
    phone?: string;
    address?: OrderAddress;
  };
  delivery?: { name?: string; address?: OrderAddress };
  lines: OrderLineRequest[];
  external_id?: string;
  /** The booker's id in the integrator's system (its contact id); stored as given, never resolved. */
  external_contact_id?: string;
  /** The ordering company's id in the integrator's system (its company id). */
  external_company_id?: string;
  /** Absent: `api`. */
  origin?: OrderOrigin;
  notes?: { mark?: string; external?: string; internal?: string };
  client?: { name?: string; os?: string; language?: string; ip_address?: string; user_agent?: string };
  config?: {
    send_receipt_email_to_participant?: boolean;
    auto_append_course_product?: boolean;
    allow_customer_autoconnect?: boolean;
  };
}
