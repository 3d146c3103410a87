import type { BusinessError } from './business-error';
import type { OrderPaymentMethod } from './order-request';
import type { PricingResult } from './pricing';

// The data that crosses from the catalogue loader to the pure validator and on to the
// `placeOrder` activity. Plain JSON: it travels through Temporal payloads.

export interface CatalogProduct {
  id: string;
  type: 'course' | 'ticket' | 'facility_slot' | 'subscription' | 'item' | 'voucher';
  name: string;
  price: number;
  vatRateBp: number;
  dailyCapacity: number | null;
  active: boolean;
  /** Orders with this product wait for an operator's approval (absent = false). */
  requiresApproval?: boolean;
}

export interface CatalogOccurrence {
  id: string;
  productId: string;
  name: string;
  startsAt: string; // ISO
  capacity: number;
  seatsTaken: number;
  price: number | null;
  status: 'scheduled' | 'cancelled';
}

export interface CatalogCampaign {
  /** The campaign's row id (shown in the order's discount breakdown). */
  id?: string;
  code: string;
  kind: 'percent' | 'amount';
  percent: number | null;
  amount: number | null;
  currency: string | null;
  validFrom: string | null;
  validUntil: string | null;
  maxUses: number | null;
  uses: number;
  minOrderAmount: number | null;
  productIds: string[] | null;
}

export interface CatalogVoucher {
  code: string;
  kind: 'value' | 'percent';
  currency: string | null;
  remainingValue: number | null;
  percent: number | null;
  validUntil: string | null;
  redeemedAt: string | null;
}

export interface TenantSettings {
  id: string;
  slug: string;
  name: string;
  baseCurrency: string;
  pricesIncludeVat: boolean;
  preliminaryMinutes: number;
  locale: string;
  /** Several campaign codes on one order are allowed; absent = false. */
  campaignStacking?: boolean;
  /** The tenant's manual-approval hold (docs/managing-orders.md, "Approval holds"); absent = none. */
  approval?: ApprovalPolicy;
}

/** Whether every order waits for an operator, how long, and what the deadline does. */
export interface ApprovalPolicy {
  /** Every order of the tenant is held (products can ask for it on their own). */
  required: boolean;
  deadlineHours: number;
  onDeadline: 'reject' | 'escalate';
}

/** An order held for an operator's approval: until when (epoch ms), and what the deadline does. */
export interface ApprovalHold {
  untilMs: number;
  onDeadline: 'reject' | 'escalate';
}

/** Everything the validator needs, read once from PostgreSQL (only the ids the request names). */
export interface CatalogSnapshot {
  tenant: TenantSettings;
  products: Record<string, CatalogProduct>;
  occurrences: Record<string, CatalogOccurrence>;
  /** Rates from the tenant base currency, keyed by quote currency: "1 base = rate quote". */
  exchangeRates: Record<string, string>;
  campaign: CatalogCampaign | null; // the one named by campaign_code, if it exists
  /** Every campaign named by campaign_code or campaign_codes that exists (absent: just `campaign`). */
  campaigns?: CatalogCampaign[];
  voucher: CatalogVoucher | null; // the one named by voucher_code, if it exists
  /** The active periods of the subscription products a line names with a `period` (absent: none asked). */
  subscriptionPeriods?: Record<string, CatalogSubscriptionPeriod[]>;
  now: string; // ISO time of the snapshot, for validity windows and "in the past"
}

/** A period a subscription product is sold in (docs/subscriptions.md). */
export interface CatalogSubscriptionPeriod {
  id: string;
  code: string;
  name: string;
  lengthUnit: 'day' | 'month' | 'quarter' | 'year';
  lengthCount: number;
  price: number;
  paymentMethods: string[];
  physical: boolean;
}

export interface DraftParticipant {
  position: number;
  firstname: string;
  lastname: string;
  email: string | null;
  phone: string | null;
  dateOfBirth: string | null;
  details: Record<string, unknown>;
}

export interface DraftLine {
  key: string; // also the PricedLine key
  position: number;
  productId: string;
  occurrenceId: string | null;
  inventoryDate: string | null;
  participantPosition: number | null;
  description: string;
  quantity: number;
  unitPrice: number; // order currency, price basis
  discountPercent: number | null;
  /** A subscription line: the period it is bought for and its first day (absent on other lines). */
  subscription?: { periodId: string; startDate: string };
}

/** Seats to hold: one entry per occurrence or per (product, date). */
export interface DraftHold {
  occurrenceId: string | null;
  productId: string | null;
  inventoryDate: string | null;
  quantity: number;
}

export interface OrderDraft {
  currency: string;
  exchangeRate: string | null; // base → order currency, when they differ
  paymentMethod: OrderPaymentMethod;
  lines: DraftLine[];
  participants: DraftParticipant[];
  holds: DraftHold[];
  pricing: PricingResult;
  /** The first campaign code applied (all of them: `campaigns`). */
  campaignCode: string | null;
  /** The campaign codes applied, in order; absent in drafts made before several were possible. */
  campaigns?: DraftCampaign[];
  voucherCode: string | null;
  bookerEmail: string | null;
}

/** A campaign code an order applies; its discount is the same position of pricing.discountBreakdown.campaigns. */
export interface DraftCampaign {
  code: string;
  campaignId: string | null;
}

export type ValidationOutcome = { ok: true; draft: OrderDraft } | { ok: false; errors: BusinessError[] };
