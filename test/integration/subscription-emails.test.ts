import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailTransport } from '../../activities/notifications/outbox';
import {
  queueSubscriptionEmail,
  type QueueSubscriptionEmailInput,
  type SubscriptionEmailKind,
  subscriptionOutboxKind,
} from '../../activities/notifications/queue-subscription-email';
import type { Db } from '../../db/database';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

// Real PostgreSQL (a throwaway database), rows written directly (no workflow): what is asserted is
// the outbox row each call leaves and what the transport was handed.

const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PUBLIC_BASE_URL = 'http://orders.example.test';
const PAY_URL = 'https://pay.example.test/renewal/42?x=1';

let testDb: TestDatabase;
let db: Db;
let tenantId: string;
let productId: string;
let periodId: string;
let orderCounter = 0;
let subscriptionCounter = 0;
const sent: { to: string; subject: string; messageId: string }[] = [];

const transport: MailTransport = {
  async sendMail(mail: { to: string; subject: string; messageId: string }) {
    sent.push({ to: mail.to, subject: mail.subject, messageId: mail.messageId });
    return {};
  },
};

function deps() {
  return { db, transport, publicBaseUrl: PUBLIC_BASE_URL, from: () => 'avisen@example.test' };
}

beforeAll(async () => {
  testDb = await createTestDatabase(ADMIN_URL);
  db = testDb.db;
  tenantId = randomUUID();
  productId = randomUUID();
  periodId = randomUUID();
  await db
    .insertInto('tenants')
    .values({
      id: tenantId,
      slug: 'dagsavisen',
      name: 'Dagsavisen <AS>',
      base_currency: 'nok',
      email_from: 'avisen@example.test',
      webhook_secret: 'whsec_test',
    })
    .execute();
  await db
    .insertInto('products')
    .values({ id: productId, tenant_id: tenantId, type: 'subscription', name: 'Daily News', price: 0, vat_rate_bp: 0 })
    .execute();
  await db
    .insertInto('subscription_periods')
    .values({
      id: periodId,
      tenant_id: tenantId,
      product_id: productId,
      code: 'monthly',
      name: 'Monthly',
      length_unit: 'month',
      length_count: 1,
      price: 14_900,
      payment_methods: ['card', 'invoice'],
    })
    .execute();
}, 60_000);

afterAll(async () => {
  await testDb?.drop();
}, 60_000);

interface OrderFixture {
  language?: string;
  lines?: number;
}

/** A completed order for `lines` subscription lines; answers its id and line ids. */
async function createOrder(fixture: OrderFixture = {}): Promise<{ orderId: string; lineIds: string[] }> {
  orderCounter += 1;
  const orderId = randomUUID();
  await db
    .insertInto('orders')
    .values({
      id: orderId,
      tenant_id: tenantId,
      number: 1000 + orderCounter,
      workflow_id: `order-${orderId}`,
      status: 'completed',
      currency: 'nok',
      payment_method: 'card',
      booker: JSON.stringify({ name: 'Kari Nordmann', email: 'kari@example.test' }),
      booker_email: 'kari@example.test',
      notes: '{}',
      client: JSON.stringify(fixture.language ? { language: fixture.language } : {}),
      config: '{}',
      total_before_discounts: 14_900,
      total_discounts: 0,
      total_excl_vat: 14_900,
      total_vat: 0,
      total_incl_vat: 14_900,
      vat_summary: JSON.stringify([{ rate_bp: 0, base: 14_900, amount: 0 }]),
    })
    .execute();
  const lineIds = Array.from({ length: fixture.lines ?? 1 }, () => randomUUID());
  await db
    .insertInto('order_lines')
    .values(
      lineIds.map((id, position) => ({
        id,
        tenant_id: tenantId,
        order_id: orderId,
        position,
        product_id: productId,
        description: 'Daily News — Monthly',
        quantity: 1,
        unit_price: 14_900,
        before_discounts: 14_900,
        discount: 0,
        vat_rate_bp: 0,
        excl_vat: 14_900,
        vat: 0,
        incl_vat: 14_900,
        subscription_period_id: periodId,
        start_date: '2026-01-01',
      })),
    )
    .execute();
  return { orderId, lineIds };
}

interface SubscriptionFixture {
  orderId: string;
  lineId: string;
  customerEmail?: string | null;
  paymentMethod?: string;
  /** Write its first cycle (subscription_cycles.order_id is unique: one order's second subscription can't). */
  firstCycle?: boolean;
}

