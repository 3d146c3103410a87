import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

// Hand-written to match db/migrations; bigint columns are parsed to number (db/database.ts)
// because every amount we store fits in 2^53 minor units.

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;
type JsonObject = Record<string, unknown>;

import type { OrderStatus } from '../domain/order-status';
import type { OrderOrigin, OrderPaymentMethod } from '../domain/order-request';

export type { OrderOrigin, OrderStatus };
export type PaymentMethod = OrderPaymentMethod;
export type PaymentProviderName = 'sandbox' | 'stripe';
export type OccurrenceResourceKind = 'room' | 'court' | 'employee' | 'equipment' | 'other';
export type ProductType = 'course' | 'ticket' | 'facility_slot' | 'subscription' | 'item' | 'voucher';

export interface VatSummaryJson {
  rate_bp: number;
  base: number;
  amount: number;
}

/** One source of an order's discount: its lines' own discounts, a campaign code or the voucher. */
export interface DiscountBreakdownJson {
  source: 'lines' | 'campaign' | 'voucher';
  code: string | null;
  campaign_id: string | null;
  amount: number;
}

export interface TenantsTable {
  id: string;
  slug: string;
  name: string;
  base_currency: string;
  prices_include_vat: Generated<boolean>;
  locale: Generated<string>;
  preliminary_minutes: Generated<number>;
  late_payment_policy: Generated<'refund' | 'rebook'>;
  email_from: string;
  webhook_secret: string;
  order_counter: Generated<number>;
  /** Seller details on invoices (0002_invoice_documents); null = not set. */
  legal_name: ColumnType<string | null, string | null | undefined, string | null>;
  org_number: ColumnType<string | null, string | null | undefined, string | null>;
  vat_number: ColumnType<string | null, string | null | undefined, string | null>;
  address: ColumnType<JsonObject | null, string | null | undefined, string | null>;
  bank_account: ColumnType<string | null, string | null | undefined, string | null>;
  /** Prepended as-is to the numbers of series created from now on: "DA-" → "DA-2026-000001". */
  invoice_prefix: ColumnType<string | null, string | null | undefined, string | null>;
  cancellation_deadline_hours: Generated<number>;
  cancellation_fee_percent: Generated<string>;
  invoice_due_days: Generated<number>;
  invoice_reminder_interval_days: Generated<number>;
  /** Who takes the tenant's card payments (0005_payment_providers); secrets come from configuration. */
  payment_provider: Generated<PaymentProviderName>;
  /** DELETE of an order money was taken for: cancel and refund, or 409 (0018_paid_order_deletion). */
  paid_order_deletion: Generated<'refund' | 'refuse'>;
  /** Several campaign codes on one order (0019_campaign_stacking); false: one at most. */
  campaign_stacking: Generated<boolean>;
  /** Manual-approval hold for every order (0021_approval_holds), its deadline and what the deadline does. */
  approval_required: Generated<boolean>;
  approval_deadline_hours: Generated<number>;
  approval_deadline_action: Generated<'reject' | 'escalate'>;
  subscription_counter: Generated<number>;
  created_at: DefaultTimestamp;
}

export interface ApiKeysTable {
  id: string;
  tenant_id: string;
  name: string;
  key_prefix: string;
  key_hash: string;
  scopes: string[];
  created_at: DefaultTimestamp;
  revoked_at: Timestamp | null;
}

