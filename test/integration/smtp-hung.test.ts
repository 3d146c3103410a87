import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../runtime/free-port';
import { createOccurrence, createProduct, createTenant, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

// An SMTP server that accepts connections and never says a word: the mail waits in the outbox,
// the orders do not wait for it.

let hung: Server;
const sockets: Socket[] = [];
let stack: TestStack;
let tenant: TestTenant;
let client: ReturnType<typeof orderClient>;

beforeAll(async () => {
  const port = await findFreePort();
  hung = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => hung.listen(port, '127.0.0.1', resolve));
  stack = await startTestStack({ smtpUrl: `smtp://127.0.0.1:${port}` });
  tenant = await createTenant(stack.database.db);
  client = orderClient(stack, tenant.apiKey);
});
afterAll(async () => {
  await stack.stop();
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => hung.close(() => resolve()));
});

describe('a hung SMTP server', () => {
  it('costs the orders nothing: they complete and their mail stays pending in the outbox', async () => {
    const course = await createProduct(stack.database.db, tenant.id, { price: 10_000, name: 'Course' });
    const occurrence = await createOccurrence(stack.database.db, tenant.id, course, { capacity: 20 });
    const placed = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        client.placeOrder({
          payment_method: 'card',
          booker: { email: `hung${i}@example.com` },
          lines: [{ occurrence_id: occurrence, quantity: 1 }],
        }),
      ),
    );
    for (const order of placed) {
      expect(order.status).toBe(201);
      await client.actOnPaymentPage(order.body.payment.redirect_url, 'pay');
    }
    // Each order step waits for its mail a second at most; 10 s is far more than five orders need.
    for (const order of placed) await client.waitForStatus(order.body.id, 'completed', 10_000);
    // The order is completed in one transaction and its receipt queued right after it: the wait is
    // for every receipt row to exist, however slow the machine.
    const outbox = await eventually(async () => {
      const rows = await stack.database.db
        .selectFrom('email_outbox')
        .select(['kind', 'status'])
        .where(
          'order_id',
          'in',
          placed.map((o) => o.body.id),
        )
        .execute();
      return rows.filter((m) => m.kind === 'receipt').length >= 5 ? rows : undefined;
    }, 10_000);
    expect(outbox.filter((m) => m.kind === 'receipt')).toHaveLength(5);
    expect(outbox.every((m) => m.status !== 'sent')).toBe(true);
  }, 60_000);
});
