import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import type { AppDeps } from '../../api/app-env';
import { createLogger } from '../../runtime/logger';
import { addApiKey, createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

// GET /dev/mail and /dev/mail.json show what the local SMTP sink caught — live payment links
// among it. They exist only when the launcher asks for them (DEV_ROUTES), answer only loopback
// clients (unless configured otherwise), need an API key and show only its tenant's mail.

let stack: TestStack;
let a: TestTenant;
let b: TestTenant;
let orderA: { id: string; number: number };
let orderB: { id: string; number: number };

async function paidOrder(tenant: TestTenant, email: string) {
  const course = await createProduct(stack.database.db, tenant.id, { price: 10_000, name: 'Yoga' });
  const occurrence = await createOccurrence(stack.database.db, tenant.id, course, { capacity: 5 });
  const client = orderClient(stack, tenant.apiKey);
  const placed = await client.placeOrder({
    payment_method: 'card',
    booker: { name: 'Jane', email },
    lines: [{ occurrence_id: occurrence, quantity: 1 }],
  });
  expect(placed.status).toBe(201);
  await client.actOnPaymentPage(placed.body.payment.redirect_url, 'pay');
  await client.waitForStatus(placed.body.id, 'completed');
  return { id: placed.body.id as string, number: placed.body.number as number };
}

beforeAll(async () => {
  stack = await startTestStack();
  a = await createTenant(stack.database.db);
  b = await createTenant(stack.database.db);
  [orderA, orderB] = await Promise.all([paidOrder(a, 'mail-a@example.com'), paidOrder(b, 'mail-b@example.com')]);
  await eventually(async () => {
    const to = (await stack.mail()).flatMap((m) => m.to);
    return to.includes('mail-a@example.com') && to.includes('mail-b@example.com') ? true : undefined;
  });
}, 60_000);
afterAll(async () => stack.stop());

type Mail = { subject: string; to: string[]; text: string };

async function mailJson(headers: Record<string, string>, base = stack.baseUrl) {
  const response = await fetch(`${base}/dev/mail.json`, { headers });
  return { status: response.status, headers: response.headers, body: await jsonOf(response) };
}

const basic = (password: string) => ({ Authorization: `Basic ${Buffer.from(`dev:${password}`).toString('base64')}` });

describe('dev mail with the key of a tenant', () => {
  it('without a key: 401, and a browser is asked for Basic credentials', async () => {
    const answer = await mailJson({});
    expect(answer.status).toBe(401);
    expect(answer.body.code).toBe('unauthorized');
    expect(answer.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect((await mailJson({ 'X-API-Key': 'ook_not-a-key-of-anyone' })).status).toBe(401);
  });

  it("shows only that tenant's mail (JSON and HTML, header or Basic password)", async () => {
    for (const [tenant, own, foreign] of [
      [a, 'mail-a@example.com', 'mail-b@example.com'],
      [b, 'mail-b@example.com', 'mail-a@example.com'],
    ] as const) {
      const answer = await mailJson({ 'X-API-Key': tenant.apiKey });
      expect(answer.status).toBe(200);
      const recipients = (answer.body as Mail[]).flatMap((m) => m.to);
      expect(recipients).toContain(own);
      expect(recipients).not.toContain(foreign);
      expect(answer.headers.get('cache-control')).toBe('no-store');
    }
    const receiptOfA = (await mailJson({ 'X-API-Key': a.apiKey })).body as Mail[];
    expect(receiptOfA.some((m) => m.subject.includes(`order ${orderA.number} `))).toBe(true);

    const page = await fetch(`${stack.baseUrl}/dev/mail`, { headers: basic(b.apiKey) });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const html = await page.text();
    expect(html).toContain('mail-b@example.com');
    expect(html).not.toContain('mail-a@example.com');
    expect(html).toContain(`order ${orderB.number} `);
  });

  it('needs orders:read', async () => {
    const key = await addApiKey(stack.database.db, a.id, ['invoices']);
    const answer = await mailJson({ 'X-API-Key': key });
    expect(answer.status).toBe(403);
    expect(answer.body.code).toBe('missing_scope');
  });

  it('refuses a request a proxy forwarded from elsewhere', async () => {
    const forwarded: Record<string, string>[] = [
      { 'X-Forwarded-For': '203.0.113.7' },
      { Forwarded: 'for=203.0.113.7' },
    ];
    for (const header of forwarded) {
      const answer = await mailJson({ 'X-API-Key': a.apiKey, ...header });
      expect(answer.status).toBe(403);
      expect(answer.body.code).toBe('loopback_only');
    }
  });
});

describe('where dev routes exist', () => {
  const servers: { close(cb: () => void): void }[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  });

  async function api(devRoutes: AppDeps['devRoutes'], hostname = '127.0.0.1') {
    const app = createApp({
      db: stack.database.db,
      temporal: stack.temporal,
      logger: createLogger('dev-routes-test', 'silent'),
      taskQueue: stack.taskQueue,
      publicBaseUrl: stack.baseUrl,
      devRoutes,
    });
    const server = serve({ fetch: app.fetch, port: 0, hostname });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    servers.push(server);
    return (server.address() as AddressInfo).port;
  }

  it('an API without DEV_ROUTES has no /dev routes at all', async () => {
    const port = await api(undefined);
    for (const path of ['/dev/mail', '/dev/mail.json']) {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { 'X-API-Key': a.apiKey } });
      expect(response.status).toBe(404);
      expect((await jsonOf(response)).code).toBe('route_not_found');
    }
  });

  it('DEV_ROUTES_ALLOW_REMOTE lets a forwarded request through (still with a key, still one tenant)', async () => {
    const port = await api({ mailSinkDir: stack.mailDir, allowRemote: true });
    const base = `http://127.0.0.1:${port}`;
    expect((await mailJson({ 'X-Forwarded-For': '203.0.113.7' }, base)).status).toBe(401);
    const answer = await mailJson({ 'X-API-Key': a.apiKey, 'X-Forwarded-For': '203.0.113.7' }, base);
    expect(answer.status).toBe(200);
    expect((answer.body as Mail[]).flatMap((m) => m.to)).not.toContain('mail-b@example.com');
  });

  const external = Object.values(os.networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal);
  it.skipIf(!external)('a client on another interface is refused unless allowed', async () => {
    const refused = await api({ mailSinkDir: stack.mailDir }, '0.0.0.0');
    const answer = await mailJson({ 'X-API-Key': a.apiKey }, `http://${external!.address}:${refused}`);
    expect(answer.status).toBe(403);
    expect(answer.body.code).toBe('loopback_only');
    const allowed = await api({ mailSinkDir: stack.mailDir, allowRemote: true }, '0.0.0.0');
    expect((await mailJson({ 'X-API-Key': a.apiKey }, `http://${external!.address}:${allowed}`)).status).toBe(200);
  });
});