export interface ProductsTable {
  id: string;
  tenant_id: string;
  type: ProductType;
  name: string;
  description: Generated<string>;
  price: number;
  vat_rate_bp: number;
  daily_capacity: number | null;
  active: Generated<boolean>;
  /** Orders with this product wait for an operator's approval (0021_approval_holds). */
  requires_approval: Generated<boolean>;
  /** Another platform's id for it, unique per tenant when set (0025_catalog_external_ids). */
  external_id: ColumnType<string | null, string | null | undefined>;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface OccurrencesTable {
  id: string;
  tenant_id: string;
  product_id: string;
  name: string;
  starts_at: Timestamp;
  ends_at: Timestamp | null;
  capacity: number;
  seats_taken: Generated<number>;
  price: number | null;
  status: Generated<'scheduled' | 'cancelled'>;
  /** What the occurrence uses (a court, room, employee): both set or both null (migration 0016). */
  resource_name: ColumnType<string | null, string | null | undefined>;
  resource_kind: ColumnType<OccurrenceResourceKind | null, OccurrenceResourceKind | null | undefined>;
  /** Another platform's id for it, unique per tenant when set (0025_catalog_external_ids). */
  external_id: ColumnType<string | null, string | null | undefined>;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export type SubscriptionPeriodUnit = 'day' | 'month' | 'quarter' | 'year';
export type SubscriptionPaymentMethod = 'card' | 'invoice' | 'free';

/** A period a subscription product is sold in (0022_subscription_periods). */
export interface SubscriptionPeriodsTable {
  id: string;
  tenant_id: string;
  product_id: string;
  /** Unique per product, case-insensitively. */
  code: string;
  name: string;
  length_unit: SubscriptionPeriodUnit;
  length_count: number;
  /** Minor units of the tenant currency, in the tenant price basis, like product prices. */
  price: number;
  /** 1–3 of card/invoice/free; ['free'] exactly when the price is 0. */
  payment_methods: SubscriptionPaymentMethod[];
  trial_days: Generated<number>;
  physical: Generated<boolean>;
  renewal_notice_days: Generated<number>;
  active: Generated<boolean>;
  /** Another platform's id for it, unique per tenant when set (0025_catalog_external_ids). */
  external_id: ColumnType<string | null, string | null | undefined>;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

/** A subscription bought through an order (0023_subscriptions); renewals are still to come (docs/subscriptions.md). */
export interface SubscriptionsTable {
  id: string;
  tenant_id: string;
  /** Per tenant, from tenants.subscription_counter. */
  number: number;
  product_id: string;
  period_id: string;
  /** The order (and its line) that bought it. */
  order_id: string;
  order_line_id: string;
  customer_id: string | null;
  customer_email: string | null;
  status: Generated<'active' | 'past_due' | 'paused' | 'suspended' | 'cancelled'>;
  payment_method: string;
  start_date: ColumnType<string, string, string>;
  current_period_end: ColumnType<string, string, string>;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
  /** Renewals by card are charged to it (0024_subscription_cycles). */
  saved_card_id: string | null;
  cancel_at_period_end: Generated<boolean>;
  cancelled_at: Timestamp | null;
  cancel_reason: string | null;
  paused_at: Timestamp | null;
  /** A change of period asked for: it applies from the next renewal. */
  next_period_id: string | null;
  workflow_id: string | null;
}

/** One period of a subscription and the order that pays for it (0024_subscription_cycles). */
export interface SubscriptionCyclesTable {
  id: string;
  tenant_id: string;
  subscription_id: string;
  sequence: number;
  period_id: string;
  start_date: ColumnType<string, string, string>;
  end_date: ColumnType<string, string, string>;
  order_id: string;
  order_number: number;
  status: Generated<'pending' | 'paid' | 'unpaid' | 'cancelled'>;
  created_at: DefaultTimestamp;
  paid_at: Timestamp | null;
}

export interface ProductDateInventoryTable {
  tenant_id: string;
  product_id: string;
  date: ColumnType<string, string, string>;
  capacity: number;
  seats_taken: Generated<number>;
}

export interface ExchangeRatesTable {
  tenant_id: string;
  quote_currency: string;
  rate: string;
  updated_at: DefaultTimestamp;
}

export interface CampaignsTable {
  id: string;
  tenant_id: string;
  code: string;
  kind: 'percent' | 'amount';
  percent: string | null;
  amount: number | null;
  currency: string | null;
  valid_from: Timestamp | null;
  valid_until: Timestamp | null;
  max_uses: number | null;
  uses: Generated<number>;
  min_order_amount: number | null;
  product_ids: string[] | null;
  created_at: DefaultTimestamp;
}

export interface VouchersTable {
  id: string;
  tenant_id: string;
  code: string;
  kind: 'value' | 'percent';
  currency: string | null;
  initial_value: number | null;
  remaining_value: number | null;
  percent: string | null;
  valid_until: Timestamp | null;
  redeemed_at: Timestamp | null;
  issued_by_order_id: string | null;
  created_at: DefaultTimestamp;
}

export interface VoucherRedemptionsTable {
  id: string;
  tenant_id: string;
  voucher_id: string;
  /** Minor units taken from a value voucher; null for a percent voucher. */
  amount: number | null;
  order_id: string | null;
  created_at: DefaultTimestamp;
}

export interface CustomersTable {
  id: string;
  tenant_id: string;
  email: string;
  name: Generated<string>;
  phone: string | null;
  /** The integrator's contact id, from the first order that gave one for this customer as booker. */
  external_contact_id: string | null;
  /** A CustomerAddress (domain/customer-address.ts): the parts given, absent ones left out. */
  billing_address: ColumnType<JsonObject | null, string | null | undefined, string | null>;
  delivery_address: ColumnType<JsonObject | null, string | null | undefined, string | null>;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface OrdersTable {
  id: string;
  tenant_id: string;
  number: number;
  workflow_id: string;
  status: OrderStatus;
  currency: string;
  exchange_rate: string | null;
  payment_method: PaymentMethod;
  customer_id: string | null;
  booker: Json<JsonObject | null> | null;
  booker_email: string | null;
  company: Json<JsonObject | null> | null;
  invoice_details: Json<JsonObject | null> | null;
  delivery_details: Json<JsonObject | null> | null;
  campaign_code: string | null;
  /** Every campaign code the order took a use of, in the order applied; the first is campaign_code (0019). */
  campaign_codes: ColumnType<string[], string[] | undefined, string[]>;
  voucher_code: string | null;
  voucher_applied: Generated<number>;
  /** Where total_discounts came from, as the API shows it (0019); empty for older orders. */
  discount_breakdown: ColumnType<DiscountBreakdownJson[], string | undefined, string>;
  external_id: string | null;
  external_contact_id: string | null;
  external_company_id: string | null;
  origin: Generated<OrderOrigin>;
  notes: Json<JsonObject>;
  client: Json<JsonObject>;
  config: Json<JsonObject>;
  payment_complete_url: string | null;
  payment_cancel_url: string | null;
  total_before_discounts: number;
  total_discounts: number;
  total_excl_vat: number;
  total_vat: number;
  total_incl_vat: number;
  /** Sum of the cancellations' credits: what is due is total_incl_vat − credited. */
  credited: Generated<number>;
  /** The order request as it reads after the latest change (the base of the next change). */
  request: Json<JsonObject> | null;
  vat_summary: Json<VatSummaryJson[]>;
  preliminary_until: Timestamp | null;
  /** Until when an order held for approval waits for an operator (0021_approval_holds). */
  approval_until: ColumnType<Date | null, string | null | undefined, string | null>;
  attention_reason: string | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
  completed_at: Timestamp | null;
  cancellation_reason: string | null;
  cancelled_at: Timestamp | null;
}

export interface ParticipantsTable {
  id: string;
  tenant_id: string;
  order_id: string;
  position: number;
  firstname: string;
  lastname: string;
  email: string | null;
  phone: string | null;
  date_of_birth: ColumnType<string | null, string | null | undefined, string | null>;
  customer_id: string | null;
  details: Json<JsonObject>;
  booking_id: string | null;
  status: Generated<'active' | 'cancelled'>;
  /** Whether a booked participant came (null: not recorded). */
  attendance: ParticipantAttendance | null;
}

export type ParticipantAttendance = 'attended' | 'no_show';

export interface OrderLinesTable {
  id: string;
  tenant_id: string;
  order_id: string;
  position: number;
  product_id: string;
  occurrence_id: string | null;
  inventory_date: ColumnType<string | null, string | null | undefined, string | null>;
  participant_id: string | null;
  description: string;
  quantity: number;
  unit_price: number;
  discount_percent: string | null;
  before_discounts: number;
  discount: number;
  vat_rate_bp: number;
  excl_vat: number;
  vat: number;
  incl_vat: number;
  /** What cancellations credited of this line (never more than incl_vat). */
  credited: Generated<number>;
  /** A subscription line: the product's period and the first day (0023_subscriptions). */
  subscription_period_id: ColumnType<string | null, string | null | undefined, string | null>;
  start_date: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface ReservationsTable {
  id: string;
  tenant_id: string;
  order_id: string;
  occurrence_id: string | null;
  product_id: string | null;
  inventory_date: ColumnType<string | null, string | null | undefined, string | null>;
  quantity: number;
  status: Generated<'held' | 'booked' | 'released'>;
  created_at: DefaultTimestamp;
  booked_at: Timestamp | null;
  released_at: Timestamp | null;
}

export interface IdempotencyKeysTable {
  tenant_id: string;
  key: string;
  request_hash: string;
  order_number: number;
  order_id: string;
  response_status: number | null;
  /** Answers stored before migration 0011; newer ones are in response_bytes. */
  response_body: Json<unknown> | null;
  /** The first answer exactly as sent (a replay sends these bytes unchanged). */
  response_bytes: Buffer | null;
  response_content_type: string | null;
  locked_until: Timestamp;
  created_at: DefaultTimestamp;
}

export interface PaymentsTable {
  id: string;
  tenant_id: string;
  order_id: string;
  kind: 'charge' | 'refund';
  provider: string;
  provider_session_id: string | null;
  provider_payment_id: string | null;
  amount: number;
  currency: string;
  status: 'pending' | 'succeeded' | 'failed' | 'cancelled';
  redirect_url: string | null;
  idempotency_key: string;
  failure_reason: string | null;
  /** A prepayment's method, provider and time, as the other system reported them. */
  method: ColumnType<string | null, string | null | undefined, string | null>;
  external_provider: ColumnType<string | null, string | null | undefined, string | null>;
  paid_at: ColumnType<Date | null, string | Date | null | undefined, string | Date | null>;
  /** The kept card a charge was made with, if it was (0026_payment_saved_card). */
  saved_card_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface PaymentEventsTable {
  id: string;
  provider: string;
  provider_event_id: string;
  tenant_id: string | null;
  order_id: string | null;
  type: string;
  raw_body: string;
  received_at: DefaultTimestamp;
}

export interface InvoiceSeriesTable {
  tenant_id: string;
  series: string;
  prefix: Generated<string>;
  next_number: Generated<number>;
}

export interface InvoicesTable {
  id: string;
  tenant_id: string;
  order_id: string;
  kind: 'invoice' | 'receipt' | 'credit_note';
  series: string;
  number: number;
  document_number: string;
  credits_invoice_id: string | null;
  currency: string;
  exchange_rate: string | null;
  total_excl_vat: number;
  total_vat: number;
  total_incl_vat: number;
  vat_summary: Json<VatSummaryJson[]>;
  lines: Json<JsonObject[]>;
  seller: Json<JsonObject>;
  buyer: Json<JsonObject>;
  status: 'open' | 'paid' | 'credited';
  payment_reference: string | null;
  external_id: string | null;
  issued_at: DefaultTimestamp;
  due_at: Timestamp | null;
  paid_at: Timestamp | null;
}

export interface SandboxPspSessionsTable {
  id: string;
  /** The secret in the hosted page's link (random, unique); the id alone opens nothing. */
  page_token: string;
  /** The hosted page form's CSRF token (random per session). */
  form_token: string;
  tenant_id: string;
  reference: string;
  amount: number;
  currency: string;
  description: Generated<string>;
  status: 'open' | 'paid' | 'declined' | 'cancelled' | 'expired';
  refunded_amount: Generated<number>;
  webhook_url: string;
  complete_url: string | null;
  cancel_url: string | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
  /** The page asks to keep the card for this (0024): a subscription's renewals. */
  card_saving: ColumnType<'renewals' | null, 'renewals' | null | undefined, 'renewals' | null>;
}

export interface SandboxPspRefundsTable {
  id: string;
  session_id: string;
  amount: number;
  created_at: DefaultTimestamp;
}

/** The sandbox provider's webhook outbox (0006_sandbox_webhook_deliveries). */
export interface SandboxWebhookDeliveriesTable {
  id: string;
  session_id: string;
  /** The event's id; a redelivery of the same event is another row with the same id. */
  event_id: string;
  /** The JSON body exactly as sent (signed anew at every attempt). */
  payload: string;
  attempts: Generated<number>;
  next_attempt_at: DefaultTimestamp;
  delivered_at: Timestamp | null;
  /** Set when retries stopped (about 24 h after created_at) without a 2xx answer. */
  gave_up_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  last_error: string | null;
  created_at: DefaultTimestamp;
}

export interface SandboxPspCardsTable {
  token: string;
  tenant_id: string;
  brand: string;
  last4: string;
  created_at: DefaultTimestamp;
  /** Kept, but charges without the buyer fail (0024). */
  declines_off_session: Generated<boolean>;
}

export interface SavedCardsTable {
  id: string;
  tenant_id: string;
  customer_id: string;
  provider: string;
  provider_token: string;
  brand: string;
  last4: string;
  created_at: DefaultTimestamp;
  deleted_at: Timestamp | null;
  /** The order whose payment saved it, when it was saved while paying (0024). */
  order_id: string | null;
}

/** A card saved without a payment (0018): ours, and with the sandbox also its page's session. */
export interface CardRegistrationsTable {
  id: string;
  tenant_id: string;
  customer_id: string;
  provider: string;
  page_token: string;
  form_token: string;
  status: Generated<'open' | 'completed'>;
  success_url: string | null;
  failure_url: string | null;
  saved_card_id: string | null;
  created_at: DefaultTimestamp;
  expires_at: Timestamp;
  completed_at: Timestamp | null;
}

export interface EmailOutboxTable {
  id: string;
  tenant_id: string;
  order_id: string | null;
  kind: string;
  recipient: string;
  subject: string;
  html: string;
  text: string;
  status: Generated<'pending' | 'sent' | 'failed'>;
  attempts: Generated<number>;
  next_attempt_at: DefaultTimestamp;
  last_error: string | null;
  message_id: string;
  created_at: DefaultTimestamp;
  sent_at: Timestamp | null;
  /** The invoice whose PDF is rendered and attached at send time (0002_invoice_documents). */
  attachment_invoice_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface OrderEventsTable {
  id: Generated<number>;
  tenant_id: string;
  order_id: string;
  event_key: string;
  type: string;
  message: string;
  data: Json<JsonObject>;
  created_at: DefaultTimestamp;
  /** The writing transaction's id (xid8, as text); NULL before migration 0014. Read by the webhook fan-out. */
  tx_id: Generated<string | null>;
}

export interface WebhookEndpointsTable {
  id: string;
  tenant_id: string;
  url: string;
  event_types: string[];
  description: string | null;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  enabled: Generated<boolean>;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface WebhookDeliveriesTable {
  id: string;
  tenant_id: string;
  endpoint_id: string;
  order_event_id: number;
  event_type: string;
  payload: Json<JsonObject>;
  status: Generated<'pending' | 'delivered' | 'failed'>;
  attempts: Generated<number>;
  next_attempt_at: DefaultTimestamp;
  last_status_code: number | null;
  last_error: string | null;
  last_attempt_at: Date | null;
  delivered_at: Date | null;
  created_at: DefaultTimestamp;
}

export interface WebhookFanoutCursorTable {
  id: number;
  last_tx_id: string;
  last_event_id: number;
  updated_at: DefaultTimestamp;
}

export interface Database {
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  products: ProductsTable;
  occurrences: OccurrencesTable;
  product_date_inventory: ProductDateInventoryTable;
  subscription_periods: SubscriptionPeriodsTable;
  subscriptions: SubscriptionsTable;
  subscription_cycles: SubscriptionCyclesTable;
  exchange_rates: ExchangeRatesTable;
  campaigns: CampaignsTable;
  vouchers: VouchersTable;
  voucher_redemptions: VoucherRedemptionsTable;
  customers: CustomersTable;
  orders: OrdersTable;
  participants: ParticipantsTable;
  order_lines: OrderLinesTable;
  reservations: ReservationsTable;
  idempotency_keys: IdempotencyKeysTable;
  payments: PaymentsTable;
  payment_events: PaymentEventsTable;
  invoice_series: InvoiceSeriesTable;
  invoices: InvoicesTable;
  sandbox_psp_sessions: SandboxPspSessionsTable;
  sandbox_psp_refunds: SandboxPspRefundsTable;
  sandbox_webhook_deliveries: SandboxWebhookDeliveriesTable;
  sandbox_psp_cards: SandboxPspCardsTable;
  saved_cards: SavedCardsTable;
  card_registrations: CardRegistrationsTable;
  email_outbox: EmailOutboxTable;
  order_events: OrderEventsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_fanout_cursor: WebhookFanoutCursorTable;
}

export type Tenant = Selectable<TenantsTable>;
export type Product = Selectable<ProductsTable>;
export type Occurrence = Selectable<OccurrencesTable>;
export type Order = Selectable<OrdersTable>;
export type NewOrder = Insertable<OrdersTable>;
export type OrderUpdate = Updateable<OrdersTable>;
