import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addApiKey, createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

// Marking an invoice paid by id or by number: for invoices without an external id, and for open
// invoices that share one (the external-id route can only answer 409 for those).

let stack: TestStack;
let tenant: TestTenant;
let other: TestTenant;
let occurrenceId: string;
let client: ReturnType<typeof orderClient>;

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await createTenant(stack.database.db);
  other = await createTenant(stack.database.db);
  const course = await createProduct(stack.database.db, tenant.id, { price: 100_000, name: 'Course' });
  occurrenceId = await createOccurrence(stack.database.db, tenant.id, course, { capacity: 50 });
  client = orderClient(stack, tenant.apiKey);
});
afterAll(async () => stack.stop());

function put(path: string, body?: unknown, key = tenant.apiKey) {
  return fetch(`${stack.baseUrl}${path}`, {
    method: 'PUT',
    headers: { 'X-API-Key': key, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function expectProblem(response: Response, status: number, code: string) {
  const body = await jsonOf(response);
  expect({ status: response.status, code: body.code }, JSON.stringify(body)).toEqual({ status, code });
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return body;
}

/** An invoiced order and its open invoice (125 000 incl. VAT). */
async function invoiced(tag: string, externalId?: string) {
  const placed = await client.placeOrder({
    payment_method: 'invoice',
    booker: { email: `${tag}@example.com` },
    ...(externalId ? { external_id: externalId } : {}),
    lines: [
      {
        occurrence_id: occurrenceId,
        participants: [{ firstname: 'Kari', lastname: 'Nordmann', email: `${tag}-p@example.com` }],
      },
    ],
  });
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  const order = await client.waitForStatus(placed.body.id, 'invoiced');
  const invoice = order.documents.find((d: { kind: string }) => d.kind === 'invoice');
  expect(invoice).toMatchObject({ status: 'open', total_incl_vat: 125_000 });
  return { order, invoice: invoice as { id: string; number: string; total_incl_vat: number } };
}

describe('PUT /v1/invoices/{id}/paid and /v1/invoices/by-number/{number}/paid', () => {
  it('an invoice without external id: part paid by id, the rest by number; the order completes', async () => {
    const { order, invoice } = await invoiced('no-external-id');
    expect(order.external_id).toBeNull();

    expect((await put(`/v1/invoices/${invoice.id}/paid`, { amount: 25_000, reference: 'bank-1' })).status).toBe(204);
    // The same bank payment reported again counts once.
    expect((await put(`/v1/invoices/${invoice.id}/paid`, { amount: 25_000, reference: 'bank-1' })).status).toBe(204);
    const partly = await eventually(async () => {
      const current = (await client.getOrder(order.id)).body;
      return current.left_to_pay === 100_000 ? current : undefined;
    });
    expect(partly.status).toBe('invoiced');

    expect((await put(`/v1/invoices/by-number/${encodeURIComponent(invoice.number)}/paid`)).status).toBe(204);
    const completed = await client.waitForStatus(order.id, 'completed');
    expect(completed.left_to_pay).toBe(0);
    expect(completed.documents.find((d: { kind: string }) => d.kind === 'invoice').status).toBe('paid');

    // Already paid: 204 again, nothing more is recorded.
    expect((await put(`/v1/invoices/${invoice.id}/paid`, { amount: 1, reference: 'late' })).status).toBe(204);
    expect((await put(`/v1/invoices/by-number/${encodeURIComponent(invoice.number)}/paid`)).status).toBe(204);
  });

  it('two open invoices sharing an external id: 409 pointing at the by-id route, then each settled by id', async () => {
    const shared = `shared-${crypto.randomUUID()}`;
    const first = await invoiced('shared-1', shared);
    const second = await invoiced('shared-2', shared);

    const ambiguous = await put(`/v1/invoices/by-external-id/${shared}/paid`);
    const problem = await expectProblem(ambiguous, 409, 'external_id_ambiguous');
    expect(problem.detail).toContain('PUT /v1/invoices/{id}/paid');
    expect(problem.detail).toContain(first.invoice.id);
    expect(problem.detail).toContain(second.invoice.id);

    expect((await put(`/v1/invoices/${first.invoice.id}/paid`)).status).toBe(204);
    await client.waitForStatus(first.order.id, 'completed');
    expect((await client.getOrder(second.order.id)).body.status).toBe('invoiced');
    // One open invoice left: the external id is unambiguous again.
    expect((await put(`/v1/invoices/by-external-id/${shared}/paid`, { reference: 'bank-2' })).status).toBe(204);
    await client.waitForStatus(second.order.id, 'completed');
  });

  it("another tenant's invoice, an unknown or malformed id and an unknown number are 404", async () => {
    const { invoice } = await invoiced('foreign');
    await expectProblem(await put(`/v1/invoices/${invoice.id}/paid`, {}, other.apiKey), 404, 'not_found');
    const byNumber = `/v1/invoices/by-number/${encodeURIComponent(invoice.number)}/paid`;
    await expectProblem(await put(byNumber, {}, other.apiKey), 404, 'not_found');
    await expectProblem(await put(`/v1/invoices/${crypto.randomUUID()}/paid`), 404, 'not_found');
    await expectProblem(await put('/v1/invoices/not-a-uuid/paid'), 404, 'not_found');
    await expectProblem(await put('/v1/invoices/by-number/1999-999999/paid'), 404, 'not_found');
  });

  it('a credited invoice and its credit note are 409 invoice_not_payable; bad bodies are 400', async () => {
    const { order, invoice } = await invoiced('credited');
    await expectProblem(await put(`/v1/invoices/${invoice.id}/paid`, { amount: 0 }), 400, 'validation_failed');
    const unknownField = await put(`/v1/invoices/${invoice.id}/paid`, { amount: 10, bank: 'x' });
    await expectProblem(unknownField, 400, 'validation_failed');

    const cancelled = await fetch(`${stack.baseUrl}/v1/orders/${order.id}`, {
      method: 'DELETE',
      headers: { 'X-API-Key': tenant.apiKey },
    });
    expect(cancelled.status).toBe(204);
    const after = await client.waitForStatus(order.id, 'cancelled');
    const credit = after.documents.find((d: { kind: string }) => d.kind === 'credit_note');
    await expectProblem(await put(`/v1/invoices/${invoice.id}/paid`), 409, 'invoice_not_payable');
    const creditNote = await put(`/v1/invoices/by-number/${encodeURIComponent(credit.number)}/paid`);
    await expectProblem(creditNote, 409, 'invoice_not_payable');
  });

  it('needs the invoices scope and is in the OpenAPI document', async () => {
    const doc = await jsonOf(await fetch(`${stack.baseUrl}/openapi.json`));
    for (const path of ['/v1/invoices/{id}/paid', '/v1/invoices/by-number/{number}/paid']) {
      expect(doc.paths[path]?.put?.requestBody?.content?.['application/json']?.schema, path).toBeDefined();
      expect(Object.keys(doc.paths[path].put.responses), path).toEqual(expect.arrayContaining(['204', '404', '409']));
    }
    const readOnly = await addApiKey(stack.database.db, tenant.id, ['orders:read']);
    await expectProblem(await put(`/v1/invoices/${crypto.randomUUID()}/paid`, {}, readOnly), 403, 'missing_scope');
  });
});
