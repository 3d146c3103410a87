import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmailKind, renderOrderEmail } from '../../activities/notifications/email-templates';
import { loadOrderEmailView } from '../../activities/notifications/order-email-view';
import {
  createSmtpTransport,
  deliverPendingEmails,
  type MailTransport,
  MAX_EMAIL_ATTEMPTS,
  outboxMessageId,
  queueEmails,
  SMTP_CONNECTIONS,
  startEmailDispatcher,
  tenantEmailFrom,
} from '../../activities/notifications/outbox';
import { queueOrderEmail } from '../../activities/notifications/queue-order-email';
import { createDb, type Db } from '../../db/database';
import { migrateToLatest } from '../../db/migrate';
import { findFreePort } from '../../runtime/free-port';
import { readSinkMessages, type SinkMessage, type SmtpSink, startSmtpSink } from '../../runtime/smtp-sink';

// Real PostgreSQL (a throwaway database) and a real SMTP server (the local sink): what is
// asserted is what went over an SMTP connection.

const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB_NAME = `test_outbox_${randomBytes(6).toString('hex')}`;
const PUBLIC_BASE_URL = 'http://orders.example.test';

function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

let db: Db;
let sink: SmtpSink;
let sinkDir: string;
let transport: ReturnType<typeof createSmtpTransport>;
let downTransport: ReturnType<typeof createSmtpTransport>;
let tenantId: string;
let productId: string;
let orderCounter = 0;

const TENANT_NAME = 'Fjellskolen <AS>';
const TENANT_FROM = 'post@fjellskolen.example.test';

beforeAll(async () => {
  await admin(`CREATE DATABASE ${DB_NAME}`);
  db = createDb(databaseUrl(DB_NAME));
  await migrateToLatest(db);

  tenantId = randomUUID();
  productId = randomUUID();
  await db
    .insertInto('tenants')
    .values({
      id: tenantId,
      slug: 'fjellskolen',
      name: TENANT_NAME,
      base_currency: 'nok',
      email_from: TENANT_FROM,
      webhook_secret: 'whsec_test',
    })
    .execute();
  await db
    .insertInto('products')
    .values({
      id: productId,
      tenant_id: tenantId,
      type: 'course',
      name: 'Klatrekurs',
      price: 125_000,
      vat_rate_bp: 2500,
    })
    .execute();

  sinkDir = mkdtempSync(path.join(os.tmpdir(), 'outbox-sink-'));
  sink = await startSmtpSink({ port: await findFreePort(), dir: sinkDir });
  transport = createSmtpTransport(sink.url);
  // Nothing listens on this port: every connection is refused.
  downTransport = createSmtpTransport(`smtp://127.0.0.1:${await findFreePort()}`);
}, 60_000);

