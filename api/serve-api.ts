import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import type { App } from './app';

// The headers every answer carries, as hono's secureHeaders lays them out: nothing framed (clickjacking of the payment
// page's buttons), no MIME sniffing, no Referer. The global policy sets nothing else, so Swagger UI's scripts and
// styles from its CDN still load on /docs; a page that needs a stricter Content-Security-Policy sets its own.
const POLICY: Parameters<typeof secureHeaders>[0] = {
  xFrameOptions: 'DENY',
  contentSecurityPolicy: { frameAncestors: ["'none'"] },
};

/**
 * The header set, computed once by the library itself on a throwaway app. As middleware it copied every answer's
 * headers into a web Headers object and did two dozen operations on it: about 7 % of the API's CPU under load
 * (docs/performance.md, thirteenth pass).
 */
export async function securityHeaders(): Promise<[string, string][]> {
  const probe = new Hono().use(secureHeaders(POLICY)).get('/', (c) => c.body(null, 204));
  return [...(await probe.request('/')).headers];
}

/**
 * Serves the app over HTTP; resolves once it listens. Every answer starts with the security headers: node merges
 * them with those the app writes, the app's winning where both name one (a page's own Content-Security-Policy).
 */
export async function serveApi(app: App, options: { port: number; hostname: string }): Promise<Server> {
  const headers = await securityHeaders();
  const withHeaders = ((serverOptions: object, listener: (req: IncomingMessage, res: ServerResponse) => void) =>
    createServer(serverOptions, (request, response) => {
      for (const [name, value] of headers) response.setHeader(name, value);
      listener(request, response);
    })) as typeof createServer;
  const server = serve({ fetch: app.fetch, ...options, createServer: withHeaders }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => {
      // A later error is the server's to report, not this promise's to swallow.
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
