import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createApp } from '../../api/app';
import { createDb, type Db } from '../../db/database';
import { findFreePort } from '../../runtime/free-port';
import { createLogger } from '../../runtime/logger';

describe('/ready when PostgreSQL is unreachable', () => {
  let db: Db;
  let connection: Connection;
  beforeAll(async () => {
    // Nothing listens on this port: the pool cannot connect.
    db = createDb(`postgres://postgres@127.0.0.1:${await findFreePort()}/nothing`);
    connection = await Connection.connect({ address: inject('temporalAddress') });
  });
  afterAll(async () => {
    await db.destroy();
    await connection.close();
  });

  it('answers 503 naming PostgreSQL, while Temporal is ok', async () => {
    const app = createApp({
      db,
      temporal: new Client({ connection }),
      logger: createLogger('test', 'silent'),
      taskQueue: 'unused',
      publicBaseUrl: 'http://localhost',
    });
    const response = await app.request('/ready');
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    const body = (await response.json()) as {
      status: string;
      checks: { postgres: string; temporal: string; worker: string };
    };
    expect(body.status).toBe('unavailable');
    expect(body.checks.postgres).toMatch(/^down: /);
    expect(body.checks.temporal).toBe('ok');
    // Nobody polls this task queue.
    expect(body.checks.worker).toMatch(/^down: no worker polls task queue "unused"/);
    // Liveness does not depend on the database.
    expect((await app.request('/health')).status).toBe(200);
  });
});
