import { html, raw } from 'hono/html';
import type { Context } from 'hono';
import {
  type CardRegistrationRow,
  completeSandboxCardRegistration,
  findCardRegistrationByPageToken,
} from '../../db/queries/card-registrations';
import type { AppEnv } from '../app-env';
import { ApiProblem } from '../problem';
import { createResourceApp } from '../resource-app';
import {
  crossSiteReason,
  FAILING_CARDS,
  OFF_SESSION_DECLINING_CARD,
  FAILURE_MESSAGES,
  forbidden,
  isValidCardNumber,
  page,
  SANDBOX_TEST_CARDS,
  sameToken,
} from './sandbox-psp-page';

// The sandbox provider's page for saving a card without a payment (POST
// /v1/customers/{id}/saved-cards answers its address). Same defences as the payment page
// (sandbox-psp-page.ts): reached by a random page token, its form carries the registration's form
// token and must come from our own origin. The buyer must agree that the card is kept.

type Registration = CardRegistrationRow & { tenant_name: string };

function unknownRegistration(c: Context<AppEnv>) {
  return page(c, 'Unknown link', html`<h1>Unknown card registration</h1><p>This link is not valid.</p>`, 404);
}

function expiredPage(c: Context<AppEnv>) {
  return page(
    c,
    'Expired',
    raw('<h1 data-testid="result">This link has expired</h1><p>No card was saved. Ask the shop for a new link.</p>'),
    410,
  );
}

function savedPage(c: Context<AppEnv>) {
  return page(
    c,
    'Card saved',
    raw('<h1 data-testid="result">Card saved</h1><p class="success" role="status">Your card was saved.</p>'),
  );
}

const isExpired = (registration: Registration) => registration.expires_at <= new Date();

function registrationForm(
  registration: Registration,
  state: { notice?: string; fieldError?: string; consentError?: string; cardValue?: string },
) {
  const cardError = state.fieldError
    ? html`<p class="field-error" id="card-error" role="alert" data-testid="card-error">${state.fieldError}</p>`
    : '';
  const consentError = state.consentError
    ? html`<p class="field-error" id="consent-error" role="alert" data-testid="consent-error">${state.consentError}</p>`
    : '';
  const cardInvalid = state.fieldError ? raw(' aria-invalid="true" aria-describedby="card-error" autofocus') : '';
  const consentInvalid = state.consentError ? raw(' aria-invalid="true" aria-describedby="consent-error"') : '';
  const testCardRows = SANDBOX_TEST_CARDS.map(
    (card) => html`<tr><td><code>${card.number}</code></td><td>${card.outcome}</td></tr>`,
  );
  return html`<h1>Save a card with ${registration.tenant_name}</h1>
<p>Nothing is charged now. The card is kept for your later purchases; you can ask the shop to forget it.</p>
${state.notice ? html`<p class="notice" role="alert" data-testid="notice">${state.notice}</p>` : ''}
<form method="post" action="/psp/sandbox/cards/${registration.page_token}">
<input type="hidden" name="csrf_token" value="${registration.form_token}">
<label for="card-number">Card number</label>
<input id="card-number" name="card_number" type="text" inputmode="numeric" autocomplete="cc-number"
 spellcheck="false" value="${state.cardValue ?? '4242 4242 4242 4242'}"${cardInvalid}>
${cardError}
<p><label><input type="checkbox" name="consent" value="1"${consentInvalid}> I agree that
${registration.tenant_name} keeps this card for my later payments</label></p>
${consentError}
<div class="actions">
<button type="submit" class="primary" name="action" value="save">Save card</button>
<button type="submit" name="action" value="cancel">Cancel</button>
</div>
</form>
<section aria-labelledby="test-cards"><h2 id="test-cards" style="font-size:1rem;margin-top:1.5rem">Test cards</h2>
<table><tbody>${testCardRows}</tbody></table></section>`;
}