async function createSubscription(fixture: SubscriptionFixture): Promise<{ id: string; number: number }> {
  subscriptionCounter += 1;
  const id = randomUUID();
  await db
    .insertInto('subscriptions')
    .values({
      id,
      tenant_id: tenantId,
      number: subscriptionCounter,
      product_id: productId,
      period_id: periodId,
      order_id: fixture.orderId,
      order_line_id: fixture.lineId,
      customer_email: fixture.customerEmail === undefined ? 'Kari@Example.test' : fixture.customerEmail,
      payment_method: fixture.paymentMethod ?? 'card',
      start_date: '2026-01-01',
      current_period_end: '2026-02-01',
      cancel_at_period_end: true,
      cancel_reason: 'Moving <abroad>',
    })
    .execute();
  if (fixture.firstCycle === false) return { id, number: subscriptionCounter };
  await db
    .insertInto('subscription_cycles')
    .values({
      id: randomUUID(),
      tenant_id: tenantId,
      subscription_id: id,
      sequence: 1,
      period_id: periodId,
      start_date: '2026-01-01',
      end_date: '2026-02-01',
      order_id: fixture.orderId,
      order_number: 1000 + orderCounter,
      status: 'paid',
    })
    .execute();
  return { id, number: subscriptionCounter };
}

function outboxRows(orderId: string) {
  return db
    .selectFrom('email_outbox')
    .select(['kind', 'recipient', 'subject', 'text', 'html', 'status', 'message_id', 'order_id'])
    .where('order_id', '=', orderId)
    .orderBy('kind')
    .execute();
}

function input(subscriptionId: string, kind: SubscriptionEmailKind, extra: Partial<QueueSubscriptionEmailInput> = {}) {
  return { tenantId, subscriptionId, kind, ...extra };
}

const KINDS: SubscriptionEmailKind[] = ['welcome', 'renewal_notice', 'payment_failed', 'suspended', 'cancelled'];

