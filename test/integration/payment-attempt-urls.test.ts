import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { startTestStack, type TestStack } from '../helpers/test-stack';

// POST /v1/orders/{id}/payments with this attempt's own success_url / failure_url (seed 004's
// successUrl / failedUrl): the sandbox page sends the buyer there, not to the order's URLs, and
// only for that attempt.

let stack: TestStack;
let tenant: TestTenant;
let occurrenceId: string;
let client: ReturnType<typeof orderClient>;

const ORDER_COMPLETE = 'https://shop.example/order-complete';
const ORDER_CANCEL = 'https://shop.example/order-cancel';

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await createTenant(stack.database.db);
  const course = await createProduct(stack.database.db, tenant.id, { price: 40_000, name: 'Course' });
  occurrenceId = await createOccurrence(stack.database.db, tenant.id, course, { capacity: 20 });
  client = orderClient(stack, tenant.apiKey);
});
afterAll(async () => stack.stop());

function startPayment(id: string, body?: unknown) {
  return fetch(`${stack.baseUrl}/v1/orders/${id}/payments`, {
    method: 'POST',
    headers: { 'X-API-Key': tenant.apiKey, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function placeCardOrder(withOrderUrls = true) {
  const placed = await client.placeOrder({
    payment_method: 'card',
    booker: { email: 'attempts@example.com' },
    lines: [{ occurrence_id: occurrenceId, quantity: 1 }],
    ...(withOrderUrls ? { payment_complete_url: ORDER_COMPLETE, payment_cancel_url: ORDER_CANCEL } : {}),
  });
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  return placed.body.id as string;
}

async function attempt(id: string, body?: unknown) {
  const response = await startPayment(id, body);
  const json = await jsonOf(response);
  expect(response.status, JSON.stringify(json)).toBe(201);
  expect(response.headers.get('location')).toBe(json.redirect_url);
  return json as { redirect_url: string; session_id: string };
}

describe("an attempt's own success_url and failure_url", () => {
  it("paying sends the buyer to the attempt's success_url, over the order's", async () => {
    const id = await placeCardOrder();
    const started = await attempt(id, {
      success_url: 'https://shop.example/paid?order=42',
      failure_url: 'https://shop.example/failed',
      payment_method: 'card',
    });
    const paid = await client.actOnPaymentPage(started.redirect_url, 'pay');
    expect(paid).toEqual({ status: 303, location: 'https://shop.example/paid?order=42' });
    await client.waitForStatus(id, 'completed');
  });

  it("leaving the page sends the buyer to the attempt's failure_url; a decline stays on the page", async () => {
    const id = await placeCardOrder();
    const started = await attempt(id, {
      success_url: 'http://localhost:3000/ok',
      failure_url: 'http://localhost:3000/no',
    });
    const declined = await client.actOnPaymentPage(started.redirect_url, 'decline');
    expect(declined.status).toBe(303);
    expect(declined.location).toContain('declined=1');
    const left = await client.actOnPaymentPage(started.redirect_url, 'cancel');
    expect(left).toEqual({ status: 303, location: 'http://localhost:3000/no' });
  });

  it("the next attempt without URLs goes back to the order's URLs", async () => {
    const id = await placeCardOrder();
    await attempt(id, { failure_url: 'https://shop.example/first-attempt-failed' });
    const second = await attempt(id);
    expect(await client.actOnPaymentPage(second.redirect_url, 'cancel')).toEqual({
      status: 303,
      location: ORDER_CANCEL,
    });
    const third = await attempt(id, { success_url: 'https://shop.example/third' });
    // Only success_url given: leaving still goes to the order's cancel URL.
    expect((await client.actOnPaymentPage(third.redirect_url, 'cancel')).location).toBe(ORDER_CANCEL);
    expect(await client.actOnPaymentPage(third.redirect_url, 'pay')).toEqual({
      status: 303,
      location: 'https://shop.example/third',
    });
  });

  it('an order without URLs of its own uses the attempt URLs, else the built-in result page', async () => {
    const id = await placeCardOrder(false);
    const plain = await attempt(id, {});
    const cancelled = await client.actOnPaymentPage(plain.redirect_url, 'cancel');
    expect(cancelled.location).toMatch(/\/psp\/sandbox\/done\//);
    const withUrls = await attempt(id, { failure_url: 'https://shop.example/gave-up' });
    expect((await client.actOnPaymentPage(withUrls.redirect_url, 'cancel')).location).toBe(
      'https://shop.example/gave-up',
    );
  });
});

describe('validation', () => {
  it('refuses URLs that are not absolute http(s) with 400 naming the field, and opens no attempt', async () => {
    const id = await placeCardOrder();
    const before = (await client.getOrder(id)).body.payment.session_id;
    for (const bad of ['javascript:alert(1)', '/relative/path', 'ftp://files.example/x', 'https://', 'not a url']) {
      const response = await startPayment(id, { success_url: bad });
      const problem = await jsonOf(response);
      expect(response.status, bad).toBe(400);
      expect(problem.code).toBe('validation_failed');
      expect(problem.errors).toEqual([expect.objectContaining({ field: 'success_url' })]);
    }
    const tooLong = await startPayment(id, { failure_url: `https://shop.example/${'x'.repeat(2000)}` });
    expect(tooLong.status).toBe(400);
    const wrongType = await startPayment(id, { success_url: 42 });
    expect(wrongType.status).toBe(400);
    const unknown = await startPayment(id, { successUrl: 'https://shop.example/camel' });
    expect((await jsonOf(unknown)).errors).toEqual([
      expect.objectContaining({ code: 'unknown_field', field: 'successUrl' }),
    ]);
    expect((await client.getOrder(id)).body.payment.session_id).toBe(before);
  });

  it("refuses an order's own page URLs that are not http(s) the same way", async () => {
    for (const field of ['payment_complete_url', 'payment_cancel_url']) {
      const placed = await client.placeOrder({
        payment_method: 'card',
        booker: { email: 'urls@example.com' },
        lines: [{ occurrence_id: occurrenceId, quantity: 1 }],
        [field]: 'javascript:alert(document.cookie)',
      });
      expect(placed.status, field).toBe(400);
      expect(placed.body.errors).toEqual([expect.objectContaining({ field })]);
    }
  });

  it('a payment method the provider page does not offer is 422 payment_method_unavailable', async () => {
    const id = await placeCardOrder();
    const response = await startPayment(id, { payment_method: 'mobilepay' });
    const problem = await jsonOf(response);
    expect(response.status).toBe(422);
    expect(problem).toMatchObject({ code: 'payment_method_unavailable' });
    expect(problem.errors).toEqual([expect.objectContaining({ field: 'payment_method' })]);
    expect(problem.detail).toContain('card');
  });
});
