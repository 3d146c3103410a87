import type { Context } from 'hono';
import type { AppEnv } from '../app-env';

// An adapter decides nothing itself: it calls our own /v1 routes in-process (api/app.ts passes
// `app.request`, so there is no import cycle with the app), with the caller's key and retry key.

export type CallApi = (path: string, init: RequestInit) => Response | Promise<Response>;

/** The headers a /v1 call carries: the caller's key (however it came), its Idempotency-Key, JSON. */
export function forwardedHeaders(c: Context<AppEnv>): Record<string, string> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
  const key = c.get('compatKey');
  if (key) headers['x-api-key'] = key;
  else {
    for (const name of ['x-api-key', 'authorization']) {
      const value = c.req.header(name);
      if (value !== undefined) headers[name] = value;
    }
  }
  const retryKey = c.req.header('idempotency-key');
  if (retryKey !== undefined) headers['idempotency-key'] = retryKey;
  return headers;
}

/** One /v1 call on behalf of this request; the body, if any, is sent as JSON. */
export function callOurApi(
  c: Context<AppEnv>,
  callApi: CallApi,
  method: string,
  path: string,
  body?: unknown,
  extraHeaders: Record<string, string> = {},
): Promise<Response> {
  return Promise.resolve(
    callApi(path, {
      method,
      headers: { ...forwardedHeaders(c), ...extraHeaders },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
}
