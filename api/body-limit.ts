import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

/**
 * Refuses a request body over `maxSize` bytes (Hono's bodyLimit). A request with neither
 * Content-Length nor Transfer-Encoding has no body (RFC 9112, 6.3) and skips it: Hono's check
 * looks at `c.req.raw.body`, which makes @hono/node-server build a whole web Request for a GET
 * (docs/performance.md, eleventh pass).
 */
export function limitRequestBody(maxSize: number, tooLarge: () => never): MiddlewareHandler {
  const counted = bodyLimit({ maxSize, onError: tooLarge });
  return async (c, next) => {
    if (c.req.header('transfer-encoding') === undefined && c.req.header('content-length') === undefined) return next();
    return counted(c, next);
  };
}
