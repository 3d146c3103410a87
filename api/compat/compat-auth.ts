import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../app-env';
import { presentedKey, resolveApiKey, useAuth } from '../auth';
import { ApiProblem } from '../problem';

// How another platform's clients present their key, mapped onto our API keys (docs/compatibility.md):
// `header` is X-API-Key or `Authorization: Bearer` (as on /v1); `basic` is HTTP Basic whose password
// is the API key (the user name is free: a client that must send one can send the key's name);
// `query` is `?apikey=` on the URL, for clients that put it there.

export type KeyStyle = 'header' | 'basic' | 'query';

function basicPassword(authorization: string | undefined): string | undefined {
  const match = authorization?.match(/^Basic\s+([A-Za-z0-9+/=]+)\s*$/i);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const password = colon >= 0 ? decoded.slice(colon + 1) : '';
  return password.trim() || undefined;
}

/** The key a compatibility request presents in one of `styles`, the first style that has one winning. */
export function presentedCompatKey(c: Context<AppEnv>, styles: readonly KeyStyle[]): string | undefined {
  for (const style of styles) {
    const key =
      style === 'header'
        ? presentedKey((name) => c.req.header(name))
        : style === 'basic'
          ? basicPassword(c.req.header('authorization'))
          : c.req.query('apikey')?.trim() || undefined;
    if (key) return key;
  }
  return undefined;
}

function unauthorized(styles: readonly KeyStyle[], detail: string): ApiProblem {
  const challenge = styles.includes('basic') ? 'Basic realm="api"' : 'Bearer';
  return new ApiProblem(401, 'unauthorized', 'Unauthorized', detail, undefined, { 'WWW-Authenticate': challenge });
}

/**
 * The adapter's authentication: resolves the key as /v1 does (same keys, scopes and cache) and keeps
 * it in `compatKey`, so the in-process /v1 call carries it as X-API-Key whatever style it came in.
 */
export function authenticateCompat(...styles: [KeyStyle, ...KeyStyle[]]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = presentedCompatKey(c, styles);
    if (!key) throw unauthorized(styles, `An API key is required (${styles.join(', ')})`);
    const auth = await resolveApiKey(c, key);
    if (!auth) throw unauthorized(styles, 'The API key is unknown or revoked');
    useAuth(c, auth);
    c.set('compatKey', key);
    await next();
  };
}
