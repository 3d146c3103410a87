import { randomBytes } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  type CardRegistrationRow,
  findCardRegistration,
  insertCardRegistration,
} from '../../db/queries/card-registrations';
import { getCustomer } from '../../db/queries/customers';
import { findTenantPaymentProvider } from '../../db/queries/tenant-settings';
import { forgetSavedCard, listSavedCards } from '../../db/queries/saved-cards';
import type { AppEnv } from '../app-env';
import { createResourceApp } from '../resource-app';
import { requireAnyScope, requireScope } from '../auth';
import { ApiProblem, problems } from '../problem';
import { problemResponses } from '../schemas/common';

const savedCard = z
  .object({
    id: z.string().uuid(),
    provider: z.string(),
    brand: z.string(),
    last4: z.string(),
    created_at: z.string(),
  })
  .openapi('SavedCard');

/** How long the provider's page for a card registration stays usable. */
const REGISTRATION_LIFETIME_MS = 60 * 60_000;

/** Where the page sends the buyer: an absolute http(s) URL, as an order's payment URLs. */
const returnUrl = (description: string) =>
  z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .optional()
    .openapi({ description, pattern: '^https?://', example: 'https://shop.example/cards/saved' });

const cardRegistrationRequest = z
  .strictObject({
    success_url: returnUrl(
      'Where the page sends the buyer once the card is saved, with `card_id=<saved card id>` added to ' +
        "its query (else the provider's own result page)",
    ),
    failure_url: returnUrl(
      "Where the page sends the buyer who leaves without saving a card (else the provider's page)",
    ),
  })
  .openapi('CardRegistrationRequest');

const cardRegistration = z
  .object({
    id: z.string().uuid(),
    status: z.enum(['open', 'completed', 'expired']),
    redirect_url: z.string().openapi({ description: "The provider's page where the buyer enters the card" }),
    saved_card_id: z.string().uuid().nullable().openapi({ description: 'Once completed: the card now listed' }),
    expires_at: z.string(),
    created_at: z.string(),
  })
  .openapi('CardRegistration');

function presentRegistration(c: Context<AppEnv>, row: CardRegistrationRow): z.infer<typeof cardRegistration> {
  const status = row.status === 'open' && row.expires_at <= new Date() ? 'expired' : row.status;
  return {
    id: row.id,
    status,
    redirect_url: `${c.get('deps').publicBaseUrl}/psp/sandbox/cards/${row.page_token}`,
    saved_card_id: row.saved_card_id,
    expires_at: row.expires_at.toISOString(),
    created_at: row.created_at.toISOString(),
  };
}

async function customerOf(c: Context<AppEnv>, id: string): Promise<string> {
  if (!z.string().uuid().safeParse(id).success) throw problems.notFound('customer');
  const customer = await getCustomer(c.get('deps').db, c.get('auth').tenantId, id);
  if (!customer) throw problems.notFound('customer');
  return customer.id;
}

export const savedCardRoutes = createResourceApp();

savedCardRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/{id}/saved-cards',
    tags: ['customers'],
    middleware: [requireAnyScope('orders:read', 'orders:write')],
    summary: 'Cards the payment provider keeps for this customer (saved on the payment page)',
    request: { params: z.object({ id: z.string() }) },
    responses: {
      200: {
        description: 'Saved cards',
        content: { 'application/json': { schema: z.object({ data: z.array(savedCard) }) } },
      },
      ...problemResponses(401, 403, 404),
    },
  }),
  async (c) => {
    const customerId = await customerOf(c, c.req.valid('param').id);
    const cards = await listSavedCards(c.get('deps').db, customerId);
    return c.json({ data: cards.map((card) => ({ ...card, created_at: card.created_at.toISOString() })) }, 200);
  },
);

savedCardRoutes.openapi(
  createRoute({
    method: 'delete',
    path: '/{id}/saved-cards/{card_id}',
    tags: ['customers'],
    middleware: [requireScope('orders:write')],
    summary: 'Forget a saved card',
    request: { params: z.object({ id: z.string(), card_id: z.string() }) },
    responses: { 204: { description: 'Forgotten' }, ...problemResponses(401, 403, 404) },
  }),
  async (c) => {
    const { id, card_id: cardId } = c.req.valid('param');
    const customerId = await customerOf(c, id);
    if (!z.string().uuid().safeParse(cardId).success) throw problems.notFound('saved card');
    if (!(await forgetSavedCard(c.get('deps').db, customerId, cardId))) throw problems.notFound('saved card');
    return c.body(null, 204);
  },
);

savedCardRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/{id}/saved-cards',
    tags: ['customers'],
    middleware: [requireScope('orders:write')],
    summary: "Register a card without a payment: 201 + Location of the provider's page",
    description:
      "The buyer enters the card on the provider's page and agrees that it is kept; the card is then " +
      'listed under the customer (`GET …/saved-cards`) and pays later orders at once ' +
      '(`POST /v1/orders/{id}/payments {"saved_card_id"}`). The page is open for an hour. Sandbox ' +
      'provider only: a tenant on Stripe gets `501 card_registration_unsupported` (it would need a ' +
      'SetupIntent, not built yet).',
    request: {
      params: z.object({ id: z.string() }),
      body: { required: false, content: { 'application/json': { schema: cardRegistrationRequest } } },
    },
    responses: {
      201: {
        description: 'The registration; Location is the page to send the buyer to',
        headers: { Location: { schema: { type: 'string' } } },
        content: { 'application/json': { schema: cardRegistration } },
      },
      ...problemResponses(400, 401, 403, 404, 413, 415, 501),
    },
  }),
  async (c) => {
    const customerId = await customerOf(c, c.req.valid('param').id);
    const body = c.req.valid('json');
    const { db } = c.get('deps');
    const provider = (await findTenantPaymentProvider(db, c.get('auth').tenantId)) ?? 'sandbox';
    if (provider !== 'sandbox')
      throw new ApiProblem(
        501,
        'card_registration_unsupported',
        'Not Implemented',
        `Saving a card without a payment is not available with the ${provider} provider yet; ` +
          "a card can be saved while paying on the provider's page",
      );
    const row = await insertCardRegistration(db, {
      tenantId: c.get('auth').tenantId,
      customerId,
      provider,
      pageToken: `sbxcard_${randomBytes(24).toString('base64url')}`,
      formToken: randomBytes(24).toString('base64url'),
      successUrl: body.success_url ?? null,
      failureUrl: body.failure_url ?? null,
      expiresAt: new Date(Date.now() + REGISTRATION_LIFETIME_MS),
    });
    const registration = presentRegistration(c, row);
    c.header('Location', registration.redirect_url);
    return c.json(registration, 201);
  },
);

savedCardRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/{id}/saved-cards/registrations/{registration_id}',
    tags: ['customers'],
    middleware: [requireAnyScope('orders:read', 'orders:write')],
    summary: 'A card registration: open, completed (with its saved card) or expired',
    request: { params: z.object({ id: z.string(), registration_id: z.string() }) },
    responses: {
      200: { description: 'The registration', content: { 'application/json': { schema: cardRegistration } } },
      ...problemResponses(401, 403, 404),
    },
  }),
  async (c) => {
    const { id, registration_id: registrationId } = c.req.valid('param');
    const customerId = await customerOf(c, id);
    if (!z.string().uuid().safeParse(registrationId).success) throw problems.notFound('card registration');
    const row = await findCardRegistration(c.get('deps').db, c.get('auth').tenantId, customerId, registrationId);
    if (!row) throw problems.notFound('card registration');
    return c.json(presentRegistration(c, row), 200);
  },
);
