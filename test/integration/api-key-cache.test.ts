import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { hashApiKey } from '../../domain/api-key';
import { createLogger } from '../../runtime/logger';
import { addApiKey, createTenant, type TestTenant } from '../helpers/fixtures';
import { startTestStack, type TestStack } from '../helpers/test-stack';

// API keys are looked up once per API_KEY_CACHE_TTL_MS per process. There is no revoke
// endpoint: a key is revoked in the database (api_keys.revoked_at), and a process that cached
// it keeps accepting it until its entry expires. This pins that window down.

let stack: TestStack;
let tenant: TestTenant;
const servers: { close(cb: () => void): void }[] = [];

beforeAll(async () => {
  stack = await startTestStack({ worker: false });
  tenant = await createTenant(stack.database.db);
});
afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  await stack.stop();
});

async function api(apiKeyCacheTtlMs: number) {
  const app = createApp({
    db: stack.database.db,
    temporal: stack.temporal,
    logger: createLogger('api-key-cache-test', 'silent'),
    taskQueue: stack.taskQueue,
    publicBaseUrl: stack.baseUrl,
    apiKeyCacheTtlMs,
  });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const statusWith = async (base: string, key: string) =>
  (await fetch(`${base}/v1/catalog/products`, { headers: { 'X-API-Key': key } })).status;

const revoke = (key: string) =>
  stack.database.db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where('key_hash', '=', hashApiKey(key))
    .execute();

describe('API key cache and revocation', () => {
  it('with the cache off (API_KEY_CACHE_TTL_MS=0) a revoked key is refused at once', async () => {
    const base = await api(0);
    const key = await addApiKey(stack.database.db, tenant.id, ['orders:read']);
    expect(await statusWith(base, key)).toBe(200);
    await revoke(key);
    expect(await statusWith(base, key)).toBe(401);
  });

  it('with a TTL a revoked key works until its cache entry expires, then never again', async () => {
    const base = await api(1_500);
    const key = await addApiKey(stack.database.db, tenant.id, ['orders:read']);
    expect(await statusWith(base, key)).toBe(200);
    await revoke(key);
    expect(await statusWith(base, key)).toBe(200);
    await new Promise((r) => setTimeout(r, 1_700));
    expect(await statusWith(base, key)).toBe(401);
  });
});
