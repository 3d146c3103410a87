import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { getCustomer } from '../../db/queries/customers';
import { forgetSavedCard, listSavedCards } from '../../db/queries/saved-cards';
import type { AppEnv } from '../app-env';
import { createResourceApp } from '../resource-app';
import { requireAnyScope, requireScope } from '../auth';
import { problems } from '../problem';
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

async function customerOf(c: Context<AppEnv>, id: string): Promise<string> {
  if (!z.string().uuid().safeParse(id).success) throw problems.notFound('customer');
  const customer = await getCustomer(c.var.deps.db, c.var.auth.tenantId, id);
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
    const cards = await listSavedCards(c.var.deps.db, customerId);
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
    if (!(await forgetSavedCard(c.var.deps.db, customerId, cardId))) throw problems.notFound('saved card');
    return c.body(null, 204);
  },
);
