import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { placeOrder } from '../../activities/intake/place-order';
import { createPaymentActivities } from '../../activities/payment-activities';
import { loadOrderForPaymentSession } from '../../db/queries/payment-orders';
import { createDefaultPaymentProviders } from '../../payments/provider-registry';
import { databaseWithTenant } from '../helpers/database-with-tenant';
import { validatedPlacement } from '../helpers/order-placement';

// Opening a card order's payment session reads the order, its tenant, its ledger and an earlier session of the same
// attempt in one query. A retry after the first try committed (its answer lost) gets the session that try opened.
const setup = databaseWithTenant();
const publicBaseUrl = 'http://127.0.0.1:9';

async function placedCardOrder(): Promise<string> {
  const { input } = await validatedPlacement(setup.database.db, setup.tenant.id, {
    paymentMethod: 'card',
    quantity: 2,
    price: 12_500,
  });
  expect(await placeOrder(setup.database.db, input)).toEqual({ ok: true });
  return input.orderId;
}

describe('opening a payment session', () => {
  it('asks for what is left to pay, and a retry of the attempt gets the same session', async () => {
    const db = setup.database.db;
    const activities = createPaymentActivities({
      db,
      publicBaseUrl,
      mailTransport: nodemailer.createTransport({ jsonTransport: true }),
      paymentProviders: createDefaultPaymentProviders({ db, publicBaseUrl }),
    });
    const orderId = await placedCardOrder();
    const scope = { tenantId: setup.tenant.id, orderId };

    const first = await activities.createPaymentSession(scope);
    const retried = await activities.createPaymentSession(scope);
    expect(retried).toEqual({ sessionId: first.sessionId, redirectUrl: first.redirectUrl });

    const charges = await db
      .selectFrom('payments')
      .select(['amount', 'provider_session_id'])
      .where('order_id', '=', orderId)
      .execute();
    const order = await db.selectFrom('orders').select('total_incl_vat').where('id', '=', orderId).executeTakeFirst();
    expect(charges).toEqual([{ amount: order?.total_incl_vat, provider_session_id: first.sessionId }]);

    // The one read behind it: the attempt's earlier session, the ledger, the tenant's provider.
    const read = await loadOrderForPaymentSession(db, scope, `${orderId}:charge:1`);
    expect(read.earlier_session).toEqual({ provider_session_id: first.sessionId, redirect_url: first.redirectUrl });
    expect(read.ledger).toEqual({ total: order?.total_incl_vat, credited: 0, captured: 0, refunded: 0 });
    expect(read.payment_provider).toBe('sandbox');
    expect((await loadOrderForPaymentSession(db, scope, `${orderId}:charge:2`)).earlier_session).toBeNull();

    // A second attempt (a changed order) opens a session of its own.
    const second = await activities.createPaymentSession({ ...scope, attempt: 2 });
    expect(second.sessionId).not.toBe(first.sessionId);
  });
});
