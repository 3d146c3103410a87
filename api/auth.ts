import type { MiddlewareHandler } from 'hono';
import type { AppEnv, AuthContext } from './app-env';
import { hashApiKey } from './api-keys';
import { problems } from './problem';

const CACHE_TTL_MS = 30_000;
const cache = new Map<string, { auth: AuthContext | null; expires: number }>();

function presentedKey(header: (name: string) => string | undefined): string | undefined {
  const apiKey = header('x-api-key');
  if (apiKey) return apiKey.trim();
  const authorization = header('authorization');
  const match = authorization?.match(/^Bearer\s+(.+)$/i);
  return match?.[1]?.trim();
}

/** Resolves X-API-Key / Bearer to the key's tenant and scopes; 401 otherwise. */
export const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const key = presentedKey((name) => c.req.header(name));
  if (!key) throw problems.unauthorized();
  const hash = hashApiKey(key);
  const now = Date.now();
  let cached = cache.get(hash);
  if (!cached || cached.expires < now) {
    const row = await c.var.deps.db
      .selectFrom('api_keys')
      .innerJoin('tenants', 'tenants.id', 'api_keys.tenant_id')
      .select(['api_keys.id', 'api_keys.tenant_id', 'api_keys.scopes', 'tenants.slug'])
      .where('api_keys.key_hash', '=', hash)
      .where('api_keys.revoked_at', 'is', null)
      .executeTakeFirst();
    // A short cache keeps auth off the hot path; revocation takes effect within the TTL.
    cached = {
      auth: row ? { tenantId: row.tenant_id, tenantSlug: row.slug, keyId: row.id, scopes: new Set(row.scopes) } : null,
      expires: now + CACHE_TTL_MS,
    };
    if (cache.size > 10_000) cache.clear();
    cache.set(hash, cached);
  }
  if (!cached.auth) throw problems.unauthorized('The API key is unknown or revoked');
  c.set('auth', cached.auth);
  c.set('logger', c.var.logger.child({ tenant: cached.auth.tenantSlug }));
  await next();
};

export function requireScope(scope: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!c.var.auth.scopes.has(scope)) throw problems.forbidden(scope);
    await next();
  };
}

export function clearAuthCache(): void {
  cache.clear();
}
