import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { claimIdempotencyKey } from '../../db/queries/order-numbers';
import { databaseWithTenant } from '../helpers/database-with-tenant';

// Two first requests with one Idempotency-Key at the same moment: the second waits on the tenant's counter while the
// first holds it, then finds the key taken. It must not have moved the counter: order numbers have no gap.
const setup = databaseWithTenant();

const counter = async () =>
  Number(
    (
      await setup.database.db
        .selectFrom('tenants')
        .select('order_counter')
        .where('id', '=', setup.tenant.id)
        .executeTakeFirstOrThrow()
    ).order_counter,
  );

describe('a new key claimed twice at once', () => {
  it('the later claim finds the key and leaves the counter as the first one left it', async () => {
    const before = await counter();
    const key = `race-${crypto.randomUUID()}`;
    const first = new pg.Client({ connectionString: setup.database.url });
    await first.connect();
    try {
      // The first request's claim, committed only after the second has started and is waiting for the counter.
      await first.query('BEGIN');
      await first.query(
        `WITH n AS (UPDATE tenants SET order_counter = order_counter + 1 WHERE id = $1 RETURNING order_counter)
         INSERT INTO idempotency_keys (tenant_id, key, request_hash, order_number, order_id, locked_until)
         SELECT $1, $2, 'hash', order_counter, gen_random_uuid(), now() + interval '30 seconds' FROM n`,
        [setup.tenant.id, key],
      );
      const second = claimIdempotencyKey(setup.database.db, setup.tenant.id, key, 'hash');
      await waitUntilBlocked(first);
      await first.query('COMMIT');
      const claim = await second;
      expect(claim.kind).toBe('in_flight');
      expect(await counter()).toBe(before + 1);
    } finally {
      await first.end();
    }
  });
});

/** Until another backend waits for a lock this session holds. */
async function waitUntilBlocked(holder: pg.Client): Promise<void> {
  const pid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  for (let i = 0; i < 200; i++) {
    const { rows } = await holder.query<{ n: string }>(
      'SELECT count(*) AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
      [pid],
    );
    if (Number(rows[0]!.n) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the second claim never waited for the first');
}
