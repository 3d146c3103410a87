import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOccurrence, createProduct, createTenant, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { startTestStack, type TestStack } from '../helpers/test-stack';

// The sandbox provider's hosted page in a real browser (Debian's Chromium, driven by
// playwright-core; no browser is ever downloaded), through the whole stack: order over HTTP,
// the customer on the page, webhook, workflow, database.

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `[payment-page-browser] SKIPPED: ${CHROMIUM} not found. Install it with \`apt-get ` +
      `install -y chromium\` (.ci/run does).`,
  );
}

let stack: TestStack;
let tenant: TestTenant;
let occurrenceId: string;
let client: ReturnType<typeof orderClient>;
let browser: Browser;

describe.skipIf(!hasChromium)('the hosted payment page in Chromium', () => {
  beforeAll(async () => {
    [stack, browser] = await Promise.all([
      startTestStack(),
      chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ],
      }),
    ]);
    tenant = await createTenant(stack.database.db);
    const course = await createProduct(stack.database.db, tenant.id, {
      price: 80_000,
      vatRateBp: 2500,
      name: 'Kayak course',
    });
    occurrenceId = await createOccurrence(stack.database.db, tenant.id, course, {
      capacity: 10,
      name: 'Kayak — Tromsø',
    });
    client = orderClient(stack, tenant.apiKey);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /** A card order without payment_complete_url: after paying, the browser lands on the provider's own result page. */
  async function placeCardOrder(email: string) {
    const placed = await client.placeOrder({
      payment_method: 'card',
      booker: { name: 'Jane Doe', email },
      lines: [{ occurrence_id: occurrenceId, quantity: 1 }],
    });
    expect(placed.status).toBe(201);
    // The link's secret is a random page token, not the session id (derived from the order id).
    const link = /^http:\/\/127\.0\.0\.1:\d+\/psp\/sandbox\/pay\/sbxpay_[\w-]{32}$/;
    expect(placed.body.payment.redirect_url).toMatch(link);
    expect(placed.body.payment.redirect_url).not.toContain(placed.body.payment.session_id);
    return placed.body as {
      id: string;
      totals: { incl_vat: number };
      payment: { session_id: string; redirect_url: string };
    };
  }

  async function withPage<T>(options: { javaScriptEnabled?: boolean }, run: (page: Page) => Promise<T>): Promise<T> {
    const context: BrowserContext = await browser.newContext({ javaScriptEnabled: options.javaScriptEnabled ?? true });
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      return await run(page);
    } finally {
      await context.close();
    }
  }

  it('pay (JavaScript off): lands on the result page and the order completes', async () => {
    const order = await placeCardOrder('browser-pay@example.com');
    await withPage({ javaScriptEnabled: false }, async (page) => {
      const response = await page.goto(order.payment.redirect_url);
      expect(response?.status()).toBe(200);
      expect(await page.title()).toContain('Sandbox Pay');
      await expect.poll(() => page.getByTestId('amount').textContent()).toContain('1000');
      const card = page.getByLabel('Card number');
      expect(await card.inputValue()).toBe('4242 4242 4242 4242');
      const doneUrl = `**/psp/sandbox/done/${order.payment.redirect_url.split('/').at(-1)}`;
      await Promise.all([page.waitForURL(doneUrl), page.getByRole('button', { name: 'Pay' }).click()]);
      await page.getByRole('heading', { name: 'Payment complete' }).waitFor();
      expect(await page.getByRole('status').textContent()).toMatch(/was paid/);
    });
    const completed = await client.waitForStatus(order.id, 'completed');
    expect(completed.payments).toEqual([
      expect.objectContaining({ kind: 'charge', status: 'succeeded', amount: order.totals.incl_vat }),
    ]);
    expect(completed.reservations).toEqual([expect.objectContaining({ status: 'booked' })]);
  });

  it('decline with 4000 0000 0000 0002 shows the decline, then 4242… pays', async () => {
    const order = await placeCardOrder('browser-decline@example.com');
    await withPage({}, async (page) => {
      await page.goto(order.payment.redirect_url);
      const card = page.getByLabel('Card number');
      await card.fill('4000 0000 0000 0002');
      await Promise.all([page.waitForURL(/declined=1/), page.getByRole('button', { name: 'Pay' }).click()]);
      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toMatch(/card was declined/i);
      await client.waitForStatus(order.id, 'payment_failed');

      // Still payable on the same page.
      await page.getByLabel('Card number').fill('4242 4242 4242 4242');
      await Promise.all([page.waitForURL('**/psp/sandbox/done/**'), page.getByRole('button', { name: 'Pay' }).click()]);
      await page.getByRole('heading', { name: 'Payment complete' }).waitFor();
    });
    const completed = await client.waitForStatus(order.id, 'completed');
    expect(completed.payments).toEqual([expect.objectContaining({ kind: 'charge', status: 'succeeded' })]);
  });

  it('cancel: the order stays awaiting payment and the page stays payable', async () => {
    const order = await placeCardOrder('browser-cancel@example.com');
    await withPage({}, async (page) => {
      await page.goto(order.payment.redirect_url);
      await Promise.all([
        page.waitForURL('**/psp/sandbox/done/**'),
        page.getByRole('button', { name: 'Cancel' }).click(),
      ]);
      await page.getByRole('heading', { name: 'Payment cancelled' }).waitFor();
      await new Promise((r) => setTimeout(r, 1_000)); // room for a (wrong) webhook to move the order
      expect((await client.getOrder(order.id)).body.status).toBe('awaiting_payment');

      await page.getByRole('link', { name: 'Return to payment' }).click();
      await page.getByRole('button', { name: 'Pay' }).waitFor();
      expect(page.url()).toBe(order.payment.redirect_url);
    });
    expect((await client.getOrder(order.id)).body.status).toBe('awaiting_payment');
  });

  it('an invalid card number is refused inline, labelled and announced, without a payment attempt', async () => {
    const order = await placeCardOrder('browser-typo@example.com');
    await withPage({}, async (page) => {
      await page.goto(order.payment.redirect_url);
      // Accessible names: the field by its label, the three actions by their text.
      const form = await page.locator('form').ariaSnapshot();
      expect(form).toContain('textbox "Card number"');
      for (const name of ['Pay', 'Decline', 'Cancel']) expect(form).toContain(`button "${name}"`);

      await page.getByLabel('Card number').fill('4242 4242 4242 4241');
      await page.getByRole('button', { name: 'Pay' }).click();
      const error = page.getByTestId('card-error');
      await error.waitFor();
      expect(await error.textContent()).toMatch(/not valid/);
      const card = page.getByLabel('Card number');
      expect(await card.getAttribute('aria-invalid')).toBe('true');
      expect(await card.getAttribute('aria-describedby')).toContain('card-error');
      expect(await card.inputValue()).toBe('4242 4242 4242 4241');
      // The field has focus, so the customer can correct it at once.
      expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('card-number');
    });
    expect(
      await stack.database.db
        .selectFrom('sandbox_webhook_deliveries')
        .select('id')
        .where('session_id', '=', order.payment.session_id)
        .execute(),
    ).toEqual([]);
    expect((await client.getOrder(order.id)).body.status).toBe('awaiting_payment');
  });
});
