import { validateOrder as validateOrderRules } from '../domain/order-validation';
import type { OrderRequest } from '../domain/order-request';
import { loadCatalogSnapshot } from '../db/queries/catalog-snapshot';
import {
  clearOrderContents,
  connectOrderCustomers,
  giveBackOrderHolds,
  writeOrderContents,
} from '../db/queries/order-contents';
import { appendOrderEvent } from '../db/queries/order-events';
import { findOrderEvent } from '../db/queries/order-event-lookup';
import { loadOrderRequest, updateChangedOrder } from '../db/queries/order-placement';
import { lockOrderCodes, markOrderInvoiced, mergeOrderNotes } from '../db/queries/order-status';
import type { BusinessError } from '../domain/business-error';
import { changedRequest } from '../domain/order-change';
import type { ChangeOrderRequest } from '../workflows/order-messages';
import type { ActivityDeps } from './activity-deps';
import { PlacementRejected } from './intake/placement-rejected';

export type ChangeContentsResult = { ok: true; total: number } | { ok: false; errors: BusinessError[] };

export function createOrderChangeActivities({ db }: ActivityDeps) {
  return {
    /**
     * A change before payment: the stored request with the change applied is validated and
     * priced again (the order's own seats count as free), and the order's seats, codes,
     * participants and lines are replaced in one transaction — held seats given back and taken
     * anew, so a full occurrence refuses the change and leaves the order as it was. Keyed by the
     * change id: a retry answers what the first attempt did.
     */
    async changeOrderContents(input: {
      tenantId: string;
      orderId: string;
      changeId: string;
      change: ChangeOrderRequest;
      preliminaryUntil: string | null;
    }): Promise<ChangeContentsResult> {
      const scope = { tenantId: input.tenantId, orderId: input.orderId };
      const stored = await loadOrderRequest(db, scope);
      if (await findOrderEvent(db, input.orderId, `change:${input.changeId}`))
        return { ok: true, total: stored.total_incl_vat };
      const request = changedRequest(stored.request as unknown as OrderRequest, input.change);
      const snapshot = await loadCatalogSnapshot(db, input.tenantId, request, input.orderId);
      const outcome = validateOrderRules(request, snapshot, {
        canOverridePrice: input.change.canOverridePrice === true,
      });
      if (!outcome.ok) return outcome;
      const { draft } = outcome;
      try {
        await db.transaction().execute(async (trx) => {
          const order = await lockOrderCodes(trx, scope);
          if (!order) throw new Error(`order ${input.orderId} not found`);
          await giveBackOrderHolds(trx, input.tenantId, input.orderId, order);
          await clearOrderContents(trx, input.orderId);
          const contents = { ...scope, draft, request };
          const customers = await connectOrderCustomers(trx, contents);
          const errors = await writeOrderContents(trx, contents, customers);
          if (errors.length > 0) throw new PlacementRejected(errors);
          await updateChangedOrder(trx, {
            ...scope,
            draft,
            request,
            notes: input.change.notes,
            preliminaryUntil: input.preliminaryUntil,
          });
          const seats = draft.holds.reduce((n, h) => n + h.quantity, 0);
          await appendOrderEvent(trx, {
            ...scope,
            eventKey: `change:${input.changeId}`,
            type: 'order.changed',
            message:
              `Order changed: ${seats} seat(s) held, ${draft.pricing.totals.inclVat} ${draft.currency} incl. VAT` +
              `${input.preliminaryUntil ? `, held until ${input.preliminaryUntil}` : ''}`,
            data: {
              campaign_code: draft.campaignCode,
              voucher_code: draft.voucherCode,
              preliminary_until: input.preliminaryUntil,
            },
          });
        });
      } catch (error) {
        if (error instanceof PlacementRejected) return { ok: false, errors: error.errors };
        throw error;
      }
      return { ok: true, total: draft.pricing.totals.inclVat };
    },

    /** Notes and mark can change in any state: they carry no money and no seats. */
    async updateOrderNotes(input: {
      tenantId: string;
      orderId: string;
      notes: Record<string, string | undefined>;
      changeId: string;
    }): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await mergeOrderNotes(trx, input, input.notes);
        await appendOrderEvent(trx, {
          tenantId: input.tenantId,
          orderId: input.orderId,
          eventKey: `notes:${input.changeId}`,
          type: 'order.notes_changed',
          message: `Notes changed: ${Object.keys(input.notes).join(', ')}`,
        });
      });
    },

    /** Confirming a preliminary card order: no deadline any more; it is invoiced instead. */
    async confirmOrderAsInvoice(input: {
      tenantId: string;
      orderId: string;
      notes?: Record<string, string | undefined>;
    }): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await markOrderInvoiced(trx, input, input.notes);
        await appendOrderEvent(trx, {
          tenantId: input.tenantId,
          orderId: input.orderId,
          eventKey: 'confirmed',
          type: 'order.confirmed',
          message: 'Preliminary order confirmed: it will be invoiced instead of paid by card',
        });
      });
    },
  };
}
