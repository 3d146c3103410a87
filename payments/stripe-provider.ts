import { ApplicationFailure } from '@temporalio/common';
import Stripe from 'stripe';
import type { Db } from '../db/database';
import { findOrderDeadline } from '../db/queries/payment-orders';
import { findTenantSlug } from '../db/queries/tenant-settings';
import type {
  CreateSessionInput,
  PaymentProvider,
  PaymentSession,
  ProviderSessionState,
  ProviderSessionStatus,
} from './payment-provider';

// Card payments through Stripe Checkout, with the official SDK. Each tenant has its own Stripe
// account: the secret key and the webhook signing secret are read from configuration by tenant
// slug (never from the database, never logged):
//
//   STRIPE_SECRET_KEY__<SLUG>       e.g. STRIPE_SECRET_KEY__MY_SHOP for the tenant "my-shop"
//   STRIPE_WEBHOOK_SECRET__<SLUG>   the endpoint's signing secret (whsec_…), read by the API
//   STRIPE_API_BASE                 optional, e.g. http://127.0.0.1:12111 (a local stub)

export const STRIPE_NOT_CONFIGURED = 'StripeNotConfigured';
export const STRIPE_REQUEST_REFUSED = 'StripeRequestRefused';

/** Stripe's Checkout Sessions expire between 30 minutes and 24 hours after creation. */
const MIN_EXPIRY_SECONDS = 60 * 60;
const MAX_EXPIRY_SECONDS = 23 * 60 * 60;