describe('queueSubscriptionEmail', () => {
  it('queues each kind once, however often it is called, in the order language', async () => {
    const { orderId, lineIds } = await createOrder({ language: 'nb-NO' });
    const subscription = await createSubscription({ orderId, lineId: lineIds[0]! });
    const extra: Record<SubscriptionEmailKind, Partial<QueueSubscriptionEmailInput>> = {
      welcome: {},
      renewal_notice: { sequence: 2, renewalDate: '2026-02-01' },
      payment_failed: { sequence: 2, payUrl: PAY_URL, retryDate: '2026-02-04' },
      suspended: { sequence: 2, payUrl: PAY_URL },
      cancelled: {},
    };
    const sentBefore = sent.length;
    for (const kind of KINDS) {
      await queueSubscriptionEmail(deps(), input(subscription.id, kind, extra[kind]));
      await queueSubscriptionEmail(deps(), input(subscription.id, kind, extra[kind]));
    }

    const rows = await outboxRows(orderId);
    expect(rows.map((r) => r.kind).sort()).toEqual(
      KINDS.map((kind) => subscriptionOutboxKind(kind, subscription.id, extra[kind].sequence)).sort(),
    );
    const byKind = new Map(rows.map((r) => [r.kind.split('.')[0], r]));
    for (const row of rows) {
      expect(row.recipient).toBe('Kari@Example.test');
      expect(row.order_id).toBe(orderId);
      expect(row.status).toBe('sent');
      expect(row.message_id).toMatch(new RegExp(`^<subscription_[a-z_]+_\\d\\.${subscription.id}\\.${orderId}\\.`));
    }
    const n = subscription.number;
    expect(byKind.get('subscription_welcome_1')!.subject).toBe(
      `Velkommen som abonnent – abonnement ${n} – Dagsavisen <AS>`,
    );
    expect(byKind.get('subscription_welcome_1')!.text).toContain('Første periode: 1. januar 2026 – 31. januar 2026.');
    expect(byKind.get('subscription_renewal_notice_2')!.subject).toBe(
      `Abonnement ${n} fornyes 1. februar 2026 – Dagsavisen <AS>`,
    );
    expect(byKind.get('subscription_renewal_notice_2')!.text).toContain('Pris for perioden: 149.00 NOK.');
    expect(byKind.get('subscription_payment_failed_2')!.subject).toBe(
      `Betalingen for abonnement ${n} feilet – Dagsavisen <AS>`,
    );
    expect(byKind.get('subscription_payment_failed_2')!.text).toContain(PAY_URL);
    expect(byKind.get('subscription_payment_failed_2')!.text).toContain('igjen 4. februar 2026');
    expect(byKind.get('subscription_suspended_2')!.html).toContain(
      'href="https://pay.example.test/renewal/42?x&#x3D;1"',
    );
    expect(byKind.get('subscription_cancelled_1')!.text).toContain('til og med 31. januar 2026');
    expect(byKind.get('subscription_cancelled_1')!.html).toContain('Årsak: Moving &lt;abroad&gt;');

    // Each mail went over the transport once.
    const mine = sent.slice(sentBefore);
    expect(mine).toHaveLength(KINDS.length);
    expect(new Set(mine.map((m) => m.messageId)).size).toBe(KINDS.length);
    expect(mine.every((m) => m.to === 'Kari@Example.test')).toBe(true);
  });

  it('a new sequence of a kind is a new mail; a repeated one is not', async () => {
    const { orderId, lineIds } = await createOrder();
    const subscription = await createSubscription({ orderId, lineId: lineIds[0]! });
    for (const sequence of [1, 2, 2, 3, 1]) {
      await queueSubscriptionEmail(deps(), input(subscription.id, 'payment_failed', { sequence, payUrl: PAY_URL }));
    }
    const rows = await outboxRows(orderId);
    expect(rows.map((r) => r.kind)).toEqual(
      [1, 2, 3].map((s) => subscriptionOutboxKind('payment_failed', subscription.id, s)),
    );
    // No language on the order and the tenant's default locale: English.
    expect(rows[0]!.subject).toBe(`Payment for subscription ${subscription.number} failed – Dagsavisen <AS>`);
  });

  it('keeps the mails of two subscriptions bought by one order apart', async () => {
    // The same booker buys two subscriptions in one order: same order_id, same recipient.
    const { orderId, lineIds } = await createOrder({ lines: 2 });
    const first = await createSubscription({ orderId, lineId: lineIds[0]! });
    const second = await createSubscription({ orderId, lineId: lineIds[1]!, firstCycle: false });
    await queueSubscriptionEmail(deps(), input(first.id, 'welcome'));
    await queueSubscriptionEmail(deps(), input(second.id, 'welcome'));
    await queueSubscriptionEmail(deps(), input(first.id, 'welcome'));
    const rows = await outboxRows(orderId);
    expect(rows.map((r) => r.subject).sort()).toEqual(
      [first.number, second.number].map((n) => `Welcome to subscription ${n} – Dagsavisen <AS>`).sort(),
    );
    expect(rows.every((r) => r.recipient === 'Kari@Example.test')).toBe(true);
    // Without a first cycle the welcome falls back to the subscription's own dates.
    expect(rows.find((r) => r.subject.includes(` ${second.number} `))!.text).toContain(
      'First period: 1 January 2026 – 31 January 2026.',
    );
  });

  it('queues nothing when the subscription has no e-mail address', async () => {
    const { orderId, lineIds } = await createOrder();
    const subscription = await createSubscription({ orderId, lineId: lineIds[0]!, customerEmail: null });
    for (const kind of KINDS) await queueSubscriptionEmail(deps(), input(subscription.id, kind));
    expect(await outboxRows(orderId)).toHaveLength(0);
  });

  it('refuses another tenant’s subscription', async () => {
    const { orderId, lineIds } = await createOrder();
    const subscription = await createSubscription({ orderId, lineId: lineIds[0]! });
    await expect(
      queueSubscriptionEmail(deps(), { tenantId: randomUUID(), subscriptionId: subscription.id, kind: 'welcome' }),
    ).rejects.toThrow(/not found/);
    expect(await outboxRows(orderId)).toHaveLength(0);
  });

  it('shows the renewal order’s total once it exists', async () => {
    const { orderId, lineIds } = await createOrder();
    const subscription = await createSubscription({ orderId, lineId: lineIds[0]! });
    const renewal = await createOrder();
    await db
      .updateTable('orders')
      .set({ total_before_discounts: 12_345, total_excl_vat: 12_345, total_incl_vat: 12_345 })
      .where('id', '=', renewal.orderId)
      .execute();
    await db
      .insertInto('subscription_cycles')
      .values({
        id: randomUUID(),
        tenant_id: tenantId,
        subscription_id: subscription.id,
        sequence: 2,
        period_id: periodId,
        start_date: '2026-02-01',
        end_date: '2026-03-01',
        order_id: renewal.orderId,
        order_number: 1000 + orderCounter,
      })
      .execute();
    await queueSubscriptionEmail(deps(), input(subscription.id, 'suspended', { sequence: 2 }));
    const [row] = await outboxRows(orderId);
    expect(row!.text).toContain('(123.45 NOK)');
    expect(row!.text).toContain('Contact Dagsavisen <AS> if you want to start the subscription again.');
    expect(row!.html).not.toContain('href=');
  });
});
