import { sql } from 'kysely';
import type { BusinessError } from '../domain/business-error';
import type { OrderDraft } from '../domain/order-draft';
import { validateOrder as validateOrderRules } from '../domain/order-validation';
import { loadCatalogSnapshot } from '../db/queries/catalog-snapshot';
import { clearOrderContents, connectOrderCustomers, giveBackOrderHolds, writeOrderContents } from '../db/queries/order-contents';
import { appendOrderEvent } from '../db/queries/order-events';
import type { OrderRequest } from '../api/schemas/order-request';
import { changedRequest } from '../workflows/order-change-rules';
import type { ChangeOrderRequest, OrderSubmission } from '../workflows/order-messages';
import type { ActivityDeps } from './activity-deps';

export type ValidateOrderResult =
  | { ok: true; draft: OrderDraft; preliminaryMinutes: number; firstStartsAt?: string | null; sellsGiftVouchers?: boolean }
  | { ok: false; errors: BusinessError[] };

export interface PlaceOrderInput {
  tenantId: string;
  orderId: string;
  orderNumber: number;
  workflowId: string;
  submission: OrderSubmission;
  draft: OrderDraft;
  paymentMethod: 'card' | 'invoice' | 'free';
  preliminaryUntil: string | null;
}

export type PlaceOrderResult = { ok: true } | { ok: false; errors: BusinessError[] };

export type ChangeContentsResult = { ok: true; total: number } | { ok: false; errors: BusinessError[] };

/** The order row's columns that follow from pricing (written at placement and on a change). */
function pricedOrderColumns(draft: OrderDraft) {
  const totals = draft.pricing.totals;
  return {
    currency: draft.currency,
    exchange_rate: draft.exchangeRate,
    campaign_code: draft.campaignCode,
    voucher_code: draft.voucherCode,
    voucher_applied: draft.pricing.voucherApplied,
    total_before_discounts: totals.beforeDiscounts,
    total_discounts: totals.discounts,
    total_excl_vat: totals.exclVat,
    total_vat: totals.vat,
    total_incl_vat: totals.inclVat,
    vat_summary: JSON.stringify(draft.pricing.vatSummary.map((r) => ({ rate_bp: r.rateBp, base: r.base, amount: r.amount }))),
  };
}

/** Thrown inside the transaction to roll everything back and answer with business errors. */
class PlacementRejected extends Error {
  constructor(readonly errors: BusinessError[]) {
    super('placement rejected');
  }
}