/** "my-shop" → "MY_SHOP": the suffix of the tenant's configuration variables. */
export function tenantEnvSuffix(slug: string): string {
  return slug.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

export function stripeSecretKeyVariable(slug: string): string {
  return `STRIPE_SECRET_KEY__${tenantEnvSuffix(slug)}`;
}

export function stripeWebhookSecretVariable(slug: string): string {
  return `STRIPE_WEBHOOK_SECRET__${tenantEnvSuffix(slug)}`;
}

export function stripeWebhookSecret(slug: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[stripeWebhookSecretVariable(slug)] || undefined;
}

/** `STRIPE_API_BASE` → the SDK's host/port/protocol options (absent: Stripe's own API). */
export function stripeApiBaseOptions(
  apiBase: string | undefined,
): Pick<Stripe.StripeConfig, 'host' | 'port' | 'protocol'> {
  if (!apiBase) return {};
  const url = new URL(apiBase);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('STRIPE_API_BASE must be an http(s) URL');
  return {
    host: url.hostname,
    port: url.port || (url.protocol === 'https:' ? 443 : 80),
    protocol: url.protocol === 'https:' ? 'https' : 'http',
  };
}

/** What our workflow needs to know of a Checkout Session. */
export function sessionState(
  session: Pick<Stripe.Checkout.Session, 'status' | 'payment_status'>,
): ProviderSessionState {
  if (session.payment_status === 'paid' || session.payment_status === 'no_payment_required') return 'paid';
  if (session.status === 'expired') return 'expired';
  // 'open', or 'complete' with an asynchronous payment still on its way.
  return 'open';
}

export interface StripeProviderOptions {
  db: Db;
  publicBaseUrl: string;
  /** Where the per-tenant secrets are read from; read at each call, so a rotated key is used at once. */
  env?: NodeJS.ProcessEnv;
  /** e.g. http://127.0.0.1:12111; default: Stripe's API. */
  apiBase?: string;
  /** Per request (ms); a timed-out request fails the activity attempt, which Temporal retries. */
  timeoutMs?: number;
}

export class StripePaymentProvider implements PaymentProvider {
  readonly name = 'stripe';
  private readonly clients = new Map<string, Stripe>();
  private readonly env: NodeJS.ProcessEnv;
  private readonly baseOptions: Pick<Stripe.StripeConfig, 'host' | 'port' | 'protocol'>;

  constructor(private readonly options: StripeProviderOptions) {
    this.env = options.env ?? process.env;
    this.baseOptions = stripeApiBaseOptions(options.apiBase);
  }

  private async tenantSlug(tenantId: string): Promise<string> {
    const slug = await findTenantSlug(this.options.db, tenantId);
    if (!slug) throw ApplicationFailure.nonRetryable(`unknown tenant ${tenantId}`, STRIPE_NOT_CONFIGURED);
    return slug;
  }

  /** The tenant's Stripe client; a missing key is a configuration error no retry can fix. */
  private async client(tenantId: string): Promise<{ stripe: Stripe; slug: string }> {
    const slug = await this.tenantSlug(tenantId);
    const variable = stripeSecretKeyVariable(slug);
    const key = this.env[variable];
    if (!key) {
      throw ApplicationFailure.nonRetryable(
        `Stripe is not configured for tenant "${slug}": set ${variable} (and ` +
          `${stripeWebhookSecretVariable(slug)}), see docs/payments.md`,
        STRIPE_NOT_CONFIGURED,
      );
    }
    let stripe = this.clients.get(key);
    if (!stripe) {
      stripe = new Stripe(key, {
        ...this.baseOptions,
        // Temporal retries the activity; the SDK retries a dropped connection once (keyed, so safe).
        maxNetworkRetries: 1,
        // Two tries of 10 s stay well inside the 30-s activity timeout.
        timeout: this.options.timeoutMs ?? 10_000,
        appInfo: { name: 'order-orchestrator' },
      });
      this.clients.set(key, stripe);
    }
    return { stripe, slug };
  }

  async createSession(input: CreateSessionInput): Promise<PaymentSession> {
    if (input.savedCardToken)
      throw ApplicationFailure.nonRetryable('Saved cards are not supported with Stripe yet', 'SavedCardUnsupported');
    const { stripe, slug } = await this.client(input.tenantId);
    const order = await findOrderDeadline(this.options.db, { tenantId: input.tenantId, orderId: input.reference });
    const returnPage = `${this.options.publicBaseUrl}/psp/stripe/return?session_id={CHECKOUT_SESSION_ID}`;
    const params: Stripe.Checkout.SessionCreateParams = {
      mode: 'payment',
      line_items: [
        {
          quantity: 1,
          price_data: {
            currency: input.currency,
            unit_amount: input.amount,
            product_data: { name: input.description },
          },
        },
      ],
      client_reference_id: input.reference,
      metadata: { order_id: input.reference, tenant: slug },
      // Carried on the PaymentIntent too, so its events (payment_intent.payment_failed) find the order.
      payment_intent_data: { metadata: { order_id: input.reference, tenant: slug } },
      success_url: input.completeUrl ?? `${returnPage}&result=success`,
      cancel_url: input.cancelUrl ?? `${returnPage}&result=cancel`,
    };
    const expiresAt = order ? checkoutExpiry(order.created_at, order.preliminary_until) : undefined;
    if (expiresAt !== undefined) params.expires_at = expiresAt;
    const session = await call(() => stripe.checkout.sessions.create(params, { idempotencyKey: input.idempotencyKey }));
    if (!session.url)
      throw ApplicationFailure.nonRetryable(
        `Stripe returned checkout session ${session.id} without a URL`,
        STRIPE_REQUEST_REFUSED,
      );
    return { sessionId: session.id, redirectUrl: session.url };
  }

  async getSession(tenantId: string, sessionId: string): Promise<ProviderSessionStatus> {
    const { stripe } = await this.client(tenantId);
    return toStatus(await call(() => stripe.checkout.sessions.retrieve(sessionId)));
  }

  async closeSession(tenantId: string, sessionId: string): Promise<ProviderSessionStatus> {
    const { stripe } = await this.client(tenantId);
    try {
      // Stripe expires only an open session; a paid (complete) one answers an error instead,
      // so "close unless paid" is one atomic step at Stripe's side.
      return toStatus(await stripe.checkout.sessions.expire(sessionId));
    } catch (error) {
      if (!(error instanceof Stripe.errors.StripeInvalidRequestError)) throw error;
      return toStatus(await call(() => stripe.checkout.sessions.retrieve(sessionId)));
    }
  }

  async refund(input: {
    tenantId: string;
    sessionId: string;
    amount: number;
    idempotencyKey: string;
  }): Promise<{ refundId: string }> {
    const { stripe } = await this.client(input.tenantId);
    const session = await call(() => stripe.checkout.sessions.retrieve(input.sessionId));
    const paymentIntent =
      typeof session.payment_intent === 'string' ? session.payment_intent : session.payment_intent?.id;
    if (!paymentIntent) {
      throw ApplicationFailure.nonRetryable(
        `Stripe checkout session ${input.sessionId} has no payment to refund`,
        STRIPE_REQUEST_REFUSED,
      );
    }
    const refund = await call(() =>
      stripe.refunds.create(
        { payment_intent: paymentIntent, amount: input.amount },
        { idempotencyKey: input.idempotencyKey },
      ),
    );
    return { refundId: refund.id };
  }
}

/**
 * `expires_at` from the order's deadline, within what Stripe accepts (30 min … 24 h after
 * creation). It is derived from stored values only, never from "now", so a retried request
 * sends the same parameters under the same idempotency key. The workflow closes the session
 * itself at the deadline; this is Stripe's own backstop.
 */
export function checkoutExpiry(createdAt: Date, preliminaryUntil: Date | null): number | undefined {
  if (!preliminaryUntil) return undefined;
  const created = Math.floor(new Date(createdAt).getTime() / 1000);
  const deadline = Math.floor(new Date(preliminaryUntil).getTime() / 1000);
  return Math.min(Math.max(deadline, created + MIN_EXPIRY_SECONDS), created + MAX_EXPIRY_SECONDS);
}

function toStatus(session: Stripe.Checkout.Session): ProviderSessionStatus {
  return {
    sessionId: session.id,
    state: sessionState(session),
    amount: session.amount_total ?? 0,
    currency: session.currency ?? '',
  };
}

/**
 * Stripe's refusals (bad key, bad request, reused idempotency key) do not get better with
 * retries: they fail the activity for good. Network trouble, rate limits and Stripe's own
 * errors are thrown as they are, and Temporal retries them.
 */
async function call<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    if (
      error instanceof Stripe.errors.StripeAuthenticationError ||
      error instanceof Stripe.errors.StripePermissionError ||
      error instanceof Stripe.errors.StripeInvalidRequestError ||
      error instanceof Stripe.errors.StripeIdempotencyError
    ) {
      throw ApplicationFailure.nonRetryable(
        `Stripe refused the request (${error.type}${error.code ? `, ${error.code}` : ''}): ${error.message}`,
        STRIPE_REQUEST_REFUSED,
      );
    }
    throw error;
  }
}
