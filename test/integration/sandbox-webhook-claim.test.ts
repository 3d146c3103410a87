import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { claimDueWebhookDeliveries, insertWebhookDelivery } from '../../db/queries/sandbox-webhook-deliveries';
import { databaseWithTenant } from '../helpers/database-with-tenant';

// The sandbox provider's webhook outbox claims due rows in one statement: each due row goes to one sender only, comes
// back with where to send it, and is not due again until its lease runs out.
const setup = databaseWithTenant();
const claimOptions = { limit: 10, leaseSeconds: 60, giveUpAfterSeconds: 24 * 60 * 60 };

async function sessionWithDeliveries(count: number): Promise<{ sessionId: string; ids: string[] }> {
  const db = setup.database.db;
  const sessionId = `sbx_${crypto.randomUUID().replaceAll('-', '')}`;
  await db
    .insertInto('sandbox_psp_sessions')
    .values({
      id: sessionId,
      page_token: crypto.randomUUID(),
      form_token: crypto.randomUUID(),
      tenant_id: setup.tenant.id,
      reference: 'claim-test',
      amount: 1000,
      currency: 'nok',
      status: 'paid',
      webhook_url: 'http://127.0.0.1:9/webhook',
      complete_url: null,
      cancel_url: null,
    })
    .execute();
  const ids: string[] = [];
  for (let i = 0; i < count; i++)
    ids.push(await insertWebhookDelivery(db, { sessionId, eventId: `evt_${i}`, payload: `{"n":${i}}` }));
  return { sessionId, ids };
}

describe('claiming sandbox webhook deliveries', () => {
  it('a second sender does not wait for rows another holds, and takes only the rest', async () => {
    const { ids } = await sessionWithDeliveries(12);
    const db = setup.database.db;
    const { first, second } = await db.transaction().execute(async (trx) => {
      // The first sender's claim, still uncommitted while the second claims.
      const held = await claimDueWebhookDeliveries(trx, { ...claimOptions, ids });
      let timer: NodeJS.Timeout | undefined;
      const blocked = new Promise<'blocked'>((resolve) => {
        timer = setTimeout(() => resolve('blocked'), 2_000);
      });
      const other = await Promise.race([claimDueWebhookDeliveries(db, { ...claimOptions, ids }), blocked]);
      clearTimeout(timer);
      return { first: held, second: other };
    });
    if (second === 'blocked') throw new Error('the second claim waited for the rows the first one holds');
    expect(first).toHaveLength(10);
    const claimed = [...first, ...second].map((row) => row.id);
    expect(claimed.sort()).toEqual([...ids].sort());
    for (const row of [...first, ...second]) {
      expect(row.attempts).toBe(1);
      expect(row.webhook_url).toBe('http://127.0.0.1:9/webhook');
      expect(row.webhook_secret).toBe(setup.tenant.webhookSecret);
      expect(row.expired).toBe(false);
    }
    // Claimed rows are leased: nothing is due again now.
    expect(await claimDueWebhookDeliveries(db, { ...claimOptions, ids })).toEqual([]);
  });

  it('a row past its lease is claimed again with the next attempt number; a delivered one is not', async () => {
    const { ids } = await sessionWithDeliveries(2);
    const db = setup.database.db;
    await claimDueWebhookDeliveries(db, { ...claimOptions, ids });
    await db
      .updateTable('sandbox_webhook_deliveries')
      .set({ next_attempt_at: sql<Date>`now() - interval '1 second'` })
      .where('id', 'in', ids)
      .execute();
    await db
      .updateTable('sandbox_webhook_deliveries')
      .set({ delivered_at: sql<Date>`now()` })
      .where('id', '=', ids[1]!)
      .execute();
    const again = await claimDueWebhookDeliveries(db, { ...claimOptions, ids });
    expect(again.map((row) => [row.id, row.attempts])).toEqual([[ids[0], 2]]);
  });

  it('a row written longer ago than the give-up period is claimed as the last attempt', async () => {
    const { ids } = await sessionWithDeliveries(1);
    const db = setup.database.db;
    await db
      .updateTable('sandbox_webhook_deliveries')
      .set({ created_at: sql<Date>`now() - interval '25 hours'` })
      .where('id', '=', ids[0]!)
      .execute();
    const [row] = await claimDueWebhookDeliveries(db, { ...claimOptions, ids });
    expect(row?.expired).toBe(true);
  });

  it('an event queued again is sent with the body it was first queued with', async () => {
    const { sessionId, ids } = await sessionWithDeliveries(1); // evt_0 with {"n":0}
    const db = setup.database.db;
    const again = await insertWebhookDelivery(db, { sessionId, eventId: 'evt_0', payload: '{"n":"changed"}' });
    const fresh = await insertWebhookDelivery(db, { sessionId, eventId: 'evt_new', payload: '{"n":"new"}' });
    const rows = await db
      .selectFrom('sandbox_webhook_deliveries')
      .select(['id', 'payload'])
      .where('id', 'in', [ids[0]!, again, fresh])
      .execute();
    const payloadOf = (id: string) => rows.find((row) => row.id === id)?.payload;
    expect([payloadOf(ids[0]!), payloadOf(again), payloadOf(fresh)]).toEqual(['{"n":0}', '{"n":0}', '{"n":"new"}']);
  });
});
