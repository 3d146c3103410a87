import { type RouteConfig, z } from '@hono/zod-openapi';
import type { Context, Handler, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { ResourceApp } from './resource-app';
import type { AppEnv } from './app-env';
import { type ProblemFieldError, problems } from './problem';
import { validationHook } from './validation-hook';
import { controlCharacterIn } from '../domain/text';

// How every OpenAPI route reads its request, decided once here instead of in each route:
//
//  - Query strings are strict. A misspelt parameter (`afterNumber` for `after_number`) silently
//    falling back to a default is worse than a 400 naming it, so every declared query schema
//    refuses keys it does not know (`validation_failed`, `errors[].code` `unknown_field`).
//  - A JSON body is read from the stream, whatever the transfer encoding: a chunked body has no
//    Content-Length, and deciding "no body" from that header once turned a partial cancellation
//    into a full one. An empty body is `{}`, checked by the route's schema, so whether a body is
//    optional is the schema's call, never a header's.
//  - Text is printable. PostgreSQL refuses NUL in text (a 500 where the API writes, retries
//    ending in a 503 where an activity does), and no name, code, id or parameter of ours has a
//    use for the other control characters (U+0000–U+001F, U+007F–U+009F), which break headers,
//    logs and documents downstream. Every string in a JSON body (and every key), every query
//    parameter (name and value) and every path segment is checked before any route sees it:
//    400 `control_character`, each offending field named. Tab, line feed and carriage return
//    are text in free-text fields — any field at or below a key named in FREE_TEXT_KEYS (the
//    order's notes, descriptions, reasons) — and refused everywhere else.

const JSON_MEDIA_TYPE = /^application\/([\w.+-]*\+)?json\b/i;

type AnyHandler = Handler<AppEnv>;

export const FREE_TEXT_KEYS: ReadonlySet<string> = new Set(['notes', 'description', 'reason']);
const MAX_REPORTED = 20;

function codePoint(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

function controlCharacterError(field: string, code: number, what: string, freeText = false): ProblemFieldError {
  const allowed = freeText ? ' (tab, line feed and carriage return are allowed here)' : '';
  return {
    code: 'control_character',
    message: `${what} "${field}" contains the control character ${codePoint(code)}${allowed}`,
    field,
  };
}

function collectInJson(value: unknown, path: string[], freeText: boolean, errors: ProblemFieldError[]): void {
  if (errors.length >= MAX_REPORTED) return;
  if (typeof value === 'string') {
    const code = controlCharacterIn(value, freeText);
    if (code !== undefined) errors.push(controlCharacterError(path.join('.'), code, 'The field', freeText));
  } else if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) collectInJson(item, [...path, String(index)], freeText, errors);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const keyCode = controlCharacterIn(key);
      if (keyCode !== undefined) {
        errors.push(controlCharacterError([...path, key].join('.'), keyCode, 'The field name'));
      }
      collectInJson(item, [...path, key], freeText || FREE_TEXT_KEYS.has(key), errors);
    }
  }
}

function controlCharacterProblem(where: string, errors: ProblemFieldError[]) {
  const fields = errors.map((e) => e.field).join(', ');
  return problems.badRequest('control_character', `The ${where} contains control characters (in ${fields})`, errors);
}

/** The name of the path parameter at segment `index` of the matched route, else "path". */
function pathFieldName(c: Context<AppEnv>, index: number): string {
  const route = matchedRoutes(c)
    .filter((r) => r.method !== 'ALL')
    .at(-1);
  const segment = route?.path.split('/')[index];
  const name = segment?.startsWith(':') ? segment.slice(1).replace(/\{.*$/, '').replace(/\?$/, '') : '';
  return name || 'path';
}

/**
 * The path and query half of the control-character rule (bodies are checked in readJsonBody),
 * for every route, OpenAPI or not: the payment pages and file downloads read them too.
 */
export const rejectControlCharacters: MiddlewareHandler<AppEnv> = async (c, next) => {
  const errors: ProblemFieldError[] = [];
  const segments = c.req.path.split('/');
  segments.forEach((segment, index) => {
    const code = controlCharacterIn(segment);
    if (code !== undefined) errors.push(controlCharacterError(pathFieldName(c, index), code, 'The path parameter'));
  });
  if (errors.length) throw controlCharacterProblem('path', errors);
  for (const [name, values] of Object.entries(c.req.queries())) {
    const nameCode = controlCharacterIn(name);
    if (nameCode !== undefined) errors.push(controlCharacterError(name, nameCode, 'The query parameter name'));
    for (const value of values) {
      const code = controlCharacterIn(value);
      if (code !== undefined) {
        errors.push(controlCharacterError(name, code, 'The query parameter'));
        break;
      }
    }
  }
  if (errors.length) throw controlCharacterProblem('query string', errors.slice(0, MAX_REPORTED));
  await next();
};

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
  const errors: ProblemFieldError[] = [];
  collectInJson(value, [], false, errors);
  if (errors.length) throw controlCharacterProblem('request body', errors);
  const result = await schema.safeParseAsync(value);
  if (!result.success) validationHook({ success: false, error: result.error, target: 'json', data: value });
  c.req.addValidatedData('json', result.data as object);
}

/**
 * Wraps `app.openapi` so every route registered afterwards follows the rules above. Body errors
 * go through validationHook, the app's default hook: a route-level hook would not see them.
 */
export function applyRequestRules(app: ResourceApp): void {
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
    return (register as unknown as (r: RouteConfig, h: AnyHandler, k?: unknown) => ResourceApp)(runtime, handle, hook);
  };
  app.openapi = openapi as unknown as ResourceApp['openapi'];
}
