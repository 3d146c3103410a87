import { sql } from 'kysely';
import { html } from 'hono/html';
import type { Context } from 'hono';
import { sendSandboxWebhook } from '../../activities/payments/sandbox-webhook-sender';
import { formatMinor } from '../../domain/money';
import type { App } from '../app';
import type { AppEnv } from '../app-env';

// Test cards, as a real provider's sandbox has them.
const DECLINED_CARDS = new Set(['4000000000000002', '4000000000009995']);
const DEFAULT_CARD = '4242 4242 4242 4242';

function page(c: Context<AppEnv>, title: string, body: unknown, status: 200 | 404 | 410 = 200) {
  return c.html(html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${title} · Sandbox Pay</title>
<style>body{font-family:system-ui;max-width:28rem;margin:3rem auto;padding:0 1rem}button{font-size:1rem;padding:.6rem 1rem;margin:.3rem .3rem 0 0}
.amount{font-size:2rem;margin:.5rem 0}.note{color:#a00}</style></head><body><p><b>Sandbox Pay</b> — test payments, no money moves</p>${body}</body></html>`, status);
}

export function registerSandboxPspPage(app: App): void {
  app.get('/psp/sandbox/pay/:session', async (c) => {
    const session = await c.var.deps.db.selectFrom('sandbox_psp_sessions').selectAll().where('id', '=', c.req.param('session')).executeTakeFirst();
    if (!session) return page(c, 'Unknown payment', html`<h1>Unknown payment session</h1>`, 404);
    if (session.status === 'paid') return page(c, 'Paid', html`<h1>Already paid</h1><p>${formatMinor(session.amount, session.currency)} was paid.</p>`);
    if (session.status === 'expired') return page(c, 'Expired', html`<h1>This payment has expired</h1><p>The reservation ran out before it was paid.</p>`, 410);
    const declined = c.req.query('declined') === '1' || session.status === 'declined';
    return page(c, 'Pay', html`<h1>${session.description}</h1>
<p class="amount" data-testid="amount">${formatMinor(session.amount, session.currency)}</p>
${declined ? html`<p class="note" role="alert">The card was declined. Try another card.</p>` : ''}
<form method="post"><label>Card number <input name="card_number" value="${DEFAULT_CARD}" autocomplete="off"></label><br>
<button name="action" value="pay">Pay</button><button name="action" value="decline">Decline</button><button name="action" value="cancel">Cancel</button></form>`);
  });

  app.post('/psp/sandbox/pay/:session', async (c) => {
    const { db } = c.var.deps;
    const id = c.req.param('session');
    const form = await c.req.parseBody();
    const card = String(form.card_number ?? '').replace(/\s+/g, '');
    let action = String(form.action ?? '');
    if (action === 'pay' && DECLINED_CARDS.has(card)) action = 'decline';
    const next = { pay: 'paid', decline: 'declined', cancel: 'cancelled' }[action] as 'paid' | 'declined' | 'cancelled' | undefined;
    if (!next) return c.text('unknown action', 400);
    const updated = await db.updateTable('sandbox_psp_sessions').set({ status: next, updated_at: sql`now()` })
      .where('id', '=', id).where('status', 'in', ['open', 'declined', 'cancelled'])
      .returning(['complete_url', 'cancel_url']).executeTakeFirst();
    if (!updated) return c.redirect(`/psp/sandbox/pay/${id}`, 303);
    const outcome = next === 'paid' ? 'succeeded' : next === 'declined' ? 'failed' : 'cancelled';
    const eventId = next === 'paid' ? `${id}_paid` : `${id}_${next}_${crypto.randomUUID().slice(0, 8)}`;
    const delivered = await sendSandboxWebhook(db, id, outcome, eventId);
    if (!delivered) c.var.logger.warn({ session: id, outcome }, 'sandbox webhook not delivered; the order will reconcile');
    if (next === 'declined') return c.redirect(`/psp/sandbox/pay/${id}?declined=1`, 303);
    const target = next === 'paid' ? updated.complete_url : updated.cancel_url;
    return c.redirect(target ?? `/psp/sandbox/done/${id}`, 303);
  });

  app.get('/psp/sandbox/done/:session', async (c) => {
    const session = await c.var.deps.db.selectFrom('sandbox_psp_sessions').select(['status']).where('id', '=', c.req.param('session')).executeTakeFirst();
    if (!session) return page(c, 'Unknown payment', html`<h1>Unknown payment session</h1>`, 404);
    return page(c, 'Done', html`<h1 data-testid="result">${session.status === 'paid' ? 'Payment complete' : 'Payment cancelled'}</h1>`);
  });
}