export function createOrderIntakeActivities({ db }: ActivityDeps) {
  return {
    /** Reads the catalogue rows the request names and applies every business rule at once. */
    async validateOrder(input: { tenantId: string; submission: OrderSubmission; changingOrderId?: string }): Promise<ValidateOrderResult> {
      const snapshot = await loadCatalogSnapshot(db, input.tenantId, input.submission.request, input.changingOrderId);
      const outcome = validateOrderRules(input.submission.request, snapshot, { canOverridePrice: input.submission.canOverridePrice });
      if (!outcome.ok) return outcome;
      // When the service starts: the order can be cancelled (and its workflow stays open) until then.
      const starts = outcome.draft.holds.map((h) =>
        h.occurrenceId ? snapshot.occurrences[h.occurrenceId]?.startsAt : h.inventoryDate ? `${h.inventoryDate}T00:00:00.000Z` : undefined,
      ).filter((s): s is string => Boolean(s)).sort();
      const sellsGiftVouchers = outcome.draft.lines.some((l) => snapshot.products[l.productId]?.type === 'voucher');
      return {
        ok: true, draft: outcome.draft, preliminaryMinutes: snapshot.tenant.preliminaryMinutes, firstStartsAt: starts[0] ?? null,
        ...(sellsGiftVouchers ? { sellsGiftVouchers } : {}),
      };
    },

    /**
     * One transaction: seats, campaign use, voucher value, customer, order, participants,
     * lines, timeline. Either all of it is written or nothing (a rejected order leaves no row).
     * Idempotent by order id: a retry after commit finds the order placed.
     */
    async placeOrder(input: PlaceOrderInput): Promise<PlaceOrderResult> {
      const existing = await db.selectFrom('orders').select('id').where('id', '=', input.orderId)
        .where('tenant_id', '=', input.tenantId).executeTakeFirst();
      if (existing) return { ok: true };
      const { draft, submission } = input;
      const request = submission.request;
      try {
        await db.transaction().execute(async (trx) => {
          const contents = { tenantId: input.tenantId, orderId: input.orderId, draft, request };
          const customers = await connectOrderCustomers(trx, contents);
          const totals = draft.pricing.totals;
          // The order row first: reservations, lines and participants reference it.
          await trx.insertInto('orders').values({
            id: input.orderId,
            tenant_id: input.tenantId,
            number: input.orderNumber,
            workflow_id: input.workflowId,
            status: input.paymentMethod === 'card' ? 'awaiting_payment' : 'reserved',
            payment_method: input.paymentMethod,
            customer_id: draft.bookerEmail ? (customers.get(draft.bookerEmail) ?? null) : null,
            booker: JSON.stringify(request.booker ?? null),
            booker_email: draft.bookerEmail,
            company: JSON.stringify(request.company ?? null),
            invoice_details: JSON.stringify(request.invoice ?? null),
            delivery_details: JSON.stringify(request.delivery ?? null),
            external_id: request.external_id ?? null,
            notes: JSON.stringify(request.notes ?? {}),
            client: JSON.stringify(request.client ?? {}),
            config: JSON.stringify(request.config ?? {}),
            payment_complete_url: request.payment_complete_url ?? null,
            payment_cancel_url: request.payment_cancel_url ?? null,
            ...pricedOrderColumns(draft),
            preliminary_until: input.preliminaryUntil,
            request: JSON.stringify(request),
          }).execute();
          const errors = await writeOrderContents(trx, contents, customers);
          if (errors.length > 0) throw new PlacementRejected(errors);
          await appendOrderEvent(trx, {
            tenantId: input.tenantId, orderId: input.orderId, eventKey: 'placed', type: 'order.placed',
            message: `Order placed: ${draft.holds.reduce((n, h) => n + h.quantity, 0)} seat(s) held, ${totals.inclVat} ${draft.currency} incl. VAT, ${input.paymentMethod}`,
            data: { payment_method: input.paymentMethod, preliminary_until: input.preliminaryUntil },
          });
        });
      } catch (error) {
        if (error instanceof PlacementRejected) return { ok: false, errors: error.errors };
        throw error;
      }
      return { ok: true };
    },

    /**
     * A change before payment: the stored request with the change applied is validated and
     * priced again (the order's own seats count as free), and the order's seats, codes,
     * participants and lines are replaced in one transaction — held seats given back and taken
     * anew, so a full occurrence refuses the change and leaves the order as it was. Keyed by the
     * change id: a retry answers what the first attempt did.
     */
    async changeOrderContents(input: {
      tenantId: string; orderId: string; changeId: string; change: ChangeOrderRequest; preliminaryUntil: string | null;
    }): Promise<ChangeContentsResult> {
      const stored = await db.selectFrom('orders').select(['request', 'total_incl_vat']).where('id', '=', input.orderId)
        .where('tenant_id', '=', input.tenantId).executeTakeFirstOrThrow();
      const done = await db.selectFrom('order_events').select('id').where('order_id', '=', input.orderId)
        .where('event_key', '=', `change:${input.changeId}`).executeTakeFirst();
      if (done) return { ok: true, total: stored.total_incl_vat };
      const request = changedRequest(stored.request as unknown as OrderRequest, input.change);
      const snapshot = await loadCatalogSnapshot(db, input.tenantId, request, input.orderId);
      const outcome = validateOrderRules(request, snapshot, { canOverridePrice: input.change.canOverridePrice === true });
      if (!outcome.ok) return outcome;
      const { draft } = outcome;
      try {
        await db.transaction().execute(async (trx) => {
          const order = await trx.selectFrom('orders').select(['campaign_code', 'voucher_code', 'voucher_applied', 'status'])
            .where('id', '=', input.orderId).where('tenant_id', '=', input.tenantId).forUpdate().executeTakeFirstOrThrow();
          await giveBackOrderHolds(trx, input.tenantId, input.orderId, order);
          await clearOrderContents(trx, input.orderId);
          const contents = { tenantId: input.tenantId, orderId: input.orderId, draft, request };
          const customers = await connectOrderCustomers(trx, contents);
          const errors = await writeOrderContents(trx, contents, customers);
          if (errors.length > 0) throw new PlacementRejected(errors);
          await trx.updateTable('orders').set({
            ...pricedOrderColumns(draft),
            ...(input.change.notes ? { notes: sql`notes || ${JSON.stringify(input.change.notes)}::jsonb` } : {}),
            request: JSON.stringify(request),
            preliminary_until: input.preliminaryUntil,
            updated_at: sql`now()`,
          }).where('id', '=', input.orderId).execute();
          await appendOrderEvent(trx, {
            tenantId: input.tenantId, orderId: input.orderId, eventKey: `change:${input.changeId}`, type: 'order.changed',
            message: `Order changed: ${draft.holds.reduce((n, h) => n + h.quantity, 0)} seat(s) held, ${draft.pricing.totals.inclVat} ${draft.currency} incl. VAT`
              + `${input.preliminaryUntil ? `, held until ${input.preliminaryUntil}` : ''}`,
            data: { campaign_code: draft.campaignCode, voucher_code: draft.voucherCode, preliminary_until: input.preliminaryUntil },
          });
        });
      } catch (error) {
        if (error instanceof PlacementRejected) return { ok: false, errors: error.errors };
        throw error;
      }
      return { ok: true, total: draft.pricing.totals.inclVat };
    },

    /** Notes and mark can change in any state: they carry no money and no seats. */
    async updateOrderNotes(input: { tenantId: string; orderId: string; notes: Record<string, string | undefined>; changeId: string }): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('orders')
          .set({ notes: sql`notes || ${JSON.stringify(input.notes)}::jsonb`, updated_at: sql`now()` })
          .where('id', '=', input.orderId).where('tenant_id', '=', input.tenantId).execute();
        await appendOrderEvent(trx, {
          tenantId: input.tenantId, orderId: input.orderId, eventKey: `notes:${input.changeId}`, type: 'order.notes_changed',
          message: `Notes changed: ${Object.keys(input.notes).join(', ')}`,
        });
      });
    },

    /** Confirming a preliminary card order (seed 003): no deadline any more; it is invoiced instead. */
    async confirmOrderAsInvoice(input: { tenantId: string; orderId: string; notes?: Record<string, string | undefined> }): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('orders').set({
          payment_method: 'invoice', preliminary_until: null, status: 'reserved', updated_at: sql`now()`,
          // Notes sent with the confirmation are part of the same change.
          ...(input.notes ? { notes: sql`notes || ${JSON.stringify(input.notes)}::jsonb` } : {}),
        })
          .where('id', '=', input.orderId).where('tenant_id', '=', input.tenantId).execute();
        await appendOrderEvent(trx, {
          tenantId: input.tenantId, orderId: input.orderId, eventKey: 'confirmed', type: 'order.confirmed',
          message: 'Preliminary order confirmed: it will be invoiced instead of paid by card',
        });
      });
    },
  };
}
