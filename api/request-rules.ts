import { type RouteConfig, z } from '@hono/zod-openapi';
import type { Context, Handler } from 'hono';
import type { App } from './app';
import type { AppEnv } from './app-env';
import { problems } from './problem';
import { validationHook } from './validation-hook';

// How every OpenAPI route reads its request, decided once here instead of in each route:
//
//  - Query strings are strict. A misspelt parameter (`afterNumber` for `after_number`) silently
//    falling back to a default is worse than a 400 naming it, so every declared query schema
//    refuses keys it does not know (`validation_failed`, `errors[].code` `unknown_field`).
//  - A JSON body is read from the stream, whatever the transfer encoding: a chunked body has no
//    Content-Length, and deciding "no body" from that header once turned a partial cancellation
//    into a full one. An empty body is `{}`, checked by the route's schema, so whether a body is
//    optional is the schema's call, never a header's.

const JSON_MEDIA_TYPE = /^application\/([\w.+-]*\+)?json\b/i;

type AnyHandler = Handler<AppEnv>;

function strictQuery(query: unknown): unknown {
  return query instanceof z.ZodObject ? query.strict() : query;
}

function jsonBodySchema(route: RouteConfig): z.ZodType | undefined {
  const media = route.request?.body?.content?.['application/json'];
  const schema = media && 'schema' in media ? media.schema : undefined;
  return schema instanceof z.ZodType ? schema : undefined;
}

async function readJsonBody(c: Context<AppEnv>, schema: z.ZodType): Promise<void> {
  const text = await c.req.text();
  let value: unknown = {};
  if (text.trim() !== '') {
    if (!JSON_MEDIA_TYPE.test(c.req.header('content-type') ?? '')) throw problems.unsupportedMediaType();
    try {
      value = JSON.parse(text);
    } catch {
      throw problems.badRequest('malformed_body', 'Malformed JSON in request body');
    }
  }
  const result = await schema.safeParseAsync(value);
  if (!result.success) validationHook({ success: false, error: result.error, target: 'json' });
  c.req.addValidatedData('json', result.data as object);
}

/**
 * Wraps `app.openapi` so every route registered afterwards follows the rules above. Body errors
 * go through validationHook, the app's default hook: a route-level hook would not see them.
 */
export function applyRequestRules(app: App): void {
  const register = app.openapi;
  const openapi = (route: RouteConfig, handler: AnyHandler, hook?: unknown) => {
    const { middleware, hide, ...doc } = route;
    const request = route.request && {
      ...route.request,
      ...(route.request.query ? { query: strictQuery(route.request.query) as typeof route.request.query } : {}),
    };
    const documented = { ...doc, ...(request ? { request } : {}) };
    // The library's own body check trusts headers; the route is documented with its body but
    // registered without it, and the body is read by readJsonBody instead.
    if (!hide) app.openAPIRegistry.registerPath(documented);
    const body = jsonBodySchema(route);
    const runtime: RouteConfig = {
      ...documented,
      ...(middleware ? { middleware } : {}),
      hide: true,
      ...(body && request ? { request: { ...request, body: undefined } } : {}),
    };
    const handle: AnyHandler = body
      ? async (c, next) => {
          await readJsonBody(c, body);
          return handler(c, next);
        }
      : handler;
    return (register as unknown as (r: RouteConfig, h: AnyHandler, k?: unknown) => App)(runtime, handle, hook);
  };
  app.openapi = openapi as unknown as App['openapi'];
}
