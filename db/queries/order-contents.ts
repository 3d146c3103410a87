import { type Kysely, sql } from 'kysely';
import type { OrderRequest } from '../../domain/order-request';
import type { BusinessError } from '../../domain/business-error';
import type { OrderDraft } from '../../domain/order-draft';
import { compiledQuery, type SlotOf } from '../compiled-query';
import type { Database } from '../schema';
import { batchesOf } from './batches';
import { draftCampaigns, orderCampaignCodes } from './order-campaign-codes';
import { connectCustomersByEmail } from './customers';
import { addressFromOrder } from '../../domain/customer-address';
import { holdSeats, releaseSeats } from './seat-holds';

export interface OrderContentsInput {
  tenantId: string;
  orderId: string;
  draft: OrderDraft;
  request: OrderRequest;
}

/** The order's invoice and delivery addresses, kept for the booker's customer if it has none yet. */
function bookerAddresses(request: OrderRequest) {
  const invoicee = [request.invoice?.firstname, request.invoice?.lastname].filter(Boolean).join(' ');
  return {
    billingAddress: addressFromOrder(request.invoice?.address, {
      name: invoicee || null,
      company_name: request.company?.name ?? null,
    }),
    deliveryAddress: addressFromOrder(request.delivery?.address, { name: request.delivery?.name ?? null }),
  };
}

/** Customers (booker and participants) connected by email, unless the order opts out. */
export async function connectOrderCustomers(
  trx: Kysely<Database>,
  input: OrderContentsInput,
): Promise<Map<string, string>> {
  const { draft, request } = input;
  if (request.config?.allow_customer_autoconnect === false) return new Map();
  // One sorted upsert for everyone, so concurrent orders sharing people lock rows in one order.
  return connectCustomersByEmail(trx, input.tenantId, [
    ...draft.participants.flatMap((p) =>
      p.email ? [{ email: p.email, name: `${p.firstname} ${p.lastname}`, phone: p.phone }] : [],
    ),
    ...(draft.bookerEmail
      ? [
          {
            email: draft.bookerEmail,
            name: request.booker?.name ?? '',
            phone: request.booker?.phone ?? null,
            externalContactId: request.external_contact_id ?? null,
            ...bookerAddresses(request),
          },
        ]
      : []),
  ]);
}

/**
 * Everything an order consists of and holds — participants, priced lines, then seats, campaign use and voucher value —
 * written inside the caller's transaction, which should commit right after. Returns business errors (full occurrence,
 * code used up meanwhile) instead of writing a partial order: the caller rolls back.
 */
export async function writeOrderContents(
  trx: Kysely<Database>,
  input: OrderContentsInput,
  customers: Map<string, string>,
): Promise<BusinessError[]> {
  const { draft, tenantId, orderId } = input;
  const participantIds = new Map<number, string>();
  if (draft.participants.length > 0) {
    const participantRows = draft.participants.map((p) => {
      const id = crypto.randomUUID();
      participantIds.set(p.position, id);
      return {
        id,
        tenant_id: tenantId,
        order_id: orderId,
        position: p.position,
        firstname: p.firstname,
        lastname: p.lastname,
        email: p.email,
        phone: p.phone,
        date_of_birth: p.dateOfBirth,
        details: JSON.stringify(p.details),
        customer_id: p.email ? (customers.get(p.email.trim().toLowerCase()) ?? null) : null,
        // The participant's booking reference exists from the moment the order does (a client
        // quotes it at once, as the course-booking platform's create answer does); whether the
        // seat is booked yet is the reservation's status.
        booking_id: crypto.randomUUID(),
      };
    });
    for (const batch of batchesOf(participantRows)) await trx.insertInto('participants').values(batch).execute();
  }
  const pricedByKey = new Map(draft.pricing.lines.map((l) => [l.key, l]));
  const lineRows = draft.lines.map((line) => {
    const priced = pricedByKey.get(line.key);
    if (!priced) throw new Error(`line ${line.key} has no price`);
    return {
      id: crypto.randomUUID(),
      tenant_id: tenantId,
      order_id: orderId,
      position: line.position,
      product_id: line.productId,
      occurrence_id: line.occurrenceId,
      inventory_date: line.inventoryDate,
      participant_id: line.participantPosition === null ? null : (participantIds.get(line.participantPosition) ?? null),
      description: line.description,
      quantity: line.quantity,
      unit_price: line.unitPrice,
      discount_percent: line.discountPercent === null ? null : String(line.discountPercent),
      before_discounts: priced.beforeDiscounts,
      discount: priced.discount,
      vat_rate_bp: priced.vatRateBp,
      excl_vat: priced.exclVat,
      vat: priced.vat,
      incl_vat: priced.inclVat,
      subscription_period_id: line.subscription?.periodId ?? null,
      start_date: line.subscription?.startDate ?? null,
    };
  });
  for (const batch of batchesOf(lineRows)) await trx.insertInto('order_lines').values(batch).execute();
  return takeOrderHolds(trx, input);
}

/**
 * Seats, campaign uses and voucher value, taken last: the rows they lock are the ones every order of a popular event
 * shares (its occurrence), and a lock taken last is held only until the caller's commit (docs/performance.md, "eighth
 * pass").
 */
