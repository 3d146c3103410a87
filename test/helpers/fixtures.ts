import { randomBytes } from 'node:crypto';
import { ALL_SCOPES, apiKeyPrefix, generateApiKey, hashApiKey } from '../../domain/api-key';
import type { Db } from '../../db/database';

export interface TestTenant {
  id: string;
  slug: string;
  apiKey: string;
  webhookSecret: string;
}

export async function createTenant(
  db: Db,
  options: { slug?: string; scopes?: string[]; preliminaryMinutes?: number; baseCurrency?: string } = {},
): Promise<TestTenant> {
  const id = crypto.randomUUID();
  const slug = options.slug ?? `t${randomBytes(4).toString('hex')}`;
  const webhookSecret = randomBytes(24).toString('base64url');
  await db
    .insertInto('tenants')
    .values({
      id,
      slug,
      name: `Tenant ${slug}`,
      base_currency: options.baseCurrency ?? 'nok',
      email_from: `orders@${slug}.example`,
      webhook_secret: webhookSecret,
      preliminary_minutes: options.preliminaryMinutes ?? 30,
    })
    .execute();
  const apiKey = await addApiKey(db, id, options.scopes ?? [...ALL_SCOPES]);
  return { id, slug, apiKey, webhookSecret };
}

export async function addApiKey(db: Db, tenantId: string, scopes: string[]): Promise<string> {
  const apiKey = generateApiKey();
  await db
    .insertInto('api_keys')
    .values({
      id: crypto.randomUUID(),
      tenant_id: tenantId,
      name: 'test',
      key_prefix: apiKeyPrefix(apiKey),
      key_hash: hashApiKey(apiKey),
      scopes,
    })
    .execute();
  return apiKey;
}

export async function createProduct(
  db: Db,
  tenantId: string,
  values: {
    type?: 'course' | 'ticket' | 'item' | 'voucher';
    name?: string;
    price: number;
    vatRateBp?: number;
    dailyCapacity?: number | null;
  },
) {
  const id = crypto.randomUUID();
  await db
    .insertInto('products')
    .values({
      id,
      tenant_id: tenantId,
      type: values.type ?? 'course',
      name: values.name ?? 'Course',
      price: values.price,
      vat_rate_bp: values.vatRateBp ?? 2500,
      daily_capacity: values.dailyCapacity ?? null,
    })
    .execute();
  return id;
}

export async function createOccurrence(
  db: Db,
  tenantId: string,
  productId: string,
  values: { capacity: number; startsInDays?: number; price?: number | null; name?: string },
) {
  const id = crypto.randomUUID();
  const startsAt = new Date(Date.now() + (values.startsInDays ?? 10) * 86_400_000);
  await db
    .insertInto('occurrences')
    .values({
      id,
      tenant_id: tenantId,
      product_id: productId,
      name: values.name ?? 'Course date',
      starts_at: startsAt,
      ends_at: null,
      capacity: values.capacity,
      price: values.price ?? null,
    })
    .execute();
  return id;
}

/** Response bodies in tests are checked field by field, so `any` is the honest type here. */
export async function jsonOf(response: Response): Promise<any> {
  return response.json();
}
