import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient, paymentFormToken } from '../helpers/order-client';
import { startTestStack, type TestStack } from '../helpers/test-stack';

// Saving a card without a payment (seed 004's "add new payment card"): POST
// /v1/customers/{id}/saved-cards → 201 + Location of the sandbox page; the buyer enters a card and
// agrees; the card is then listed under the customer and pays the next order without a redirect.

let stack: TestStack;
let tenant: TestTenant;
let other: TestTenant;
let occurrenceId: string;
let client: ReturnType<typeof orderClient>;

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await createTenant(stack.database.db);
  other = await createTenant(stack.database.db);
  const course = await createProduct(stack.database.db, tenant.id, { price: 20_000, name: 'Course' });
  occurrenceId = await createOccurrence(stack.database.db, tenant.id, course, { capacity: 20 });
  client = orderClient(stack, tenant.apiKey);
});
afterAll(async () => stack.stop());

function api(path: string, init: { method?: string; body?: unknown; key?: string } = {}) {
  return fetch(`${stack.baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      'X-API-Key': init.key ?? tenant.apiKey,
      ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

async function createCustomer(email: string, key = tenant.apiKey): Promise<string> {
  const response = await api('/v1/customers', { method: 'POST', body: { email, name: 'Card Holder' }, key });
  const body = await jsonOf(response);
  expect(response.status, JSON.stringify(body)).toBe(201);
  return body.id;
}

async function register(customerId: string, body?: unknown) {
  const response = await api(`/v1/customers/${customerId}/saved-cards`, { method: 'POST', body });
  const json = await jsonOf(response);
  expect(response.status, JSON.stringify(json)).toBe(201);
  expect(response.headers.get('location')).toBe(json.redirect_url);
  return json as { id: string; redirect_url: string; status: string; saved_card_id: string | null };
}

/** What the buyer's browser does on the card page: submit its form, don't follow the redirect. */
async function submitCardPage(url: string, fields: Record<string, string>, token?: string) {
  const csrfToken = token ?? paymentFormToken(await (await fetch(url)).text());
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf_token: csrfToken, ...fields }).toString(),
    redirect: 'manual',
  });
  return { status: response.status, location: response.headers.get('location'), text: await response.text() };
}

const listCards = async (customerId: string) =>
  (await jsonOf(await api(`/v1/customers/${customerId}/saved-cards`))).data as { id: string; last4: string }[];

describe('registering a card without a payment', () => {
  it('201 + Location; the saved card is listed and pays the next order at once', async () => {
    const customerId = await createCustomer('holder@example.com');
    const registration = await register(customerId, {
      success_url: 'https://shop.example/cards/ok?from=app',
      failure_url: 'https://shop.example/cards/argh',
    });
    expect(registration).toMatchObject({ status: 'open', saved_card_id: null });
    expect(registration.redirect_url).toMatch(/\/psp\/sandbox\/cards\/sbxcard_/);

    const formToken = paymentFormToken(await (await fetch(registration.redirect_url)).text());
    const done = await submitCardPage(
      registration.redirect_url,
      { action: 'save', card_number: '5555 5555 5555 4444', consent: '1' },
      formToken,
    );
    expect(done.status).toBe(303);
    const target = new URL(done.location!);
    expect(`${target.origin}${target.pathname}`).toBe('https://shop.example/cards/ok');
    expect(target.searchParams.get('from')).toBe('app');
    const cardId = target.searchParams.get('card_id');

    const cards = await listCards(customerId);
    expect(cards).toEqual([
      expect.objectContaining({ id: cardId, provider: 'sandbox', brand: 'mastercard', last4: '4444' }),
    ]);
    const read = await jsonOf(await api(`/v1/customers/${customerId}/saved-cards/registrations/${registration.id}`));
    expect(read).toMatchObject({ status: 'completed', saved_card_id: cardId });

    // A second submit (a double click, the back button) saves no second card.
    const again = await submitCardPage(
      registration.redirect_url,
      { action: 'save', card_number: '4242424242424242', consent: '1' },
      formToken,
    );
    expect(again.location).toBe(done.location);
    expect(await listCards(customerId)).toHaveLength(1);

    // The registered card pays an order of this customer without the page.
    const placed = await client.placeOrder({
      payment_method: 'card',
      booker: { email: 'holder@example.com' },
      lines: [{ occurrence_id: occurrenceId, quantity: 1 }],
    });
    expect(placed.status).toBe(201);
    const paid = await api(`/v1/orders/${placed.body.id}/payments`, {
      method: 'POST',
      body: { saved_card_id: cardId },
    });
    expect(paid.status).toBe(201);
    expect(await jsonOf(paid)).toMatchObject({ requires_redirect: false });
    await client.waitForStatus(placed.body.id, 'completed');
  });

  it('without consent, with an invalid or declined card nothing is saved; cancel goes to failure_url', async () => {
    const customerId = await createCustomer('hesitant@example.com');
    const registration = await register(customerId, { failure_url: 'https://shop.example/cards/argh' });
    const noConsent = await submitCardPage(registration.redirect_url, {
      action: 'save',
      card_number: '4242424242424242',
    });
    expect(noConsent.status).toBe(422);
    expect(noConsent.text).toContain('data-testid="consent-error"');
    const invalid = await submitCardPage(registration.redirect_url, {
      action: 'save',
      card_number: '4242424242424241',
      consent: '1',
    });
    expect(invalid.status).toBe(422);
    expect(invalid.text).toContain('data-testid="card-error"');
    const declined = await submitCardPage(registration.redirect_url, {
      action: 'save',
      card_number: '4000 0000 0000 0002',
      consent: '1',
    });
    expect(declined.status).toBe(422);
    expect(declined.text).toContain('not saved');
    const cancelled = await submitCardPage(registration.redirect_url, { action: 'cancel' });
    expect(cancelled).toMatchObject({ status: 303, location: 'https://shop.example/cards/argh' });
    expect(await listCards(customerId)).toEqual([]);
    const read = await jsonOf(await api(`/v1/customers/${customerId}/saved-cards/registrations/${registration.id}`));
    expect(read).toMatchObject({ status: 'open', saved_card_id: null });
  });

  it('without URLs the page shows its own result', async () => {
    const customerId = await createCustomer('plain@example.com');
    const registration = await register(customerId);
    const done = await submitCardPage(registration.redirect_url, {
      action: 'save',
      card_number: '4242424242424242',
      consent: '1',
    });
    expect(done.status).toBe(303);
    const shown = await fetch(new URL(done.location!, stack.baseUrl));
    expect(shown.status).toBe(200);
    expect(await shown.text()).toContain('Card saved');
    expect(await listCards(customerId)).toEqual([expect.objectContaining({ brand: 'visa', last4: '4242' })]);
  });

  it('an expired link saves nothing (410)', async () => {
    const customerId = await createCustomer('late@example.com');
    const registration = await register(customerId);
    const csrfToken = paymentFormToken(await (await fetch(registration.redirect_url)).text());
    await stack.database.db
      .updateTable('card_registrations')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', registration.id)
      .execute();
    expect((await fetch(registration.redirect_url)).status).toBe(410);
    const late = await fetch(registration.redirect_url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        csrf_token: csrfToken,
        action: 'save',
        card_number: '4242424242424242',
        consent: '1',
      }),
      redirect: 'manual',
    });
    expect(late.status).toBe(410);
    expect(await listCards(customerId)).toEqual([]);
    const read = await jsonOf(await api(`/v1/customers/${customerId}/saved-cards/registrations/${registration.id}`));
    expect(read.status).toBe('expired');
  });

  it("the page refuses another site's form and a missing form token", async () => {
    const customerId = await createCustomer('csrf@example.com');
    const registration = await register(customerId);
    const noToken = await fetch(registration.redirect_url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ action: 'save', card_number: '4242424242424242', consent: '1' }),
      redirect: 'manual',
    });
    expect(noToken.status).toBe(403);
    expect((await jsonOf(noToken)).code).toBe('csrf_token_invalid');
    const csrfToken = paymentFormToken(await (await fetch(registration.redirect_url)).text());
    const crossSite = await fetch(registration.redirect_url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Sec-Fetch-Site': 'cross-site' },
      body: new URLSearchParams({
        csrf_token: csrfToken,
        action: 'save',
        card_number: '4242424242424242',
        consent: '1',
      }),
      redirect: 'manual',
    });
    expect(crossSite.status).toBe(403);
    expect(await listCards(customerId)).toEqual([]);
  });

  it("validates the request: bad URLs 400, another tenant's or unknown customer 404", async () => {
    const customerId = await createCustomer('valid@example.com');
    for (const bad of ['javascript:alert(1)', '/relative', 'ftp://x.example/y']) {
      const response = await api(`/v1/customers/${customerId}/saved-cards`, {
        method: 'POST',
        body: { success_url: bad },
      });
      expect(response.status, bad).toBe(400);
      expect((await jsonOf(response)).errors).toEqual([expect.objectContaining({ field: 'success_url' })]);
    }
    const unknown = await api(`/v1/customers/${customerId}/saved-cards`, { method: 'POST', body: { successUrl: 'x' } });
    expect(unknown.status).toBe(400);
    const theirs = await createCustomer('theirs@example.com', other.apiKey);
    expect((await api(`/v1/customers/${theirs}/saved-cards`, { method: 'POST' })).status).toBe(404);
    expect((await api('/v1/customers/not-a-uuid/saved-cards', { method: 'POST' })).status).toBe(404);
    expect((await api(`/v1/customers/${customerId}/saved-cards/registrations/nope`)).status).toBe(404);
  });

  it('a Stripe tenant gets 501 card_registration_unsupported', async () => {
    const stripeTenant = await createTenant(stack.database.db);
    await stack.database.db
      .updateTable('tenants')
      .set({ payment_provider: 'stripe' })
      .where('id', '=', stripeTenant.id)
      .execute();
    const customerId = await createCustomer('stripe@example.com', stripeTenant.apiKey);
    const response = await api(`/v1/customers/${customerId}/saved-cards`, { method: 'POST', key: stripeTenant.apiKey });
    expect(response.status).toBe(501);
    expect((await jsonOf(response)).code).toBe('card_registration_unsupported');
  });
});
