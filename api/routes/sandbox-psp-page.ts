import { timingSafeEqual } from 'node:crypto';
import { html, raw } from 'hono/html';
import type { Context } from 'hono';
import {
  deliverSandboxWebhookNow,
  enqueueSandboxWebhook,
  type SandboxFailureReason,
} from '../../payments/sandbox-webhook-sender';
import { formatMinor } from '../../domain/money';
import {
  findSandboxSessionByPageToken,
  settleSandboxAttempt,
  vaultSandboxCard,
} from '../../db/queries/sandbox-payment-page';
import { createResourceApp } from '../resource-app';
import type { AppEnv } from '../app-env';
import { ApiProblem } from '../problem';

// The sandbox provider's hosted payment page. Plain HTML forms (Post/Redirect/Get), no
// JavaScript: it works in any browser and in tests that only speak HTTP.
//
// The page acts for whoever holds the link, so the link must be a secret and the form must
// only be submitted by the page itself:
//  - it is reached through the session's random page token, never the session id (which is
//    derived from the order id);
//  - a POST must come from our own origin (Sec-Fetch-Site, Origin) and carry the session's
//    form token, rendered into the form; another site cannot read it;
//  - the page may not be framed (clickjacking of its buttons), loads nothing but its inline
//    style, and sends no Referer to other sites (the link is in its URL).

/** Test cards, as a real provider's sandbox has them; any other valid number succeeds. */
export const SANDBOX_TEST_CARDS: ReadonlyArray<{
  number: string;
  outcome: string;
  failureReason?: SandboxFailureReason;
}> = [
  { number: '4242 4242 4242 4242', outcome: 'succeeds' },
  { number: '4000 0000 0000 0002', outcome: 'is declined (card_declined)', failureReason: 'card_declined' },
  { number: '4000 0000 0000 9995', outcome: 'is declined (insufficient_funds)', failureReason: 'insufficient_funds' },
  {
    number: '4000 0000 0000 0119',
    outcome: 'fails with a processing error (processing_error)',
    failureReason: 'processing_error',
  },
  { number: '4000 0000 0000 0341', outcome: 'succeeds here, but once saved every renewal charge is declined' },
];
/** Kept like any card, but charges without the buyer (subscription renewals) are declined. */
export const OFF_SESSION_DECLINING_CARD = '4000000000000341';
export const FAILING_CARDS = new Map(
  SANDBOX_TEST_CARDS.filter((c) => c.failureReason).map((c) => [c.number.replace(/\s/g, ''), c.failureReason!]),
);
const DEFAULT_CARD = '4242 4242 4242 4242';

export const FAILURE_MESSAGES: Record<SandboxFailureReason, string> = {
  card_declined: 'The card was declined. Nothing was charged. Try another card.',
  insufficient_funds: 'The card was declined: insufficient funds. Nothing was charged. Try another card.',
  processing_error: 'The card could not be processed (processing error). Nothing was charged. Please try again.',
};

