import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

/**
 * Refuses a request body over `maxSize` bytes. Hono's bodyLimit looks at `c.req.raw.body`, which
 * makes @hono/node-server build a full web Request with a stream for every request, GETs included,
 * and every later read of the body then goes through that stream: about a twentieth of the API's
 * CPU per order (docs/performance.md, eleventh pass). A request with a Content-Length is judged by
 * it (Node's parser delivers exactly that many bytes, and the body is read later straight from the
 * socket); one without Content-Length or Transfer-Encoding has no body (RFC 9112, 6.3); a chunked
 * body is counted as it arrives by Hono's middleware, as before.
 */
export function limitRequestBody(maxSize: number, tooLarge: () => never): MiddlewareHandler {
  const counted = bodyLimit({ maxSize, onError: tooLarge });
  return async (c, next) => {
    if (c.req.header('transfer-encoding') !== undefined) return counted(c, next);
    const length = c.req.header('content-length');
    if (length !== undefined && Number.parseInt(length, 10) > maxSize) tooLarge();
    await next();
  };
}
