import { createHash, randomBytes } from 'node:crypto';

// The format, scopes and stored hash of an API key: authentication (api/auth.ts) checks keys with
// them and the demo seed (db/seed-demo.ts) issues one, so they live below both.

export const ALL_SCOPES = [
  'orders:read',
  'orders:write',
  'orders:price_override',
  'invoices',
  'catalog:admin',
  'ops',
  // Outbound webhook endpoints (api/routes/webhook-endpoints.ts): their secrets are the tenant's.
  'webhooks:read',
  'webhooks:write',
  // The tenant's order policies (api/routes/tenant-settings.ts).
  'settings:read',
  'settings:write',
] as const;
export type Scope = (typeof ALL_SCOPES)[number];

// API keys are 32 random bytes, so a plain SHA-256 is enough to make a stolen table useless
// (a slow password hash protects low-entropy secrets; these have none to brute-force) and it
// keeps authentication at one indexed lookup per request.
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function generateApiKey(): string {
  return `ook_${randomBytes(32).toString('base64url')}`;
}

export function apiKeyPrefix(key: string): string {
  return key.slice(0, 10);
}
