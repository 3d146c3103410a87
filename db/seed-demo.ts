import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { ALL_SCOPES, apiKeyPrefix, generateApiKey, hashApiKey } from '../domain/api-key';
import type { Db } from './database';

export const DEMO_TENANT_SLUG = 'demo';

export interface DemoSeedResult {
  created: boolean;
  tenantId: string;
  /** Only known when this call created the key (keys are stored hashed). */
  apiKey?: string;
}

/**
 * First start only: a demo tenant, its API key and a small catalogue. Runs in one transaction
 * keyed on the tenant slug, so a restart (or two launchers at once) seeds nothing twice.
 */
export async function seedDemo(db: Db, options: { apiKey?: string } = {}): Promise<DemoSeedResult> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext('seed-demo'))`.execute(trx);
    const existing = await trx
      .selectFrom('tenants')
      .select('id')
      .where('slug', '=', DEMO_TENANT_SLUG)
      .executeTakeFirst();
    if (existing) {
      // A DEMO_API_KEY set after the first start is added too, so the printed key always works.
      if (options.apiKey) {
        await trx
          .insertInto('api_keys')
          .values({
            id: crypto.randomUUID(),
            tenant_id: existing.id,
            name: 'DEMO_API_KEY',
            key_prefix: apiKeyPrefix(options.apiKey),
            key_hash: hashApiKey(options.apiKey),
            scopes: [...ALL_SCOPES],
          })
          .onConflict((oc) => oc.column('key_hash').doNothing())
          .execute();
      }
      return { created: false, tenantId: existing.id, apiKey: options.apiKey };
    }
    const tenantId = crypto.randomUUID();
    await trx
      .insertInto('tenants')
      .values({
        id: tenantId,
        slug: DEMO_TENANT_SLUG,
        name: 'Demo Academy',
        base_currency: 'nok',
        email_from: 'orders@demo.example',
        webhook_secret: randomBytes(24).toString('base64url'),
        preliminary_minutes: 30,
        locale: 'nb',
        // Seller details on invoices (fictitious).
        legal_name: 'Demo Academy AS',
        org_number: '999 999 999',
        vat_number: 'NO999999999MVA',
        bank_account: '1234.56.78903',
        address: JSON.stringify({ line_1: 'Storgata 1', zipcode: '0155', city: 'Oslo', country_code: 'NO' }),
        invoice_prefix: 'DA-',
      })
      .execute();
    const apiKey = options.apiKey ?? generateApiKey();
    await trx
      .insertInto('api_keys')
      .values({
        id: crypto.randomUUID(),
        tenant_id: tenantId,
        name: 'demo',
        key_prefix: apiKeyPrefix(apiKey),
        key_hash: hashApiKey(apiKey),
        scopes: [...ALL_SCOPES],
      })
      .execute();

    const product = (
      type: 'course' | 'ticket' | 'item' | 'voucher',
      name: string,
      price: number,
      vat: number,
      dailyCapacity: number | null = null,
    ) => ({
      id: crypto.randomUUID(),
      tenant_id: tenantId,
      type,
      name,
      price,
      vat_rate_bp: vat,
      daily_capacity: dailyCapacity,
    });
    const course = product('course', 'First aid course', 125_000, 2500);
    const advanced = product('course', 'Advanced first aid', 249_000, 2500);
    const exam = product('item', 'Exam', 10_000, 2500);
    const openDay = product('ticket', 'Open day', 0, 0);
    const dayPass = product('item', 'Gym day pass', 15_000, 1200, 30);
    await trx.insertInto('products').values([course, advanced, exam, openDay, dayPass]).execute();

    const inDays = (days: number, hour = 9) => {
      const d = new Date();
      d.setUTCDate(d.getUTCDate() + days);
      d.setUTCHours(hour, 0, 0, 0);
      return d;
    };
    await trx
      .insertInto('occurrences')
      .values([
        {
          id: crypto.randomUUID(),
          tenant_id: tenantId,
          product_id: course.id,
          name: 'First aid course — Oslo',
          starts_at: inDays(14),
          ends_at: inDays(14, 15),
          capacity: 8,
          price: null,
        },
        {
          id: crypto.randomUUID(),
          tenant_id: tenantId,
          product_id: course.id,
          name: 'First aid course — Bergen',
          starts_at: inDays(21),
          ends_at: inDays(21, 15),
          capacity: 4,
          price: 135_000,
        },
        {
          id: crypto.randomUUID(),
          tenant_id: tenantId,
          product_id: advanced.id,
          name: 'Advanced first aid — Oslo',
          starts_at: inDays(30),
          ends_at: inDays(31, 15),
          capacity: 6,
          price: null,
        },
        {
          id: crypto.randomUUID(),
          tenant_id: tenantId,
          product_id: openDay.id,
          name: 'Open day',
          starts_at: inDays(7, 12),
          ends_at: inDays(7, 16),
          capacity: 50,
          price: null,
        },
      ])
      .execute();
    await trx
      .insertInto('exchange_rates')
      .values([
        { tenant_id: tenantId, quote_currency: 'eur', rate: '0.0853' },
        { tenant_id: tenantId, quote_currency: 'sek', rate: '0.98' },
      ])
      .execute();
    await trx
      .insertInto('campaigns')
      .values({
        id: crypto.randomUUID(),
        tenant_id: tenantId,
        code: 'SPRING',
        kind: 'percent',
        percent: '10',
        max_uses: 100,
        valid_from: inDays(-1),
        valid_until: inDays(90),
      })
      .execute();
    await trx
      .insertInto('vouchers')
      .values({
        id: crypto.randomUUID(),
        tenant_id: tenantId,
        code: 'GIFT-DEMO',
        kind: 'value',
        currency: 'nok',
        initial_value: 50_000,
        remaining_value: 50_000,
        valid_until: inDays(365),
      })
      .execute();
    return { created: true, tenantId, apiKey };
  });
}