afterAll(async () => {
  transport?.close();
  downTransport?.close();
  await sink?.stop();
  await db?.destroy();
  await admin(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  if (sinkDir) rmSync(sinkDir, { recursive: true, force: true });
}, 60_000);

interface OrderFixture {
  bookerEmail?: string | null;
  bookerName?: string;
  invoiceEmail?: string;
  participants?: (string | null)[];
  sendToParticipants?: boolean;
  language?: string;
  paymentMethod?: 'card' | 'invoice' | 'free';
}

async function createOrder(fixture: OrderFixture = {}): Promise<{ orderId: string; number: number }> {
  orderCounter += 1;
  const orderId = randomUUID();
  const number = 1000 + orderCounter;
  await db
    .insertInto('orders')
    .values({
      id: orderId,
      tenant_id: tenantId,
      number,
      workflow_id: `order-${orderId}`,
      status: 'booked',
      currency: 'nok',
      payment_method: fixture.paymentMethod ?? 'card',
      booker: JSON.stringify({ name: fixture.bookerName ?? 'Kari Nordmann', email: fixture.bookerEmail ?? null }),
      booker_email: fixture.bookerEmail === undefined ? 'kari@example.test' : fixture.bookerEmail,
      invoice_details: fixture.invoiceEmail
        ? JSON.stringify({ email: fixture.invoiceEmail, firstname: 'Regnskap' })
        : null,
      notes: '{}',
      client: JSON.stringify(fixture.language ? { language: fixture.language } : {}),
      config: JSON.stringify({ send_receipt_email_to_participant: fixture.sendToParticipants ?? false }),
      total_before_discounts: 250_000,
      total_discounts: 0,
      total_excl_vat: 200_000,
      total_vat: 50_000,
      total_incl_vat: 250_000,
      vat_summary: JSON.stringify([{ rate_bp: 2500, base: 200_000, amount: 50_000 }]),
      preliminary_until: new Date(Date.now() + 30 * 60_000),
    })
    .execute();
  await db
    .insertInto('order_lines')
    .values({
      id: randomUUID(),
      tenant_id: tenantId,
      order_id: orderId,
      position: 0,
      product_id: productId,
      description: 'Klatrekurs <nybegynner>',
      quantity: 2,
      unit_price: 125_000,
      before_discounts: 250_000,
      discount: 0,
      vat_rate_bp: 2500,
      excl_vat: 200_000,
      vat: 50_000,
      incl_vat: 250_000,
    })
    .execute();
  const participants = fixture.participants ?? [];
  if (participants.length > 0) {
    await db
      .insertInto('participants')
      .values(
        participants.map((email, position) => ({
          id: randomUUID(),
          tenant_id: tenantId,
          order_id: orderId,
          position,
          firstname: `Deltaker${position}`,
          lastname: 'Test',
          email,
          details: '{}',
        })),
      )
      .execute();
  }
  return { orderId, number };
}

async function sinkMessagesFor(orderId: string): Promise<SinkMessage[]> {
  return (await readSinkMessages(sinkDir)).filter((m) => m.messageId?.includes(orderId));
}

async function outboxRows(orderId: string) {
  return db
    .selectFrom('email_outbox')
    .selectAll()
    .select(sql<boolean>`next_attempt_at > now()`.as('in_future'))
    .where('order_id', '=', orderId)
    .orderBy('recipient')
    .execute();
}

const deps = () => ({ db, transport, publicBaseUrl: PUBLIC_BASE_URL });
const from = () => tenantEmailFrom(db);

describe('email outbox (PostgreSQL + SMTP sink)', { timeout: 30_000 }, () => {
  it('loads the order view from the order rows', async () => {
    const { orderId, number } = await createOrder({
      language: 'nb-NO',
      sendToParticipants: true,
      invoiceEmail: 'faktura@example.test',
      participants: ['ola@example.test', null, ''],
    });
    await db
      .insertInto('payments')
      .values({
        id: randomUUID(),
        tenant_id: tenantId,
        order_id: orderId,
        kind: 'charge',
        provider: 'sandbox',
        provider_session_id: `ps_${orderId}`,
        amount: 250_000,
        currency: 'nok',
        status: 'pending',
        redirect_url: '/sandbox-psp/pay/abc',
        idempotency_key: `charge-${orderId}`,
      })
      .execute();
    const loaded = await loadOrderEmailView(db, orderId, { publicBaseUrl: PUBLIC_BASE_URL });
    expect(loaded.tenantId).toBe(tenantId);
    expect(loaded.language).toBe('nb-NO');
    expect(loaded.sendToParticipants).toBe(true);
    expect(loaded.recipients).toEqual({
      booker: 'kari@example.test',
      invoice: 'faktura@example.test',
      participants: ['ola@example.test'],
    });
    expect(loaded.view).toMatchObject({
      tenantName: TENANT_NAME,
      orderNumber: number,
      orderId,
      customerName: 'Kari Nordmann',
      currency: 'nok',
      lines: [{ description: 'Klatrekurs <nybegynner>', quantity: 2, inclVat: 250_000 }],
      totals: { exclVat: 200_000, vat: 50_000, inclVat: 250_000 },
      vatSummary: [{ rateBp: 2500, base: 200_000, amount: 50_000 }],
      paymentUrl: `${PUBLIC_BASE_URL}/sandbox-psp/pay/abc`,
      documentNumber: null,
      dueDate: null,
      refundAmount: null,
    });
    expect(loaded.view.preliminaryUntil).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('sends a receipt once per recipient, however often it is queued', async () => {
    const { orderId, number } = await createOrder({
      bookerEmail: 'kari@example.test',
      language: 'nb-NO',
      sendToParticipants: true,
      participants: ['ola@example.test', 'KARI@example.test', null],
    });
    const input = { tenantId, orderId, kind: 'receipt' as EmailKind };

    expect(await queueOrderEmail(deps(), input)).toEqual({ queued: 2 });
    expect(await queueOrderEmail(deps(), input)).toEqual({ queued: 2 });
    // Concurrent retries of the activity do not send again either.
    await Promise.all([queueOrderEmail(deps(), input), queueOrderEmail(deps(), input)]);

    const messages = await sinkMessagesFor(orderId);
    expect(messages).toHaveLength(2);
    const byRecipient = new Map(messages.map((m) => [m.to.join(','), m]));
    expect([...byRecipient.keys()].sort()).toEqual(['kari@example.test', 'ola@example.test']);
    for (const [recipient, message] of byRecipient) {
      expect(message.subject).toBe(`Kvittering for bestilling ${number} – ${TENANT_NAME}`);
      expect(message.messageId).toBe(outboxMessageId('receipt', orderId, recipient));
      expect(message.from).toContain(TENANT_FROM);
      expect(message.text).toContain('2500.00 NOK');
      expect(message.html).toContain('Klatrekurs &lt;nybegynner&gt;');
    }

    const rows = await outboxRows(orderId);
    expect(rows.map((r) => [r.recipient, r.status, r.attempts])).toEqual([
      ['kari@example.test', 'sent', 1],
      ['ola@example.test', 'sent', 1],
    ]);
    expect(rows.every((r) => r.sent_at instanceof Date && r.last_error === null)).toBe(true);
  });

  it(
    'sends only to the booker when participants are not asked for, and the invoice ' + 'to the invoice address',
    async () => {
      const { orderId, number } = await createOrder({
        language: 'en-GB',
        paymentMethod: 'invoice',
        invoiceEmail: 'Faktura@Company.example.test',
        participants: ['ola@example.test'],
      });
      await db
        .insertInto('invoices')
        .values({
          id: randomUUID(),
          tenant_id: tenantId,
          order_id: orderId,
          kind: 'invoice',
          series: 'invoice',
          number: orderCounter,
          document_number: `F-${orderCounter}`,
          currency: 'nok',
          total_excl_vat: 200_000,
          total_vat: 50_000,
          total_incl_vat: 250_000,
          vat_summary: '[]',
          lines: '[]',
          seller: '{}',
          buyer: '{}',
          status: 'open',
          due_at: new Date('2030-01-15T00:00:00Z'),
        })
        .execute();

      await queueOrderEmail(deps(), { tenantId, orderId, kind: 'invoice' });
      await queueOrderEmail(deps(), { tenantId, orderId, kind: 'receipt' });

      const messages = await sinkMessagesFor(orderId);
      // (nodemailer lower-cases the domain of the envelope address)
      expect(messages.map((m) => [m.to.join(',').toLowerCase(), m.subject]).sort()).toEqual(
        [
          ['faktura@company.example.test', `Invoice F-${orderCounter} for order ${number} – ${TENANT_NAME}`],
          ['kari@example.test', `Receipt for order ${number} – ${TENANT_NAME}`],
        ].sort(),
      );
      const rows = await outboxRows(orderId);
      expect(rows.map((r) => [r.kind, r.recipient, r.status])).toEqual([
        ['invoice', 'Faktura@Company.example.test', 'sent'],
        ['receipt', 'kari@example.test', 'sent'],
      ]);
      const invoice = messages.find((m) => m.subject.startsWith('Invoice'))!;
      expect(invoice.text).toContain('to be paid by 15 January 2030');
    },
  );

  it('queues nothing for an order without an address', async () => {
    const { orderId } = await createOrder({ bookerEmail: null });
    expect(await queueOrderEmail(deps(), { tenantId, orderId, kind: 'expired' })).toEqual({ queued: 0 });
    expect(await outboxRows(orderId)).toEqual([]);
  });

  it('refuses an order of another tenant', async () => {
    const { orderId } = await createOrder();
    await expect(queueOrderEmail(deps(), { tenantId: randomUUID(), orderId, kind: 'receipt' })).rejects.toThrow(
      /does not belong/,
    );
  });

  it('keeps mail pending while SMTP is down and delivers it once when it is back', async () => {
    const { orderId, number } = await createOrder({
      language: 'en',
      sendToParticipants: true,
      participants: ['ola@example.test'],
    });
    const input = { tenantId, orderId, kind: 'receipt' as EmailKind };

    // SMTP down: no throw, rows stay pending with one attempt and a retry time in the future.
    await expect(queueOrderEmail({ ...deps(), transport: downTransport }, input)).resolves.toEqual({ queued: 2 });
    let rows = await outboxRows(orderId);
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.status).toBe('pending');
      expect(row.attempts).toBe(1);
      expect(row.in_future).toBe(true);
      expect(row.sent_at).toBeNull();
      expect(row.last_error).toMatch(/ECONNREFUSED|ESOCKET|ECONNECTION/);
    }
    expect(await sinkMessagesFor(orderId)).toHaveLength(0);

    // Not due yet: even a working transport leaves them alone.
    const ids = rows.map((r) => r.id);
    expect(await deliverPendingEmails(db, transport, { ids, from: from() })).toEqual({ sent: 0, failed: 0 });
    // A repeated activity call does not resend or reset the schedule either.
    await queueOrderEmail(deps(), input);
    expect(await sinkMessagesFor(orderId)).toHaveLength(0);

    // Retry time reached, SMTP back.
    await db.updateTable('email_outbox').set({ next_attempt_at: sql<Date>`now()` }).where('id', 'in', ids).execute();
    expect(await deliverPendingEmails(db, transport, { ids, from: from() })).toEqual({ sent: 2, failed: 0 });
    expect(await deliverPendingEmails(db, transport, { ids, from: from() })).toEqual({ sent: 0, failed: 0 });

    const messages = await sinkMessagesFor(orderId);
    expect(messages.map((m) => m.to.join(',')).sort()).toEqual(['kari@example.test', 'ola@example.test']);
    for (const message of messages) {
      expect(message.subject).toBe(`Receipt for order ${number} – ${TENANT_NAME}`);
      expect(message.messageId).toBe(outboxMessageId('receipt', orderId, message.to[0]!));
    }
    rows = await outboxRows(orderId);
    expect(rows.map((r) => [r.status, r.attempts])).toEqual([
      ['sent', 2],
      ['sent', 2],
    ]);
  });

  it('gives a row up after the last attempt', async () => {
    const { orderId } = await createOrder();
    const [id] = await queueEmails(db, [
      {
        tenantId,
        orderId,
        kind: 'cancelled',
        recipient: 'kari@example.test',
        subject: 's',
        html: '<p>h</p>',
        text: 't',
      },
    ]);
    await db
      .updateTable('email_outbox')
      .set({ attempts: MAX_EMAIL_ATTEMPTS - 1 })
      .where('id', '=', id!)
      .execute();
    expect(await deliverPendingEmails(db, downTransport, { ids: [id!], from: from() })).toEqual({ sent: 0, failed: 1 });
    const row = await db.selectFrom('email_outbox').selectAll().where('id', '=', id!).executeTakeFirstOrThrow();
    expect(row.status).toBe('failed');
    expect(row.attempts).toBe(MAX_EMAIL_ATTEMPTS);
    // A failed row is not picked up again.
    await db.updateTable('email_outbox').set({ next_attempt_at: sql<Date>`now()` }).where('id', '=', id!).execute();
    expect(await deliverPendingEmails(db, transport, { ids: [id!], from: from() })).toEqual({ sent: 0, failed: 0 });
  });

  it('never sends a row twice from concurrent deliveries', async () => {
    const { orderId, number } = await createOrder();
    const email = renderOrderEmail('cancelled', 'en', (await loadOrderEmailView(db, orderId)).view);
    const recipients = Array.from({ length: 8 }, (_, i) => `person${i}@example.test`);
    const ids = await queueEmails(
      db,
      recipients.map((recipient) => ({ tenantId, orderId, kind: 'cancelled', recipient, ...email })),
    );
    expect(ids).toHaveLength(8);
    // Same keys again (different case): the same ids, nothing new.
    expect(
      await queueEmails(
        db,
        recipients.map((recipient) => ({
          tenantId,
          orderId,
          kind: 'cancelled',
          recipient: recipient.toUpperCase(),
          ...email,
        })),
      ),
    ).toEqual(ids);

    // Two dispatchers with their own connections, each slow enough to overlap.
    const second = createSmtpTransport(sink.url);
    const slow = (t: MailTransport): MailTransport => ({
      sendMail: (async (mail: Parameters<MailTransport['sendMail']>[0]) => {
        await new Promise((resolve) => setTimeout(resolve, 25));
        return t.sendMail(mail);
      }) as MailTransport['sendMail'],
    });
    try {
      const results = await Promise.all([
        deliverPendingEmails(db, slow(transport), { ids, from: from() }),
        deliverPendingEmails(db, slow(second), { ids, from: from() }),
      ]);
      expect(results[0]!.sent + results[1]!.sent).toBe(8);
      expect(results[0]!.failed + results[1]!.failed).toBe(0);
      // Both really worked (the rows were shared, not taken by one side).
      expect(results[0]!.sent).toBeGreaterThan(0);
      expect(results[1]!.sent).toBeGreaterThan(0);
    } finally {
      second.close();
    }

    const messages = await sinkMessagesFor(orderId);
    expect(messages).toHaveLength(8);
    expect(new Set(messages.map((m) => m.messageId)).size).toBe(8);
    expect(messages.map((m) => m.to.join(',')).sort()).toEqual([...recipients].sort());
    expect(messages.every((m) => m.subject === `Order ${number} has been cancelled – ${TENANT_NAME}`)).toBe(true);
  });

  it('a burst of mail holds at most one database connection per SMTP connection', async () => {
    const { orderId } = await createOrder();
    const email = renderOrderEmail('cancelled', 'en', (await loadOrderEmailView(db, orderId)).view);
    const ids = await queueEmails(
      db,
      Array.from({ length: 12 }, (_, i) => ({
        tenantId,
        orderId,
        kind: 'cancelled' as const,
        recipient: `burst${i}@example.test`,
        ...email,
      })),
    );
    // A slow SMTP server, and twelve deliveries at once (each order activity starts one).
    let sending = 0;
    let mostSending = 0;
    let mostInTransaction = 0;
    const slow: MailTransport = {
      sendMail: (async (mail: Parameters<MailTransport['sendMail']>[0]) => {
        sending += 1;
        mostSending = Math.max(mostSending, sending);
        const { rows } = await sql<{ n: number }>`
          SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND state = 'idle in transaction'`.execute(observer);
        mostInTransaction = Math.max(mostInTransaction, rows[0]!.n);
        await new Promise((resolve) => setTimeout(resolve, 30));
        sending -= 1;
        return transport.sendMail(mail);
      }) as MailTransport['sendMail'],
    };
    const observer = createDb(databaseUrl(DB_NAME), { maxConnections: 1 });
    try {
      const results = await Promise.all(ids.map((id) => deliverPendingEmails(db, slow, { ids: [id], from: from() })));
      expect(results.reduce((n, r) => n + r.sent, 0)).toBe(12);
    } finally {
      await observer.destroy();
    }
    expect(mostSending).toBe(SMTP_CONNECTIONS);
    // The sends' own transactions (the observer's query is not idle in one).
    expect(mostInTransaction).toBeLessThanOrEqual(SMTP_CONNECTIONS);
    expect(await sinkMessagesFor(orderId)).toHaveLength(12);
  });

  it('the dispatcher delivers due rows in the background and stops cleanly', async () => {
    const { orderId } = await createOrder();
    const [id] = await queueEmails(db, [
      {
        tenantId,
        orderId,
        kind: 'expiring_soon',
        recipient: 'kari@example.test',
        subject: 'Soon',
        html: '<p>soon</p>',
        text: 'soon',
      },
    ]);
    const logged: string[] = [];
    const logger = {
      info: (_: object, msg?: string) => void logged.push(`info ${msg}`),
      warn: (_: object, msg?: string) => void logged.push(`warn ${msg}`),
      error: (_: object, msg?: string) => void logged.push(`error ${msg}`),
    };
    const dispatcher = startEmailDispatcher(db, transport, { intervalMs: 50, from: from(), logger });
    try {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const row = await db
          .selectFrom('email_outbox')
          .select('status')
          .where('id', '=', id!)
          .executeTakeFirstOrThrow();
        if (row.status === 'sent') break;
        if (Date.now() > deadline) throw new Error('dispatcher did not send the row');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await dispatcher.stop();
    }
    const messages = await sinkMessagesFor(orderId);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.subject).toBe('Soon');
    expect(logged).toContain('info emails delivered');
    expect(logged.filter((l) => l.startsWith('error'))).toEqual([]);
  });
});
