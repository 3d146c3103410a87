import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import {
  checkoutExpiry,
  sessionState,
  stripeApiBaseOptions,
  stripeSecretKeyVariable,
  stripeWebhookSecret,
  stripeWebhookSecretVariable,
} from '../../payments/stripe-provider';
import { verifyStripeWebhook } from '../../api/routes/stripe-webhooks';

const secret = 'whsec_test_0123456789abcdef';
const payload = JSON.stringify({
  id: 'evt_test_1',
  object: 'event',
  type: 'checkout.session.completed',
  created: 1_700_000_000,
  data: {
    object: {
      id: 'cs_test_1',
      object: 'checkout.session',
      payment_status: 'paid',
      status: 'complete',
      amount_total: 1000,
      currency: 'nok',
    },
  },
});
const sign = (body: string, key = secret, timestamp?: number) =>
  Stripe.webhooks.generateTestHeaderString({
    payload: body,
    secret: key,
    ...(timestamp === undefined ? {} : { timestamp }),
  });
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('Stripe webhook signature (Stripe-Signature, verified by the SDK)', () => {
  it('accepts a valid signature and only then parses the event', () => {
    const check = verifyStripeWebhook(payload, sign(payload), secret);
    expect(check).toMatchObject({ ok: true, event: { id: 'evt_test_1', type: 'checkout.session.completed' } });
  });

  it('verifies the raw bytes as well as a string', () => {
    expect(verifyStripeWebhook(Buffer.from(payload, 'utf8'), sign(payload), secret).ok).toBe(true);
  });

  it('refuses a tampered body', () => {
    const tampered = payload.replace('"amount_total":1000', '"amount_total":1');
    expect(tampered).not.toBe(payload);
    expect(verifyStripeWebhook(tampered, sign(payload), secret)).toEqual({ ok: false, reason: 'mismatch' });
    // Even whitespace counts: the signature covers the exact bytes.
    expect(verifyStripeWebhook(`${payload} `, sign(payload), secret)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuses a stale timestamp (more than 300 s old) and accepts one just inside', () => {
    const stale = nowSeconds() - 301;
    expect(verifyStripeWebhook(payload, sign(payload, secret, stale), secret)).toEqual({ ok: false, reason: 'stale' });
    const fresh = nowSeconds() - 290;
    expect(verifyStripeWebhook(payload, sign(payload, secret, fresh), secret).ok).toBe(true);
    // The same header is judged against the time it is received.
    const header = sign(payload, secret, 1_700_000_000);
    expect(verifyStripeWebhook(payload, header, secret, (1_700_000_000 + 300) * 1000).ok).toBe(true);
    expect(verifyStripeWebhook(payload, header, secret, (1_700_000_000 + 301) * 1000)).toEqual({
      ok: false,
      reason: 'stale',
    });
  });

  it('refuses a signature made with another secret', () => {
    expect(verifyStripeWebhook(payload, sign(payload, 'whsec_someone_else'), secret)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('refuses a missing or malformed header', () => {
    expect(verifyStripeWebhook(payload, undefined, secret)).toEqual({ ok: false, reason: 'missing' });
    expect(verifyStripeWebhook(payload, 'garbage', secret)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyStripeWebhook(payload, `t=${nowSeconds()}`, secret)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('accepts any of several v1 signatures (secret rotation)', () => {
    const t = nowSeconds();
    const good = sign(payload, secret, t).split('v1=')[1];
    const header = `t=${t},v1=${'0'.repeat(64)},v1=${good}`;
    expect(verifyStripeWebhook(payload, header, secret).ok).toBe(true);
  });

  it('tells a signed body that is not JSON apart from a bad signature', () => {
    expect(verifyStripeWebhook('not json', sign('not json'), secret)).toEqual({ ok: false, reason: 'not_json' });
  });
});

describe('Stripe provider helpers', () => {
  it('names the per-tenant variables after the slug', () => {
    expect(stripeSecretKeyVariable('demo')).toBe('STRIPE_SECRET_KEY__DEMO');
    expect(stripeWebhookSecretVariable('my-shop-2')).toBe('STRIPE_WEBHOOK_SECRET__MY_SHOP_2');
    expect(stripeWebhookSecret('my-shop', { STRIPE_WEBHOOK_SECRET__MY_SHOP: 'whsec_x' })).toBe('whsec_x');
    expect(stripeWebhookSecret('my-shop', { STRIPE_WEBHOOK_SECRET__MY_SHOP: '' })).toBeUndefined();
  });

  it('maps a Checkout Session to our session state', () => {
    expect(sessionState({ status: 'complete', payment_status: 'paid' })).toBe('paid');
    expect(sessionState({ status: 'open', payment_status: 'unpaid' })).toBe('open');
    expect(sessionState({ status: 'expired', payment_status: 'unpaid' })).toBe('expired');
    // An asynchronous payment on its way is not paid yet.
    expect(sessionState({ status: 'complete', payment_status: 'unpaid' })).toBe('open');
  });

  it("derives expires_at from the order, within Stripe's 30 min … 24 h", () => {
    const created = new Date('2026-01-01T10:00:00Z');
    const at = (iso: string) => Math.floor(Date.parse(iso) / 1000);
    expect(checkoutExpiry(created, null)).toBeUndefined();
    expect(checkoutExpiry(created, new Date('2026-01-01T12:00:00Z'))).toBe(at('2026-01-01T12:00:00Z'));
    expect(checkoutExpiry(created, new Date('2026-01-01T10:00:02Z'))).toBe(at('2026-01-01T11:00:00Z'));
    expect(checkoutExpiry(created, new Date('2026-01-05T10:00:00Z'))).toBe(at('2026-01-02T09:00:00Z'));
  });

  it('points the SDK at STRIPE_API_BASE', () => {
    expect(stripeApiBaseOptions(undefined)).toEqual({});
    expect(stripeApiBaseOptions('http://127.0.0.1:12111')).toEqual({
      host: '127.0.0.1',
      port: '12111',
      protocol: 'http',
    });
    expect(stripeApiBaseOptions('https://stripe.internal')).toEqual({
      host: 'stripe.internal',
      port: 443,
      protocol: 'https',
    });
  });
});
