import { createHash, randomBytes } from 'node:crypto';

export const ALL_SCOPES = ['orders:read', 'orders:write', 'orders:price_override', 'invoices', 'catalog:admin', 'ops'] as const;
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