/** Luhn (mod 10) check of a digits-only string of a card number's length. */
export function isValidCardNumber(digits: string): boolean {
  if (!/^\d{12,19}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const STYLE =
  `
body{font-family:system-ui,sans-serif;font-size:1rem;line-height:1.5;color:#1a1a1a;background:#fff;` +
  `max-width:30rem;margin:2rem auto;padding:0 1rem}
header{border-bottom:1px solid #ccc;margin-bottom:1.5rem}h1{font-size:1.5rem;margin:.5rem 0}
.amount{font-size:2rem;font-weight:600;margin:.25rem 0 1rem}
label{display:block;font-weight:600;margin-bottom:.25rem}
input{font-size:1.1rem;padding:.5rem;width:100%;box-sizing:border-box;border:2px solid #555;border-radius:4px}
input[aria-invalid=true]{border-color:#b00020}
.hint{color:#444;font-size:.9rem;margin:.25rem 0 0}.field-error{color:#b00020;font-weight:600;margin:.25rem 0 0}
.notice{border-left:4px solid #b00020;background:#fdecee;padding:.5rem .75rem;margin:0 0 1rem}
.success{border-left:4px solid #1b6e20;background:#e8f5e9;padding:.5rem .75rem}
.actions{margin-top:1rem;display:flex;gap:.5rem;flex-wrap:wrap}
button{font-size:1rem;padding:.6rem 1.2rem;border-radius:4px;border:2px solid #1a1a1a;` +
  `background:#fff;color:#1a1a1a;cursor:pointer}
button.primary{background:#1a4fd6;border-color:#1a4fd6;color:#fff}
button:focus-visible,input:focus-visible,a:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
table{border-collapse:collapse;font-size:.9rem;margin-top:.5rem}td{padding:.15rem .75rem .15rem 0;vertical-align:top}
code{font-size:.95rem;white-space:nowrap}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}`;

type PageStatus = 200 | 404 | 410 | 422 | 500 | 503;

export const PAYMENT_PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'";

export function page(c: Context<AppEnv>, title: string, body: unknown, status: PageStatus = 200) {
  c.header('Cache-Control', 'no-store');
  c.header('Content-Security-Policy', PAYMENT_PAGE_CSP);
  // same-origin, not no-referrer: with no-referrer the browser sends `Origin: null` on the
  // form's POST, and the origin check below would refuse the customer.
  c.header('Referrer-Policy', 'same-origin');
  return c.html(
    html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Sandbox Pay</title><style>${STYLE}</style></head>
<body><header><p><strong>Sandbox Pay</strong> — test payments, no money moves</p></header>
<main>${body}</main></body></html>`,
    status,
  );
}

interface SessionView {
  page_token: string;
  form_token: string;
  description: string;
  amount: number;
  currency: string;
  card_saving: 'renewals' | null;
}

const CARD_INPUT_NAME = raw('id="card-number" name="card_number" type="text"');
const CARD_INPUT_ATTRIBUTES = raw('inputmode="numeric" autocomplete="cc-number" spellcheck="false"');
const OTHER_TEST_CARD_ROWS = raw(
  '<tr><td>any other valid number</td><td>succeeds</td></tr>' +
    '<tr><td>an invalid number</td><td>is refused on this page</td></tr>',
);

/** The consent the buyer gives by ticking the box: for a subscription, that its renewals are charged to the card. */
function saveCardLabel(session: SessionView): string {
  return session.card_saving === 'renewals'
    ? 'Keep this card and charge the renewals of this subscription to it (you can ask the shop to remove it)'
    : 'Save this card for my next purchase';
}

function paymentForm(session: SessionView, state: { notice?: string; fieldError?: string; cardValue?: string }) {
  const amount = formatMinor(session.amount, session.currency);
  const describedBy = state.fieldError ? 'card-hint card-error' : 'card-hint';
  const cardValue = state.cardValue ?? DEFAULT_CARD;
  const ariaInvalid = state.fieldError ? html` aria-invalid="true" autofocus` : '';
  const fieldError = state.fieldError
    ? html`<p class="field-error" id="card-error" role="alert" data-testid="card-error">${state.fieldError}</p>`
    : '';
  const testCardRows = SANDBOX_TEST_CARDS.map(
    (card) => html`<tr><td><code>${card.number}</code></td><td>${card.outcome}</td></tr>`,
  );
  return html`<h1>${session.description}</h1>
<p class="amount" data-testid="amount"><span class="visually-hidden">Amount: </span>${amount}</p>
${state.notice ? html`<p class="notice" role="alert" data-testid="notice">${state.notice}</p>` : ''}
<form method="post" action="/psp/sandbox/pay/${session.page_token}">
<input type="hidden" name="csrf_token" value="${session.form_token}">
<label for="card-number">Card number</label>
<input ${CARD_INPUT_NAME} value="${cardValue}" ${CARD_INPUT_ATTRIBUTES} aria-describedby="${describedBy}"${ariaInvalid}>
<p class="hint" id="card-hint">Use a test card below; no real card is charged.</p>
${fieldError}
<p><label><input type="checkbox" name="save_card" value="1"> ${saveCardLabel(session)}</label></p>
<div class="actions">
<button type="submit" class="primary" name="action" value="pay">Pay</button>
<button type="submit" name="action" value="decline">Decline</button>
<button type="submit" name="action" value="cancel">Cancel</button>
</div>
</form>
<section aria-labelledby="test-cards"><h2 id="test-cards" style="font-size:1rem;margin-top:1.5rem">Test cards</h2>
<table><tbody>${testCardRows}
${OTHER_TEST_CARD_ROWS}</tbody></table></section>`;
}

function failureReasonOf(value: string | undefined): SandboxFailureReason | undefined {
  return value && Object.hasOwn(FAILURE_MESSAGES, value) ? (value as SandboxFailureReason) : undefined;
}

export function forbidden(code: string, detail: string): ApiProblem {
  return new ApiProblem(403, code, 'Forbidden', detail);
}

/** Why a POST did not come from our own page, or undefined when it did (as far as we can tell). */
export function crossSiteReason(c: Context<AppEnv>): string | undefined {
  // Sent by every current browser and not settable by a page: the strongest signal.
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin') return `the browser says the form came from a ${site} page`;
  const origin = c.req.header('origin');
  if (origin === undefined) return undefined;
  const ours = new Set([new URL(c.req.url).origin, new URL(c.get('deps').publicBaseUrl).origin]);
  return ours.has(origin) ? undefined : `the form came from ${origin}`;
}

export function sameToken(presented: unknown, expected: string): boolean {
  if (typeof presented !== 'string') return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * What the page shows when it cannot answer — the database or Temporal is down, or the request
 * ran out of time: a page a customer understands, with the problem's status and Retry-After,
 * instead of a JSON problem in the browser.
 */
export function paymentPageUnavailable(c: Context<AppEnv>, problem: ApiProblem): Response | Promise<Response> {
  for (const [name, value] of Object.entries(problem.headers)) c.header(name, value);
  if (problem.status !== 503) {
    return page(
      c,
      'Something went wrong',
      html`<h1 data-testid="result">Something went wrong</h1>
<p role="alert">This page could not be shown. Please try again later.</p>
<p>Reference: <code>${c.get('requestId')}</code></p>`,
      500,
    );
  }
  return page(
    c,
    'Try again shortly',
    html`<h1 data-testid="result">Please try again shortly</h1>
<p role="alert">The payment service is briefly unavailable. Wait a few seconds, then reload this page.</p>
<p>If you had already pressed Pay, reloading shows whether the payment went through; nothing is charged twice.</p>`,
    503,
  );
}

export const sandboxPaymentPageRoutes = createResourceApp();

sandboxPaymentPageRoutes.get('/pay/:token', async (c) => {
  const session = await findSandboxSessionByPageToken(c.get('deps').db, c.req.param('token'));
  if (!session)
    return page(
      c,
      'Unknown payment',
      html`<h1>Unknown payment session</h1><p>This payment link is not valid.</p>`,
      404,
    );
  if (session.status === 'paid') {
    const paid = formatMinor(session.amount, session.currency);
    return page(
      c,
      'Paid',
      html`<h1 data-testid="result">Already paid</h1><p class="success" role="status">${paid} was paid.</p>`,
    );
  }
  if (session.status === 'expired') {
    return page(
      c,
      'Expired',
      raw(
        '<h1 data-testid="result">This payment has expired</h1>' +
          '<p>The reservation ran out before it was paid. Nothing was charged.</p>',
      ),
      410,
    );
  }
  const declined = c.req.query('declined') === '1' || session.status === 'declined';
  const reason = failureReasonOf(c.req.query('reason'));
  const notice = declined
    ? reason
      ? FAILURE_MESSAGES[reason]
      : 'The last payment attempt did not go through. Nothing was charged. Try another card.'
    : undefined;
  return page(c, declined ? 'Payment declined' : 'Pay', paymentForm(session, { notice }));
});

sandboxPaymentPageRoutes.post('/pay/:token', async (c) => {
  const { db } = c.get('deps');
  const token = c.req.param('token');
  const crossSite = crossSiteReason(c);
  if (crossSite) throw forbidden('cross_site_request', `Refused: ${crossSite}. Submit the payment page itself.`);
  const form = await c.req.parseBody();
  const rawCard = typeof form.card_number === 'string' ? form.card_number.slice(0, 64) : '';
  const card = rawCard.replace(/[\s-]+/g, '');
  const action = String(form.action ?? '');

  const session = await findSandboxSessionByPageToken(db, token);
  if (!session)
    return page(
      c,
      'Unknown payment',
      html`<h1>Unknown payment session</h1><p>This payment link is not valid.</p>`,
      404,
    );
  if (!sameToken(form.csrf_token, session.form_token)) {
    throw forbidden('csrf_token_invalid', 'The form token is missing or wrong; reload the payment page, try again.');
  }
  if (!['pay', 'decline', 'cancel'].includes(action)) {
    throw new ApiProblem(400, 'payment_action_invalid', 'Bad Request', 'action must be pay, decline or cancel');
  }
  const id = session.id;
  if (session.status === 'paid' || session.status === 'expired') return c.redirect(`/psp/sandbox/pay/${token}`, 303);

  if (action === 'cancel') {
    // The customer leaves the page: like a hosted checkout, nothing is reported and the
    // session stays payable until the order's deadline closes it.
    return c.redirect(session.cancel_url ?? `/psp/sandbox/done/${token}`, 303);
  }
  if (action === 'pay' && !isValidCardNumber(card)) {
    // Checked here, on the page: nobody else is contacted about a mistyped number.
    const fieldError =
      card === '' ? 'Enter a card number.' : 'This card number is not valid. Check the digits and try again.';
    return page(c, 'Check the card number', paymentForm(session, { fieldError, cardValue: rawCard }), 422);
  }

  const failureReason: SandboxFailureReason | undefined =
    action === 'decline' ? 'card_declined' : FAILING_CARDS.get(card);
  const next = failureReason ? 'declined' : 'paid';
  // The session change and the webhook reporting it commit together (the provider's outbox).
  const deliveryId = await db.transaction().execute(async (trx) => {
    if (!(await settleSandboxAttempt(trx, id, next))) return null;
    // The provider keeps the card in its vault and tells the merchant only a token.
    let savedCard: { token: string; brand: string; last4: string } | undefined;
    if (!failureReason && form.save_card === '1') {
      savedCard = {
        token: `sbx_card_${crypto.randomUUID().replace(/-/g, '')}`,
        brand: card.startsWith('4') ? 'visa' : card.startsWith('5') ? 'mastercard' : 'card',
        last4: card.slice(-4),
      };
      const declinesOffSession = card === OFF_SESSION_DECLINING_CARD;
      await vaultSandboxCard(trx, { ...savedCard, tenantId: session.tenant_id, declinesOffSession });
    }
    return enqueueSandboxWebhook(trx, {
      sessionId: id,
      outcome: failureReason ? 'failed' : 'succeeded',
      attemptId: failureReason ? `${id}_failed_${crypto.randomUUID().slice(0, 8)}` : `${id}_paid`,
      failureReason,
      savedCard,
    });
  });
  if (!deliveryId) return c.redirect(`/psp/sandbox/pay/${token}`, 303);
  const delivered = await deliverSandboxWebhookNow(db, deliveryId);
  if (!delivered)
    c.get('logger').warn(
      { session: id, delivery: deliveryId },
      'sandbox webhook not delivered yet; the delivery loop retries it',
    );
  if (failureReason) return c.redirect(`/psp/sandbox/pay/${token}?declined=1&reason=${failureReason}`, 303);
  return c.redirect(session.complete_url ?? `/psp/sandbox/done/${token}`, 303);
});

sandboxPaymentPageRoutes.get('/done/:token', async (c) => {
  const session = await findSandboxSessionByPageToken(c.get('deps').db, c.req.param('token'));
  if (!session)
    return page(
      c,
      'Unknown payment',
      html`<h1>Unknown payment session</h1><p>This payment link is not valid.</p>`,
      404,
    );
  const amount = formatMinor(session.amount, session.currency);
  if (session.status === 'paid') {
    return page(
      c,
      'Payment complete',
      html`<h1 data-testid="result">Payment complete</h1>
<p class="success" role="status">${amount} was paid. You can close this page.</p>`,
    );
  }
  if (session.status === 'expired') {
    return page(
      c,
      'Payment expired',
      html`<h1 data-testid="result">This payment has expired</h1><p>Nothing was charged.</p>`,
    );
  }
  return page(
    c,
    'Payment cancelled',
    html`<h1 data-testid="result">Payment cancelled</h1>
<p role="status">Nothing was charged. The order stays reserved until its payment deadline.</p>
<p><a href="/psp/sandbox/pay/${session.page_token}">Return to payment</a></p>`,
  );
});