/** The shop's success URL with the saved card's id added, as the venue platform adds `cardId`. */
function withCardId(url: string, cardId: string): string {
  const target = new URL(url);
  target.searchParams.set('card_id', cardId);
  return target.toString();
}

export const sandboxCardPageRoutes = createResourceApp();

sandboxCardPageRoutes.get('/cards/:token', async (c) => {
  const registration = await findCardRegistrationByPageToken(c.get('deps').db, c.req.param('token'));
  if (!registration) return unknownRegistration(c);
  if (registration.status === 'completed') return savedPage(c);
  if (isExpired(registration)) return expiredPage(c);
  if (c.req.query('cancelled') === '1') {
    return page(
      c,
      'Not saved',
      html`<h1 data-testid="result">No card was saved</h1>
<p><a href="/psp/sandbox/cards/${registration.page_token}">Back to saving a card</a></p>`,
    );
  }
  return page(c, 'Save a card', registrationForm(registration, {}));
});

sandboxCardPageRoutes.post('/cards/:token', async (c) => {
  const crossSite = crossSiteReason(c);
  if (crossSite) throw forbidden('cross_site_request', `Refused: ${crossSite}. Submit the card page itself.`);
  const form = await c.req.parseBody();
  const registration = await findCardRegistrationByPageToken(c.get('deps').db, c.req.param('token'));
  if (!registration) return unknownRegistration(c);
  if (!sameToken(form.csrf_token, registration.form_token)) {
    throw forbidden('csrf_token_invalid', 'The form token is missing or wrong; reload the card page, try again.');
  }
  const action = String(form.action ?? '');
  if (!['save', 'cancel'].includes(action)) {
    throw new ApiProblem(400, 'card_action_invalid', 'Bad Request', 'action must be save or cancel');
  }
  const token = registration.page_token;
  if (registration.status === 'completed') {
    // A second submit of a saved card: the same answer as the first.
    const cardId = registration.saved_card_id;
    return registration.success_url && cardId
      ? c.redirect(withCardId(registration.success_url, cardId), 303)
      : c.redirect(`/psp/sandbox/cards/${token}`, 303);
  }
  if (isExpired(registration)) return expiredPage(c);
  if (action === 'cancel')
    return c.redirect(registration.failure_url ?? `/psp/sandbox/cards/${token}?cancelled=1`, 303);

  const rawCard = typeof form.card_number === 'string' ? form.card_number.slice(0, 64) : '';
  const card = rawCard.replace(/[\s-]+/g, '');
  if (!isValidCardNumber(card)) {
    const fieldError =
      card === '' ? 'Enter a card number.' : 'This card number is not valid. Check the digits and try again.';
    return page(c, 'Check the card number', registrationForm(registration, { fieldError, cardValue: rawCard }), 422);
  }
  if (form.consent !== '1') {
    const consentError = 'Tick the box to agree that the card is kept; without it no card is saved.';
    return page(c, 'Consent needed', registrationForm(registration, { consentError, cardValue: rawCard }), 422);
  }
  const failure = FAILING_CARDS.get(card);
  if (failure) {
    // The provider checks the card before keeping it; a declined card is not saved.
    const notice = FAILURE_MESSAGES[failure].replace(' Nothing was charged.', ' It was not saved.');
    return page(c, 'Card declined', registrationForm(registration, { notice, cardValue: rawCard }), 422);
  }
  const cardId = await completeSandboxCardRegistration(c.get('deps').db, registration.id, {
    token: `sbx_card_${crypto.randomUUID().replace(/-/g, '')}`,
    brand: card.startsWith('4') ? 'visa' : card.startsWith('5') ? 'mastercard' : 'card',
    last4: card.slice(-4),
    declinesOffSession: card === OFF_SESSION_DECLINING_CARD,
  });
  if (!cardId) return expiredPage(c);
  c.get('logger').info({ registration: registration.id, saved_card: cardId }, 'card registered');
  return registration.success_url
    ? c.redirect(withCardId(registration.success_url, cardId), 303)
    : c.redirect(`/psp/sandbox/cards/${token}`, 303);
});
