import type { BusinessError } from './business-error';
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
}

/** Everything the validator needs, read once from PostgreSQL (only the ids the request names). */
export interface CatalogSnapshot {
  tenant: TenantSettings;
  products: Record<string, CatalogProduct>;
  occurrences: Record<string, CatalogOccurrence>;
  /** Rates from the tenant base currency, keyed by quote currency: "1 base = rate quote". */
  exchangeRates: Record<string, string>;
  campaign: CatalogCampaign | null; // the one named by campaign_code, if it exists
  voucher: CatalogVoucher | null; // the one named by voucher_code, if it exists
  now: string; // ISO time of the snapshot, for validity windows and "in the past"
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
  paymentMethod: 'card' | 'invoice' | 'free';
  lines: DraftLine[];
  participants: DraftParticipant[];
  holds: DraftHold[];
  pricing: PricingResult;
  campaignCode: string | null;
  voucherCode: string | null;
  bookerEmail: string | null;
}

export type ValidationOutcome = { ok: true; draft: OrderDraft } | { ok: false; errors: BusinessError[] };
