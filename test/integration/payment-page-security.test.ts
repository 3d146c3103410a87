import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type Browser, chromium } from 'playwright-core';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SandboxPaymentProvider } from '../../payments/sandbox-provider';
import { createMigrator } from '../../db/migrate';
import { createOccurrence, createProduct, createTenant, type TestTenant } from '../helpers/fixtures';
import { orderClient, paymentFormToken } from '../helpers/order-client';
import { createTestDatabase } from '../helpers/test-database';
import { startTestStack, type TestStack } from '../helpers/test-stack';

// The sandbox provider's hosted page acts for whoever holds its link: the link must be a
// secret, its form must only be submitted by the page itself, and it must not be framed.

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);

let stack: TestStack;
let tenant: TestTenant;
let occurrenceId: string;
let client: ReturnType<typeof orderClient>;

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await createTenant(stack.database.db);
  const course = await createProduct(stack.database.db, tenant.id, { price: 30_000, name: 'Sailing' });
  occurrenceId = await createOccurrence(stack.database.db, tenant.id, course, { capacity: 50 });
  client = orderClient(stack, tenant.apiKey);
});
afterAll(async () => stack.stop());

async function placeCardOrder(email: string) {
  const placed = await client.placeOrder({
    payment_method: 'card',
    booker: { name: 'Jane Doe', email },
    lines: [{ occurrence_id: occurrenceId, quantity: 1 }],
  });
  expect(placed.status).toBe(201);
  return placed.body as { id: string; number: number; payment: { session_id: string; redirect_url: string } };
}

async function postForm(url: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
  const text = await response.text();
  return {
    status: response.status,
    location: response.headers.get('location'),
    text,
    type: response.headers.get('content-type'),
  };
}

async function expectNothingHappened(order: { id: string; number: number; payment: { session_id: string } }) {
  await new Promise((r) => setTimeout(r, 500)); // room for a (wrong) webhook to move the order
  expect((await client.getOrder(order.id)).body.status).toBe('awaiting_payment');
  const deliveries = await stack.database.db
    .selectFrom('sandbox_webhook_deliveries')
    .select('id')
    .where('session_id', '=', order.payment.session_id)
    .execute();
  expect(deliveries).toEqual([]);
  const failedMails = (await stack.mail()).filter((m) =>
    m.subject.startsWith(`Payment failed for order ${order.number} `),
  );
  expect(failedMails).toEqual([]);
}

describe('payment links', () => {
  it('are random page tokens: knowing the order id (or the session id) opens nothing', async () => {
    const a = await placeCardOrder('link-a@example.com');
    const b = await placeCardOrder('link-b@example.com');
    const tokenA = new URL(a.payment.redirect_url).pathname.split('/').at(-1)!;
    expect(tokenA).toMatch(/^sbxpay_[\w-]{32}$/);
    expect(tokenA).not.toBe(new URL(b.payment.redirect_url).pathname.split('/').at(-1));
    expect(a.payment.redirect_url).not.toContain(a.payment.session_id);

    const derived = SandboxPaymentProvider.sessionIdFor(`${a.id}:charge:1`);
    expect(derived).toBe(a.payment.session_id);
    for (const path of [`/psp/sandbox/pay/${derived}`, `/psp/sandbox/done/${derived}`]) {
      expect((await fetch(`${stack.baseUrl}${path}`)).status).toBe(404);
    }
    const posted = await postForm(`${stack.baseUrl}/psp/sandbox/pay/${derived}`, { action: 'decline' });
    expect(posted.status).toBe(404);
    await expectNothingHappened(a);
    expect((await fetch(a.payment.redirect_url)).status).toBe(200);
  });
});

