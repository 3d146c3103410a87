import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from './app-env';

/**
 * Refuses a request body over `maxSize` bytes, whatever its transfer encoding. hono's bodyLimit asks the request for
 * its body stream first, which makes @hono/node-server build a web Request around every request, GETs included, and
 * read the body through it instead of straight from the socket (about 6 % of the API's CPU under load,
 * docs/performance.md, thirteenth pass). Over node, a request that declares its length is judged by that header
 * (node's parser never delivers more), one with neither header has no body, and only a chunked body is counted as it
 * arrives, by hono's bodyLimit. Elsewhere (`app.request()` in tests) hono's bodyLimit judges every request.
 */
export function requestBodyLimit(maxSize: number, onError: (c: Context<AppEnv>) => never): MiddlewareHandler<AppEnv> {
  const counted = bodyLimit({ maxSize, onError });
  return async (c, next) => {
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    if (!incoming || incoming.headers['transfer-encoding'] !== undefined) return counted(c, next);
    const length = incoming.headers['content-length'];
    if (length !== undefined && Number(length) > maxSize) return onError(c);
    return next();
  };
}
