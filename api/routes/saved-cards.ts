import { createRoute, z } from '@hono/zod-openapi';
import { sql } from 'kysely';
import type { App } from '../app';
import { requireScope } from '../auth';
import { problems } from '../problem';
import { problemResponses } from '../schemas/common';

const savedCard = z.object({
  id: z.string().uuid(), provider: z.string(), brand: z.string(), last4: z.string(), created_at: z.string(),
}).openapi('SavedCard');

async function customerOf(c: Parameters<Parameters<App['openapi']>[1]>[0], id: string): Promise<string> {
  if (!z.string().uuid().safeParse(id).success) throw problems.notFound('customer');
  const customer = await c.var.deps.db.selectFrom('customers').select('id').where('tenant_id', '=', c.var.auth.tenantId).where('id', '=', id).executeTakeFirst();
  if (!customer) throw problems.notFound('customer');
  return customer.id;
}

export function registerSavedCardRoutes(app: App): void {
  app.use('/v1/customers/:id/saved-cards/*', async (c, next) => (c.req.method === 'DELETE' ? requireScope('orders:write')(c, next) : next()));

  app.openapi(
    createRoute({
      method: 'get', path: '/v1/customers/{id}/saved-cards', tags: ['customers'],
      summary: 'Cards the payment provider keeps for this customer (saved on the payment page)',
      request: { params: z.object({ id: z.string() }) },
      responses: { 200: { description: 'Saved cards', content: { 'application/json': { schema: z.object({ data: z.array(savedCard) }) } } }, ...problemResponses(401, 403, 404) },
    }),
    async (c) => {
      if (!c.var.auth.scopes.has('orders:read') && !c.var.auth.scopes.has('orders:write')) throw problems.forbidden('orders:read');
      const customerId = await customerOf(c as never, c.req.valid('param').id);
      const cards = await c.var.deps.db.selectFrom('saved_cards').select(['id', 'provider', 'brand', 'last4', 'created_at'])
        .where('customer_id', '=', customerId).where('deleted_at', 'is', null).orderBy('created_at').execute();
      return c.json({ data: cards.map((card) => ({ ...card, created_at: card.created_at.toISOString() })) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete', path: '/v1/customers/{id}/saved-cards/{card_id}', tags: ['customers'],
      summary: 'Forget a saved card',
      request: { params: z.object({ id: z.string(), card_id: z.string() }) },
      responses: { 204: { description: 'Forgotten' }, ...problemResponses(401, 403, 404) },
    }),
    async (c) => {
      const { id, card_id: cardId } = c.req.valid('param');
      const customerId = await customerOf(c as never, id);
      if (!z.string().uuid().safeParse(cardId).success) throw problems.notFound('saved card');
      const deleted = await c.var.deps.db.updateTable('saved_cards').set({ deleted_at: sql`now()` })
        .where('id', '=', cardId).where('customer_id', '=', customerId).where('deleted_at', 'is', null).returning('id').executeTakeFirst();
      if (!deleted) throw problems.notFound('saved card');
      return c.body(null, 204);
    },
  );
}