describe('the payment form', () => {
  it('carries a per-session CSRF token; a POST without it or with another is refused and changes nothing', async () => {
    const order = await placeCardOrder('csrf@example.com');
    const other = await placeCardOrder('csrf-other@example.com');
    const token = paymentFormToken(await (await fetch(order.payment.redirect_url)).text());
    const otherToken = paymentFormToken(await (await fetch(other.payment.redirect_url)).text());
    expect(token).not.toBe(otherToken);

    const attempts: Record<string, string>[] = [
      { action: 'decline' },
      { action: 'decline', csrf_token: otherToken },
      { action: 'decline', csrf_token: '' },
    ];
    for (const fields of attempts) {
      const answer = await postForm(order.payment.redirect_url, fields);
      expect(answer.status).toBe(403);
      expect(answer.type).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(answer.text).code).toBe('csrf_token_invalid');
    }
    await expectNothingHappened(order);
  });

  it.each([
    ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site', { 'Sec-Fetch-Site': 'same-site' }],
    ['a foreign Origin', { Origin: 'https://attacker.example' }],
    ['Origin: null', { Origin: 'null' }],
  ])('a cross-site POST (%s) is refused even with the right token', async (_label, headers) => {
    const order = await placeCardOrder('cross-site@example.com');
    const token = paymentFormToken(await (await fetch(order.payment.redirect_url)).text());
    const answer = await postForm(order.payment.redirect_url, { action: 'decline', csrf_token: token }, headers);
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.text).code).toBe('cross_site_request');
    await expectNothingHappened(order);
  });

  it('a same-origin POST with the token goes through', async () => {
    const order = await placeCardOrder('same-origin@example.com');
    const token = paymentFormToken(await (await fetch(order.payment.redirect_url)).text());
    const headers = { Origin: stack.baseUrl, 'Sec-Fetch-Site': 'same-origin' };
    const answer = await postForm(
      order.payment.redirect_url,
      { action: 'pay', card_number: '4242424242424242', csrf_token: token },
      headers,
    );
    expect(answer.status).toBe(303);
    await client.waitForStatus(order.id, 'completed');
  });

  it('an unknown action is a problem with a code', async () => {
    const order = await placeCardOrder('action@example.com');
    const token = paymentFormToken(await (await fetch(order.payment.redirect_url)).text());
    const answer = await postForm(order.payment.redirect_url, { action: 'refund', csrf_token: token });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text).code).toBe('payment_action_invalid');
  });
});

describe('security headers', () => {
  function expectFrameProof(headers: Headers) {
    expect(headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(headers.get('x-frame-options')).toBe('DENY');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
  }

  it('every page of the payment flow: no framing, nothing loaded, no Referer to other sites', async () => {
    const order = await placeCardOrder('headers@example.com');
    const token = new URL(order.payment.redirect_url).pathname.split('/').at(-1);
    for (const url of [
      order.payment.redirect_url,
      `${stack.baseUrl}/psp/sandbox/done/${token}`,
      `${stack.baseUrl}/psp/sandbox/pay/nope`,
    ]) {
      const response = await fetch(url);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expectFrameProof(response.headers);
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(response.headers.get('referrer-policy')).toBe('same-origin');
      expect(response.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('the API, its problems, the Stripe return page and /docs carry them too', async () => {
    for (const path of ['/health', '/v1/orders', '/no-such-route', '/psp/stripe/return', '/docs', '/openapi.json']) {
      const response = await fetch(`${stack.baseUrl}${path}`);
      expectFrameProof(response.headers);
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    }
    // Swagger UI loads its script and styles from a CDN and starts with an inline script: the
    // policy on /docs restricts framing only.
    const docs = await fetch(`${stack.baseUrl}/docs`);
    expect(docs.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
    expect(docs.headers.get('cross-origin-embedder-policy')).toBeNull();
  });
});

describe.skipIf(!hasChromium)('in Chromium', () => {
  let browser: Browser;
  let attacker: Server;
  let attackerUrl: string;
  let attackerPage = '';

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    // Another site: "localhost" is not the same site as the API's 127.0.0.1.
    attacker = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end(attackerPage));
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    attackerUrl = `http://localhost:${(attacker.address() as { port: number }).port}/`;
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (attacker ? attacker.close(() => resolve()) : resolve()));
  });

  it('a cross-site form that auto-submits "decline" (even with a leaked form token) is refused', async () => {
    const order = await placeCardOrder('browser-csrf@example.com');
    const token = paymentFormToken(await (await fetch(order.payment.redirect_url)).text());
    attackerPage = `<!doctype html><form id="f" method="post" action="${order.payment.redirect_url}">
<input name="action" value="decline"><input name="csrf_token" value="${token}"></form>
<script>document.getElementById('f').submit()</script>`;
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const answered = page.waitForResponse(
        (r) => r.url() === order.payment.redirect_url && r.request().method() === 'POST',
      );
      await page.goto(attackerUrl);
      const response = await answered;
      expect(response.status()).toBe(403);
      expect((await response.json()).code).toBe('cross_site_request');
    } finally {
      await context.close();
    }
    await expectNothingHappened(order);
  });

  it('another site cannot frame the payment page', async () => {
    const order = await placeCardOrder('browser-frame@example.com');
    const frameTag = `<iframe name="pay" src="${order.payment.redirect_url}" width="600" height="400"></iframe>`;
    attackerPage = `<!doctype html>${frameTag}`;
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const framed = page.waitForResponse((r) => r.url() === order.payment.redirect_url);
      await page.goto(attackerUrl);
      await framed;
      await new Promise((r) => setTimeout(r, 500));
      const frame = page.frame({ name: 'pay' });
      expect(frame).not.toBeNull();
      const content = await frame!.content().catch(() => '');
      expect(content).not.toContain('Sandbox Pay');
      expect(content).not.toContain('csrf_token');
    } finally {
      await context.close();
    }
  });

  it('Swagger UI at /docs still starts under our headers', async () => {
    const context = await browser.newContext();
    const violations: string[] = [];
    try {
      const page = await context.newPage();
      page.on('console', (message) => {
        if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
      });
      // No network in tests: Swagger UI's CDN assets are replaced by a stand-in that does what
      // the bundle does first — fetch the document named in the inline start script.
      await page.route('https://cdn.jsdelivr.net/**', (route) => {
        const isScript = route.request().url().endsWith('.js');
        return route.fulfill({
          status: 200,
          headers: { 'Content-Type': isScript ? 'text/javascript' : 'text/css', 'Access-Control-Allow-Origin': '*' },
          body: isScript
            ? `window.SwaggerUIBundle = (o) => fetch(o.url).then((r) => r.json())
                .then((d) => { document.querySelector(o.dom_id).textContent = 'loaded: ' + d.info.title; });`
            : '#swagger-ui{color:#000}',
        });
      });
      await page.goto(`${stack.baseUrl}/docs`);
      await page.getByText('loaded: Order orchestrator API').waitFor({ timeout: 10_000 });
    } finally {
      await context.close();
    }
    expect(violations).toEqual([]);
  });
});

