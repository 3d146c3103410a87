import type { Db } from '../../db/database';
import { SIGNATURE_HEADER, signPayload } from './webhook-signature';

export type SandboxOutcome = 'succeeded' | 'failed' | 'cancelled';

export interface SandboxWebhookPayload {
  id: string;
  type: `payment.${SandboxOutcome}`;
  created: number;
  data: { session_id: string; reference: string; amount: number; currency: string };
}

/**
 * What the sandbox provider does after the customer acts on its page: a signed webhook to the
 * merchant. Delivery is retried a few times; a webhook that still fails is caught up by the
 * workflow asking the provider before the deadline.
 */
export async function sendSandboxWebhook(db: Db, sessionId: string, outcome: SandboxOutcome, attemptId: string): Promise<boolean> {
  const session = await db.selectFrom('sandbox_psp_sessions').innerJoin('tenants', 'tenants.id', 'sandbox_psp_sessions.tenant_id')
    .select(['sandbox_psp_sessions.id', 'reference', 'amount', 'currency', 'webhook_url', 'tenants.webhook_secret'])
    .where('sandbox_psp_sessions.id', '=', sessionId).executeTakeFirstOrThrow();
  const payload: SandboxWebhookPayload = {
    id: `evt_${attemptId}`,
    type: `payment.${outcome}`,
    created: Math.floor(Date.now() / 1000),
    data: { session_id: session.id, reference: session.reference, amount: session.amount, currency: session.currency },
  };
  const body = JSON.stringify(payload);
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      const response = await fetch(session.webhook_url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', [SIGNATURE_HEADER]: signPayload(session.webhook_secret, body, Math.floor(Date.now() / 1000)) },
        body,
        signal: AbortSignal.timeout(5_000),
      });
      if (response.ok) return true;
      if (response.status < 500 && response.status !== 429) return false;
    } catch {
      // network error: retry below
    }
    await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
  }
  return false;
}
