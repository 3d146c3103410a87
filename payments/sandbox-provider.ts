import { createHash, randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { Db } from '../db/database';
import {
  addSandboxRefundedAmount,
  expireUnpaidSandboxSession,
  insertSandboxRefund,
  insertSandboxSession,
  loadSandboxPageToken,
  loadSandboxSessionState,
  findSandboxCard,
} from '../db/queries/sandbox-psp-sessions';
import { enqueueSandboxWebhook } from './sandbox-webhook-sender';
import {
  type CreateSessionInput,
  type PaymentProvider,
  type PaymentSession,
  type ProviderSessionStatus,
  REFUND_REFUSED,
} from './payment-provider';

/**
 * The built-in sandbox PSP. Its sessions live in our database (table sandbox_psp_sessions) and
 * its hosted page is served by our API under /psp/sandbox; everything else behaves like a
 * remote provider: signed webhooks over HTTP, a status lookup, refunds.
 */
export class SandboxPaymentProvider implements PaymentProvider {
  readonly name = 'sandbox';

  constructor(
    private readonly db: Db,
    private readonly publicBaseUrl: string,
  ) {}

  /**
   * The session id is derived from the idempotency key so that a retried activity finds the
   * session it opened before. It is therefore guessable from the order id and is never what
   * lets anyone act on the session: the hosted page is reached through the page token.
   */
  static sessionIdFor(idempotencyKey: string): string {
    return `sbx_${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}`;
  }

  /** The secret in the payment link (192 random bits), stored with the session. */
  static newPageToken(): string {
    return `sbxpay_${randomBytes(24).toString('base64url')}`;
  }

  /** The hosted page form's CSRF token, also random per session. */
  static newFormToken(): string {
    return randomBytes(24).toString('base64url');
  }

  hostedPageUrl(pageToken: string): string {
    return `${this.publicBaseUrl}/psp/sandbox/pay/${pageToken}`;
  }

  /** The link of a session, read back: a retried create keeps the token the first one stored. */
  private async pageUrlOf(tenantId: string, sessionId: string): Promise<string> {
    return this.hostedPageUrl(await loadSandboxPageToken(this.db, tenantId, sessionId));
  }

  async createSession(input: CreateSessionInput): Promise<PaymentSession> {
    const sessionId = SandboxPaymentProvider.sessionIdFor(input.idempotencyKey);
    if (input.savedCardToken) return this.chargeSavedCard(input, sessionId, input.savedCardToken);
    const pageToken = SandboxPaymentProvider.newPageToken();
    const created = await insertSandboxSession(this.db, {
      id: sessionId,
      page_token: pageToken,
      form_token: SandboxPaymentProvider.newFormToken(),
      tenant_id: input.tenantId,
      reference: input.reference,
      amount: input.amount,
      currency: input.currency,
      description: input.description,
      status: 'open',
      webhook_url: input.webhookUrl,
      complete_url: input.completeUrl,
      cancel_url: input.cancelUrl,
      card_saving: input.cardSaving ?? null,
    });
    // A retried request finds the first try's session, and its link.
    const redirectUrl = created ? this.hostedPageUrl(pageToken) : await this.pageUrlOf(input.tenantId, sessionId);
    return { sessionId, redirectUrl };
  }

  /**
   * A saved card is charged at once: the session is born paid (or declined, for the test card
   * whose charges without the buyer fail) and the webhook follows.
   */
  private async chargeSavedCard(input: CreateSessionInput, sessionId: string, token: string): Promise<PaymentSession> {
    await this.db.transaction().execute(async (trx) => {
      const card = await findSandboxCard(trx, input.tenantId, token);
      if (!card) {
        throw ApplicationFailure.nonRetryable('The saved card is unknown to the provider', 'SavedCardInvalid');
      }
      const created = await insertSandboxSession(trx, {
        id: sessionId,
        page_token: SandboxPaymentProvider.newPageToken(),
        form_token: SandboxPaymentProvider.newFormToken(),
        tenant_id: input.tenantId,
        reference: input.reference,
        amount: input.amount,
        currency: input.currency,
        description: input.description,
        status: card.declinesOffSession ? 'declined' : 'paid',
        webhook_url: input.webhookUrl,
        complete_url: input.completeUrl,
        cancel_url: input.cancelUrl,
      });
      if (created && card.declinesOffSession)
        await enqueueSandboxWebhook(trx, {
          sessionId,
          outcome: 'failed',
          attemptId: `${sessionId}_failed_off_session`,
          failureReason: 'card_declined',
        });
      else if (created)
        await enqueueSandboxWebhook(trx, { sessionId, outcome: 'succeeded', attemptId: `${sessionId}_paid` });
    });
    return { sessionId, redirectUrl: await this.pageUrlOf(input.tenantId, sessionId) };
  }

  async getSession(tenantId: string, sessionId: string): Promise<ProviderSessionStatus> {
    const row = await loadSandboxSessionState(this.db, tenantId, sessionId);
    return { sessionId: row.id, state: row.status, amount: row.amount, currency: row.currency };
  }

  async closeSession(tenantId: string, sessionId: string): Promise<ProviderSessionStatus> {
    await expireUnpaidSandboxSession(this.db, tenantId, sessionId);
    return this.getSession(tenantId, sessionId);
  }

  async refund(input: {
    tenantId: string;
    sessionId: string;
    amount: number;
    idempotencyKey: string;
  }): Promise<{ refundId: string }> {
    const refundId = `sbx_re_${createHash('sha256').update(input.idempotencyKey).digest('hex').slice(0, 24)}`;
    await this.db.transaction().execute(async (trx) => {
      // Keyed like a real PSP's idempotency keys: the same key refunds once.
      if (!(await insertSandboxRefund(trx, { id: refundId, sessionId: input.sessionId, amount: input.amount }))) return;
      if (!(await addSandboxRefundedAmount(trx, input))) {
        throw ApplicationFailure.nonRetryable(
          `session ${input.sessionId} is not paid or ${input.amount} exceeds what is left to refund`,
          REFUND_REFUSED,
        );
      }
    });
    return { refundId };
  }
}