describe('migration 0010 on sessions opened before it', () => {
  it('gives them random tokens and rewrites their links; down restores the old links', async () => {
    const database = await createTestDatabase(inject('adminDatabaseUrl'), { migrate: false });
    try {
      const migrator = createMigrator(database.db);
      expect((await migrator.migrateTo('0009_payment_events_per_tenant')).error).toBeUndefined();
      const t = await createTenant(database.db);
      const orderId = crypto.randomUUID();
      const sessionId = SandboxPaymentProvider.sessionIdFor(`${orderId}:charge:1`);
      const oldLink = `http://localhost:3000/psp/sandbox/pay/${sessionId}`;
      await sql`
        INSERT INTO sandbox_psp_sessions (id, tenant_id, reference, amount, currency, status, webhook_url)
        VALUES (${sessionId}, ${t.id}, ${orderId}, 1000, 'nok', 'open', 'http://localhost:3000/hook')`.execute(
        database.db,
      );
      await sql`
        INSERT INTO orders (id, tenant_id, number, workflow_id, status, payment_method, currency,
          total_before_discounts, total_discounts, total_excl_vat, total_vat, total_incl_vat, vat_summary)
        VALUES (${orderId}, ${t.id}, 1, ${`order-${t.slug}-1`}, 'awaiting_payment', 'card', 'nok',
          800, 0, 800, 200, 1000, '[]')`.execute(database.db);
      await sql`
        INSERT INTO payments (id, tenant_id, order_id, kind, provider, provider_session_id, amount, currency,
          status, redirect_url, idempotency_key)
        VALUES (${crypto.randomUUID()}, ${t.id}, ${orderId}, 'charge', 'sandbox', ${sessionId}, 1000, 'nok',
          'pending', ${oldLink}, ${`${orderId}:charge:1`})`.execute(database.db);
      const linkOf = async () =>
        (
          await database.db
            .selectFrom('payments')
            .select('redirect_url')
            .where('order_id', '=', orderId)
            .executeTakeFirstOrThrow()
        ).redirect_url;

      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      const session = await database.db
        .selectFrom('sandbox_psp_sessions')
        .select(['page_token', 'form_token'])
        .where('id', '=', sessionId)
        .executeTakeFirstOrThrow();
      expect(session.page_token).toMatch(/^sbxpay_[0-9a-f]{64}$/);
      expect(session.form_token).toMatch(/^[0-9a-f]{64}$/);
      expect(await linkOf()).toBe(`http://localhost:3000/psp/sandbox/pay/${session.page_token}`);

      expect((await migrator.migrateTo('0009_payment_events_per_tenant')).error).toBeUndefined();
      expect(await linkOf()).toBe(oldLink);
    } finally {
      await database.drop();
    }
  });
});
