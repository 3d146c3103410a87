import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv, AuthContext } from './app-env';
import { findActiveApiKey } from '../db/queries/api-keys';
import type { OperatorActor } from '../db/queries/operator-actions';
import { hashApiKey, type Scope } from '../domain/api-key';
import { problems } from './problem';

export const DEFAULT_API_KEY_CACHE_TTL_MS = 30_000;
const cache = new Map<string, { auth: AuthContext | null; expires: number }>();

/** The key a request presents: X-API-Key, else `Authorization: Bearer`. */
export function presentedKey(header: (name: string) => string | undefined): string | undefined {
  const apiKey = header('x-api-key');
  if (apiKey) return apiKey.trim();
  const authorization = header('authorization');
  const match = authorization?.match(/^Bearer\s+(.+)$/i);
  return match?.[1]?.trim();
}

/**
 * The key's tenant and scopes, or null for an unknown or revoked key. Answers come from a
 * short per-process cache (API_KEY_CACHE_TTL_MS) that keeps auth off the hot path: a key
 * revoked in the database (`api_keys.revoked_at`) still works on a process that cached it
 * until the entry expires. 0 turns the cache off.
 */
export async function resolveApiKey(c: Context<AppEnv>, key: string): Promise<AuthContext | null> {
  const hash = hashApiKey(key);
  const ttl = c.get('deps').apiKeyCacheTtlMs ?? DEFAULT_API_KEY_CACHE_TTL_MS;
  const now = Date.now();
  const cached = cache.get(hash);
  if (ttl > 0 && cached && cached.expires >= now) return cached.auth;
  const row = await findActiveApiKey(c.get('deps').db, hash);
  const auth = row
    ? {
        tenantId: row.tenant_id,
        tenantSlug: row.slug,
        keyId: row.id,
        keyName: row.name,
        scopes: new Set(row.scopes),
      }
    : null;
  if (ttl > 0) {
    if (cache.size > 10_000) cache.clear();
    cache.set(hash, { auth, expires: now + ttl });
  }
  return auth;
}

/** Sets the request's auth and the tenant on its log lines. */
export function useAuth(c: Context<AppEnv>, auth: AuthContext): void {
  c.set('auth', auth);
  c.set('logger', c.get('logger').child({ tenant: auth.tenantSlug }));
}

/** Resolves X-API-Key / Bearer to the key's tenant and scopes; 401 otherwise. */
export const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const key = presentedKey((name) => c.req.header(name));
  if (!key) throw problems.unauthorized();
  const auth = await resolveApiKey(c, key);
  if (!auth) throw problems.unauthorized('The API key is unknown or revoked');
  useAuth(c, auth);
  await next();
};

/** A route's scope check (its `middleware`): 403 naming the scope unless the key has it. */
export function requireScope(scope: Scope): MiddlewareHandler<AppEnv> {
  return requireAnyScope(scope);
}

/** For routes that several roles may use: any one of `scopes` will do; the 403 names the first. */
export function requireAnyScope(...scopes: [Scope, ...Scope[]]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!scopes.some((scope) => c.get('auth').scopes.has(scope))) throw problems.forbidden(scopes[0]);
    await next();
  };
}

export function clearAuthCache(): void {
  cache.clear();
}

/** Who the request acts as, for the order timeline's audit of operator actions. */
export function operatorOf(c: Context<AppEnv>): OperatorActor {
  return { apiKeyId: c.get('auth').keyId, apiKeyName: c.get('auth').keyName };
}
