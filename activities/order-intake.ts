import { sql } from 'kysely';
import type { BusinessError } from '../domain/business-error';
import type { OrderDraft } from '../domain/order-draft';
import { validateOrder as validateOrderRules } from '../domain/order-validation';
import { loadCatalogSnapshot } from '../db/queries/catalog-snapshot';
import { connectCustomersByEmail } from '../db/queries/customers';
import { appendOrderEvent } from '../db/queries/order-events';
import { loadOrderSummary } from '../db/queries/order-summary';
import { holdSeats } from '../db/queries/seat-holds';
import type { OrderSubmission, OrderSummary } from '../workflows/order-messages';
import type { ActivityDeps } from './activity-deps';

export type ValidateOrderResult =
  | { ok: true; draft: OrderDraft; preliminaryMinutes: number; firstStartsAt?: string | null }
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

export type PlaceOrderResult = { ok: true; summary: OrderSummary } | { ok: false; errors: BusinessError[] };

/** Thrown inside the transaction to roll everything back and answer with business errors. */
class PlacementRejected extends Error {
  constructor(readonly errors: BusinessError[]) {
    super('placement rejected');
  }
}

export function createOrderIntakeActivities({ db }: ActivityDeps) {
  return {
    /** Reads the catalogue rows the request names and applies every business rule at once. */
    async validateOrder(input: { tenantId: string; submission: OrderSubmission }): Promise<ValidateOrderResult> {
      const snapshot = await loadCatalogSnapshot(db, input.tenantId, input.submission.request);
      const outcome = validateOrderRules(input.submission.request, snapshot, { canOverridePrice: input.submission.canOverridePrice });
      if (!outcome.ok) return outcome;
      // When the service starts: the order can be cancelled (and its workflow stays open) until then.
      const starts = outcome.draft.holds.map((h) =>
        h.occurrenceId ? snapshot.occurrences[h.occurrenceId]?.startsAt : h.inventoryDate ? `${h.inventoryDate}T00:00:00.000Z` : undefined,
      ).filter((s): s is string => Boolean(s)).sort();
      return { ok: true, draft: outcome.draft, preliminaryMinutes: snapshot.tenant.preliminaryMinutes, firstStartsAt: starts[0] ?? null };
    },

    /**
     * One transaction: seats, campaign use, voucher value, customer, order, participants,
     * lines, timeline. Either all of it is written or nothing (a rejected order leaves no row).
     * Idempotent by order id: a retry after commit returns the stored summary.
     */
    async placeOrder(input: PlaceOrderInput): Promise<PlaceOrderResult> {
      const existing = await loadOrderSummary(db, input.tenantId, input.orderId);
      if (existing) return { ok: true, summary: existing };
      const { draft, submission } = input;
      const request = submission.request;
      try {
        await db.transaction().execute(async (trx) => {
          // Participants are connected to customer records by email like the booker (seed 000's
          // allow_customer_autoconnect). The booker's email joins this one sorted upsert so
          // concurrent orders sharing people lock customer rows in the same order.
          const autoconnect = request.config?.allow_customer_autoconnect !== false;
          const participantContacts = draft.participants.flatMap((p) =>
            p.email ? [{ email: p.email, name: `${p.firstname} ${p.lastname}`, phone: p.phone }] : []);
          const participantCustomerIds = autoconnect && participantContacts.length > 0
            ? await connectCustomersByEmail(trx, input.tenantId, [
              ...participantContacts,
              ...(draft.bookerEmail ? [{ email: draft.bookerEmail, name: request.booker?.name ?? '', phone: request.booker?.phone ?? null }] : []),
            ])
            : new Map<string, string>();
          // The order row first: the reservations reference it (FK checked at insert).
          let customerId: string | null = null;
          if (draft.bookerEmail && request.config?.allow_customer_autoconnect !== false) {
            const customer = await sql<{ id: string }>`
              INSERT INTO customers (id, tenant_id, email, name, phone)
              VALUES (${crypto.randomUUID()}, ${input.tenantId}, ${draft.bookerEmail}, ${request.booker?.name ?? ''}, ${request.booker?.phone ?? null})
              ON CONFLICT (tenant_id, lower(email)) DO UPDATE SET name = CASE WHEN EXCLUDED.name <> '' THEN EXCLUDED.name ELSE customers.name END
              RETURNING id`.execute(trx);
            customerId = customer.rows[0]?.id ?? null;
          }
          const totals = draft.pricing.totals;
          await trx.insertInto('orders').values({
            id: input.orderId,
            tenant_id: input.tenantId,
            number: input.orderNumber,
            workflow_id: input.workflowId,
            status: input.paymentMethod === 'card' ? 'awaiting_payment' : 'reserved',
            currency: draft.currency,
            exchange_rate: draft.exchangeRate,
            payment_method: input.paymentMethod,
            customer_id: customerId,
            booker: JSON.stringify(request.booker ?? null),
            booker_email: draft.bookerEmail,
            company: JSON.stringify(request.company ?? null),
            invoice_details: JSON.stringify(request.invoice ?? null),
            delivery_details: JSON.stringify(request.delivery ?? null),
            campaign_code: draft.campaignCode,
            voucher_code: draft.voucherCode,
            voucher_applied: draft.pricing.voucherApplied,
            external_id: request.external_id ?? null,
            notes: JSON.stringify(request.notes ?? {}),
            client: JSON.stringify(request.client ?? {}),
            config: JSON.stringify(request.config ?? {}),
            payment_complete_url: request.payment_complete_url ?? null,
            payment_cancel_url: request.payment_cancel_url ?? null,
            total_before_discounts: totals.beforeDiscounts,
            total_discounts: totals.discounts,
            total_excl_vat: totals.exclVat,
            total_vat: totals.vat,
            total_incl_vat: totals.inclVat,
            vat_summary: JSON.stringify(draft.pricing.vatSummary.map((r) => ({ rate_bp: r.rateBp, base: r.base, amount: r.amount }))),
            preliminary_until: input.preliminaryUntil,
          }).execute();

          const errors = await holdSeats(trx, input.tenantId, input.orderId, draft.holds);
          if (draft.campaignCode) {
            const used = await trx.updateTable('campaigns').set({ uses: sql`uses + 1` })
              .where('tenant_id', '=', input.tenantId)
              .where(sql`upper(code)`, '=', draft.campaignCode.toUpperCase())
              .where(sql<boolean>`(max_uses IS NULL OR uses < max_uses)`)
              .returning('id').executeTakeFirst();
            if (!used) errors.push({ code: 'campaign_code_used_up', message: 'The campaign code has no uses left', field: 'campaign_code' });
          }
          if (draft.voucherCode) {
            const applied = draft.pricing.voucherApplied;
            const taken = await trx.updateTable('vouchers')
              .set({
                remaining_value: sql`CASE WHEN kind = 'value' THEN remaining_value - ${applied} ELSE remaining_value END`,
                redeemed_at: sql`CASE WHEN kind = 'percent' OR remaining_value - ${applied} = 0 THEN now() ELSE redeemed_at END`,
              })
              .where('tenant_id', '=', input.tenantId)
              .where(sql`upper(code)`, '=', draft.voucherCode.toUpperCase())
              .where('redeemed_at', 'is', null)
              .where(sql<boolean>`(kind = 'percent' OR remaining_value >= ${applied})`)
              .returning('id').executeTakeFirst();
            if (!taken) errors.push({ code: 'voucher_code_already_used', message: 'The voucher has been used meanwhile', field: 'voucher_code' });
          }
          if (errors.length > 0) throw new PlacementRejected(errors);

          const participantIds = new Map<number, string>();
          if (draft.participants.length > 0) {
            await trx.insertInto('participants').values(draft.participants.map((p) => {
              const id = crypto.randomUUID();
              participantIds.set(p.position, id);
              return {
                id, tenant_id: input.tenantId, order_id: input.orderId, position: p.position,
                firstname: p.firstname, lastname: p.lastname, email: p.email, phone: p.phone,
                date_of_birth: p.dateOfBirth, details: JSON.stringify(p.details),
                customer_id: p.email ? (participantCustomerIds.get(p.email.trim().toLowerCase()) ?? null) : null,
              };
            })).execute();
          }
          const pricedByKey = new Map(draft.pricing.lines.map((l) => [l.key, l]));
          await trx.insertInto('order_lines').values(draft.lines.map((line) => {
            const priced = pricedByKey.get(line.key);
            if (!priced) throw new Error(`line ${line.key} has no price`);
            return {
              id: crypto.randomUUID(), tenant_id: input.tenantId, order_id: input.orderId, position: line.position,
              product_id: line.productId, occurrence_id: line.occurrenceId, inventory_date: line.inventoryDate,
              participant_id: line.participantPosition === null ? null : (participantIds.get(line.participantPosition) ?? null),
              description: line.description, quantity: line.quantity, unit_price: line.unitPrice,
              discount_percent: line.discountPercent === null ? null : String(line.discountPercent),
              before_discounts: priced.beforeDiscounts, discount: priced.discount, vat_rate_bp: priced.vatRateBp,
              excl_vat: priced.exclVat, vat: priced.vat, incl_vat: priced.inclVat,
            };
          })).execute();
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
      const summary = await loadOrderSummary(db, input.tenantId, input.orderId);
      if (!summary) throw new Error(`order ${input.orderId} vanished after commit`);
      return { ok: true, summary };
    },
  };
}
