// What the order process needs from a payment service provider. The sandbox provider is the
// default; a Stripe adapter fits the same shape.

export interface CreateSessionInput {
  tenantId: string;
  /** Our order id: the provider echoes it in webhooks. */
  reference: string;
  amount: number;
  currency: string;
  description: string;
  webhookUrl: string;
  completeUrl: string | null;
  cancelUrl: string | null;
  /** Same key → same session (a retried activity never opens a second one). */
  idempotencyKey: string;
  /** Charge a card the provider keeps (a saved card) instead of sending the customer to a page. */
  savedCardToken?: string;
  /** The page asks the buyer's consent to keep the card for this: the renewals of a subscription. */
  cardSaving?: 'renewals';
}

export interface PaymentSession {
  sessionId: string;
  redirectUrl: string;
}

export type ProviderSessionState = 'open' | 'paid' | 'declined' | 'cancelled' | 'expired';

export interface ProviderSessionStatus {
  sessionId: string;
  state: ProviderSessionState;
  amount: number;
  currency: string;
}

/** Failure type of a refund the provider refuses for good (nothing left to refund, session not paid). */
export const REFUND_REFUSED = 'RefundRefused';

export interface PaymentProvider {
  readonly name: string;
  createSession(input: CreateSessionInput): Promise<PaymentSession>;
  getSession(tenantId: string, sessionId: string): Promise<ProviderSessionStatus>;
  /**
   * Closes the session for further payment unless it is already paid, atomically at the
   * provider: the answer says which of the two happened, so a payment racing the deadline is
   * never lost.
   */
  closeSession(tenantId: string, sessionId: string): Promise<ProviderSessionStatus>;
  refund(input: {
    tenantId: string;
    sessionId: string;
    amount: number;
    idempotencyKey: string;
  }): Promise<{ refundId: string }>;
}
