import { jsonOf } from './fixtures';
import { eventually, type TestStack } from './test-stack';

/** The CSRF token the sandbox payment page renders into its form, as a browser submits it. */
export function paymentFormToken(pageHtml: string): string {
  const token = pageHtml.match(/name="csrf_token" value="([^"]+)"/)?.[1];
  if (!token) throw new Error('the payment page has no csrf_token field');
  return token;
}

/** A thin HTTP client for the tests: what an API client or a browser would send. */
export function orderClient(stack: TestStack, apiKey: string) {
  const headers = (extra: Record<string, string> = {}) => ({
    'X-API-Key': apiKey,
    'Content-Type': 'application/json',
    ...extra,
  });
  return {
    async placeOrder(body: unknown, idempotencyKey?: string) {
      const response = await fetch(`${stack.baseUrl}/v1/orders`, {
        method: 'POST',
        headers: headers(idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {}),
        body: JSON.stringify(body),
      });
      return { status: response.status, location: response.headers.get('location'), body: await jsonOf(response) };
    },
    async getOrder(id: string) {
      const response = await fetch(`${stack.baseUrl}/v1/orders/${id}`, { headers: headers() });
      return { status: response.status, body: await jsonOf(response) };
    },
    /**
     * Waits for the order to have the status with the API's long poll (`wait_for`); the poll
     * also ends at a status the order rests in, so it is asked again until the time is up.
     */
    async waitForStatus(id: string, status: string, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      return eventually(async () => {
        const seconds = Math.max(1, Math.min(10, Math.floor((until - Date.now()) / 1000)));
        const url = `${stack.baseUrl}/v1/orders/${id}?wait_for=${status}&timeout=${seconds}s`;
        const body = await jsonOf(await fetch(url, { headers: headers() }));
        return body.status === status ? body : undefined;
      }, timeoutMs);
    },
    async occurrence(id: string) {
      const response = await fetch(`${stack.baseUrl}/v1/catalog/occurrences?limit=200`, { headers: headers() });
      const body = await jsonOf(response);
      return body.data.find((o: { id: string }) => o.id === id);
    },
    /** What the customer's browser does on the sandbox page: submit the form, don't follow. */
    async actOnPaymentPage(
      redirectUrl: string,
      action: 'pay' | 'decline' | 'cancel',
      cardNumber = '4242424242424242',
      /** More form fields, e.g. save_card: '1'. */
      extra: Record<string, string> = {},
    ) {
      const page = await fetch(redirectUrl);
      if (page.status !== 200) throw new Error(`payment page answered ${page.status}`);
      const csrfToken = paymentFormToken(await page.text());
      const response = await fetch(redirectUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...extra, action, card_number: cardNumber, csrf_token: csrfToken }).toString(),
        redirect: 'manual',
      });
      return { status: response.status, location: response.headers.get('location') };
    },
  };
}