async function takeOrderHolds(trx: Kysely<Database>, input: OrderContentsInput): Promise<BusinessError[]> {
  const { draft, tenantId, orderId } = input;
  // Seats before codes, as every transaction that takes or gives back both (no deadlock between them).
  const errors = await holdSeats(trx, tenantId, orderId, draft.holds);
  const fromList = input.request.campaign_codes !== undefined;
  errors.push(
    ...(await takeOrderCodes(
      trx,
      tenantId,
      {
        campaign_code: draft.campaignCode,
        campaign_codes: draftCampaigns(draft).map((c) => c.code),
        voucher_code: draft.voucherCode,
        voucher_applied: draft.pricing.voucherApplied,
      },
      (i) => (fromList ? `campaign_codes.${i}` : 'campaign_code'),
    )),
  );
  return errors;
}

/** What an order holds of the codes: its campaign codes (one use each) and the voucher value it took. */
export interface OrderCodeHolds {
  campaign_code: string | null;
  /** Absent or empty: just campaign_code (orders from before 0019_campaign_stacking). */
  campaign_codes?: readonly string[] | null;
  voucher_code: string | null;
  voucher_applied: number;
}

/** The order's campaign codes in the order rows are locked in (by code), so two orders never wait on each other. */
function inLockOrder(order: OrderCodeHolds): { code: string; index: number }[] {
  return orderCampaignCodes(order)
    .map((code, index) => ({ code: code.toUpperCase(), index }))
    .sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

const takeCampaignUse = compiledQuery((db, slot: SlotOf<{ tenantId: string; code: string }>) =>
  db
    .updateTable('campaigns')
    .set({ uses: sql`uses + 1` })
    .where('tenant_id', '=', slot('tenantId'))
    .where(sql`upper(code)`, '=', slot('code'))
    .where(sql<boolean>`(max_uses IS NULL OR uses < max_uses)`)
    .returning('id'),
);

const takeVoucherValue = compiledQuery((db, slot: SlotOf<{ tenantId: string; code: string; applied: number }>) =>
  db
    .updateTable('vouchers')
    .set({
      remaining_value: sql`CASE WHEN kind = 'value' THEN remaining_value - ${slot('applied')} ELSE remaining_value END`,
      redeemed_at: sql`CASE WHEN kind = 'percent' OR remaining_value - ${slot('applied')} = 0
        THEN now() ELSE redeemed_at END`,
    })
    .where('tenant_id', '=', slot('tenantId'))
    .where(sql`upper(code)`, '=', slot('code'))
    .where('redeemed_at', 'is', null)
    .where(sql<boolean>`(kind = 'percent' OR remaining_value >= ${slot('applied')})`)
    .returning('id'),
);

/**
 * Takes one use of each campaign code and the voucher value the order relies on — at placement,
 * and again after expiry gave them back — race-free (conditional updates: of two orders at a
 * campaign's last use exactly one gets it); answers what could not be taken. `campaignField`
 * names the request field of the i-th code.
 */
export async function takeOrderCodes(
  trx: Kysely<Database>,
  tenantId: string,
  order: OrderCodeHolds,
  campaignField: (index: number) => string = () => 'campaign_code',
): Promise<BusinessError[]> {
  const errors: BusinessError[] = [];
  for (const { code, index } of inLockOrder(order)) {
    const used = await takeCampaignUse.first(trx, { tenantId, code });
    if (!used)
      errors.push({
        code: 'campaign_code_used_up',
        message: `The campaign code ${code} has no uses left`,
        field: campaignField(index),
      });
  }
  if (order.voucher_code) {
    const code = order.voucher_code.toUpperCase();
    const taken = await takeVoucherValue.first(trx, { tenantId, code, applied: order.voucher_applied });
    if (!taken)
      errors.push({
        code: 'voucher_code_already_used',
        message: 'The voucher has been used meanwhile',
        field: 'voucher_code',
      });
  }
  return errors;
}

/**
 * Gives back what the order holds (seats, campaign use, voucher value) — once: the seat
 * release is guarded by the reservation status, and the codes go back only with it.
 */
export async function giveBackOrderHolds(
  trx: Kysely<Database>,
  tenantId: string,
  orderId: string,
  order: OrderCodeHolds,
  statuses: ('held' | 'booked')[] = ['held'],
): Promise<number> {
  const seats = await releaseSeats(trx, orderId, statuses);
  for (const { code } of inLockOrder(order)) {
    await trx
      .updateTable('campaigns')
      .set({ uses: sql`greatest(uses - 1, 0)` })
      .where('tenant_id', '=', tenantId)
      .where(sql`upper(code)`, '=', code)
      .execute();
  }
  if (order.voucher_code) {
    await trx
      .updateTable('vouchers')
      .set({
        remaining_value: sql`CASE WHEN kind = 'value'
          THEN remaining_value + ${order.voucher_applied} ELSE remaining_value END`,
        redeemed_at: null,
      })
      .where('tenant_id', '=', tenantId)
      .where(sql`upper(code)`, '=', order.voucher_code.toUpperCase())
      .execute();
  }
  return seats;
}

/** Removes participants and lines so the order can be written anew (a change before payment). */
export async function clearOrderContents(trx: Kysely<Database>, orderId: string): Promise<void> {
  await trx.deleteFrom('order_lines').where('order_id', '=', orderId).execute();
  await trx.deleteFrom('participants').where('order_id', '=', orderId).execute();
  await trx.deleteFrom('reservations').where('order_id', '=', orderId).where('status', '=', 'released').execute();
}
