import { type Kysely, sql } from 'kysely';
import { DEFAULT_ORDER_ORIGIN, type OrderRequest } from '../../domain/order-request';
import type { OrderDraft } from '../../domain/order-draft';
import { compiledQuery, type SlotOf, slotsOf } from '../compiled-query';
import type { Database, NewOrder, Order, PaymentMethod } from '../schema';
import { draftCampaigns, draftDiscountBreakdown } from './order-campaign-codes';
import type { OrderScope } from './order-scope';

/** The order row's columns that follow from pricing (written at placement and on a change). */
function pricedOrderColumns(draft: OrderDraft) {
  const totals = draft.pricing.totals;
  return {
    currency: draft.currency,
    exchange_rate: draft.exchangeRate,
    campaign_code: draft.campaignCode,
    campaign_codes: draftCampaigns(draft).map((c) => c.code),
    discount_breakdown: JSON.stringify(draftDiscountBreakdown(draft)),
    voucher_code: draft.voucherCode,
    voucher_applied: draft.pricing.voucherApplied,
    total_before_discounts: totals.beforeDiscounts,
    total_discounts: totals.discounts,
    total_excl_vat: totals.exclVat,
    total_vat: totals.vat,
    total_incl_vat: totals.inclVat,
    vat_summary: JSON.stringify(
      draft.pricing.vatSummary.map((r) => ({ rate_bp: r.rateBp, base: r.base, amount: r.amount })),
    ),
  };
}

export interface PlacedOrder extends OrderScope {
  number: number;
  workflowId: string;
  paymentMethod: PaymentMethod;
  customerId: string | null;
  draft: OrderDraft;
  request: OrderRequest;
  preliminaryUntil: string | null;
  approvalUntil: string | null;
}

/** Where a placed order starts: held for approval, waiting for its card, paid elsewhere, or to be booked. */
function placedStatus(order: PlacedOrder) {
  if (order.approvalUntil) return 'awaiting_approval' as const;
  if (order.paymentMethod === 'card') return 'awaiting_payment' as const;
  return order.paymentMethod === 'prepaid' ? ('paid' as const) : ('reserved' as const);
}

/** The order row's columns as placement writes them: every one of them, always (null included). */
const PLACED_ORDER_COLUMNS = [
  'id',
  'tenant_id',
  'number',
  'workflow_id',
  'status',
  'approval_until',
  'payment_method',
  'customer_id',
  'booker',
  'booker_email',
  'company',
  'invoice_details',
  'delivery_details',
  'external_id',
  'external_contact_id',
  'external_company_id',
  'origin',
  'notes',
  'client',
  'config',
  'payment_complete_url',
  'payment_cancel_url',
  'currency',
  'exchange_rate',
  'campaign_code',
  'campaign_codes',
  'discount_breakdown',
  'voucher_code',
  'voucher_applied',
  'total_before_discounts',
  'total_discounts',
  'total_excl_vat',
  'total_vat',
  'total_incl_vat',
  'vat_summary',
  'preliminary_until',
  'request',
] as const;
type PlacedOrderRow = Required<Pick<NewOrder, (typeof PLACED_ORDER_COLUMNS)[number]>>;

const insertOrderRow = compiledQuery((db, slot: SlotOf<PlacedOrderRow>) =>
  db
    .insertInto('orders')
    .values(slotsOf(slot, PLACED_ORDER_COLUMNS))
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id'),
);

/**
 * The order row; written first in placement, because reservations, lines and participants reference it. False when
 * the order exists already (a retried placement whose first try committed).
 */
export async function insertPlacedOrder(trx: Kysely<Database>, order: PlacedOrder): Promise<boolean> {
  const { request } = order;
  const priced = pricedOrderColumns(order.draft);
  // The statement writes every column: a value a draft from an older release lacks is written as the column's
  // default (null, or 0 for voucher_applied), as leaving the column out did.
  const inserted = await insertOrderRow.first(trx, {
    id: order.orderId,
    tenant_id: order.tenantId,
    number: order.number,
    workflow_id: order.workflowId,
    status: placedStatus(order),
    approval_until: order.approvalUntil ?? null,
    payment_method: order.paymentMethod,
    customer_id: order.customerId ?? null,
    booker: JSON.stringify(request.booker ?? null),
    booker_email: order.draft.bookerEmail ?? null,
    company: JSON.stringify(request.company ?? null),
    invoice_details: JSON.stringify(request.invoice ?? null),
    delivery_details: JSON.stringify(request.delivery ?? null),
    external_id: request.external_id ?? null,
    external_contact_id: request.external_contact_id ?? null,
    external_company_id: request.external_company_id ?? null,
    origin: request.origin ?? DEFAULT_ORDER_ORIGIN,
    notes: JSON.stringify(request.notes ?? {}),
    client: JSON.stringify(request.client ?? {}),
    config: JSON.stringify(request.config ?? {}),
    payment_complete_url: request.payment_complete_url ?? null,
    payment_cancel_url: request.payment_cancel_url ?? null,
    ...priced,
    exchange_rate: priced.exchange_rate ?? null,
    campaign_code: priced.campaign_code ?? null,
    voucher_code: priced.voucher_code ?? null,
    voucher_applied: priced.voucher_applied ?? 0,
    preliminary_until: order.preliminaryUntil ?? null,
    request: JSON.stringify(request),
  });
  return inserted !== undefined;
}

/** The request as it reads after the latest change (a change applies to it) and the total it priced. */
export async function loadOrderRequest(
  db: Kysely<Database>,
  scope: OrderScope,
): Promise<Pick<Order, 'request' | 'total_incl_vat'>> {
  return db
    .selectFrom('orders')
    .select(['request', 'total_incl_vat'])
    .where('id', '=', scope.orderId)
    .where('tenant_id', '=', scope.tenantId)
    .executeTakeFirstOrThrow();
}

/** A changed order's new prices, codes, request and deadline; notes sent with the change are merged in. */
export async function updateChangedOrder(
  trx: Kysely<Database>,
  change: OrderScope & {
    draft: OrderDraft;
    request: OrderRequest;
    notes: Record<string, string | undefined> | undefined;
    preliminaryUntil: string | null;
  },
): Promise<void> {
  await trx
    .updateTable('orders')
    .set({
      ...pricedOrderColumns(change.draft),
      ...(change.notes ? { notes: sql`notes || ${JSON.stringify(change.notes)}::jsonb` } : {}),
      request: JSON.stringify(change.request),
      preliminary_until: change.preliminaryUntil,
      updated_at: sql`now()`,
    })
    .where('id', '=', change.orderId)
    .execute();
}
