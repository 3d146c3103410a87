import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OpenAPIHono } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../api/app';
import type { AppEnv } from '../../api/app-env';
import { requestBodyLimit } from '../../api/body-limit';
import { securityHeaders, serveApi } from '../../api/serve-api';

// The node server under the app (api/serve-api.ts) and the body limit over node's request (api/body-limit.ts), on a
// small app of their own: what the full API's tests check through the real stack, here with the edge cases.
const LIMIT = 1024;
let server: Server;
let port: number;

function send(
  method: string,
  path: string,
  options: { headers?: Record<string, string | number>; chunks?: string[]; holdBody?: boolean } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    for (const chunk of options.chunks ?? []) req.write(chunk);
    // holdBody: the headers go out, the body never does; only an answer from the headers alone can end the request.
    if (options.holdBody) {
      req.flushHeaders();
      setTimeout(() => req.destroy(new Error('no answer without the body')), 5_000).unref();
    } else req.end();
  });
}

beforeAll(async () => {
  const app = new OpenAPIHono<AppEnv>();
  app.onError((error, c) => c.json({ code: error.message }, error.message === 'payload_too_large' ? 413 : 500));
  app.use(
    requestBodyLimit(LIMIT, () => {
      throw new Error('payload_too_large');
    }),
  );
  app.post('/echo', async (c) => c.json({ received: await c.req.json() }));
  app.get('/page', (c) => {
    c.header('Content-Security-Policy', "default-src 'none'");
    return c.html('<p>page</p>');
  });
  app.get('/plain', (c) => c.json({ ok: true }));
  server = await serveApi(app as unknown as App, { port: 0, hostname: '127.0.0.1' });
  port = (server.address() as AddressInfo).port;
});

afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
);

describe('security headers', () => {
  it('are the ones hono secureHeaders sets, with no framing', async () => {
    const headers = new Map(await securityHeaders());
    expect(headers.get('x-frame-options')).toBe('DENY');
    expect(headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.has('content-type')).toBe(false);
  });

  it('every answer carries them, a 404 of the app included', async () => {
    for (const path of ['/plain', '/nowhere']) {
      const answer = await send('GET', path);
      expect(answer.headers['x-frame-options']).toBe('DENY');
      expect(answer.headers['referrer-policy']).toBe('no-referrer');
      expect(answer.headers['content-security-policy']).toBe("frame-ancestors 'none'");
    }
  });

  it("a page's own Content-Security-Policy wins, and is sent once", async () => {
    const answer = await send('GET', '/page');
    expect(answer.headers['content-security-policy']).toBe("default-src 'none'");
    expect(answer.headers['x-frame-options']).toBe('DENY');
  });
});

describe('body limit', () => {
  const json = (body: string) => ({ 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });

  it('a body within the limit is read, with a Content-Length or chunked', async () => {
    const body = JSON.stringify({ text: 'x'.repeat(500) });
    const sized = await send('POST', '/echo', { headers: json(body), chunks: [body] });
    expect(sized.status).toBe(200);
    expect(JSON.parse(sized.body).received.text).toHaveLength(500);
    const chunked = await send('POST', '/echo', {
      headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      chunks: [body.slice(0, 100), body.slice(100)],
    });
    expect(chunked.status).toBe(200);
    expect(JSON.parse(chunked.body).received.text).toHaveLength(500);
  });

  it('a declared length over the limit is 413 from the headers alone, before any body arrives', async () => {
    const answer = await send('POST', '/echo', {
      headers: { 'Content-Type': 'application/json', 'Content-Length': LIMIT + 1 },
      holdBody: true,
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).code).toBe('payload_too_large');
  });

  it('a chunked body is counted as it arrives: over the limit is 413 as well', async () => {
    const answer = await send('POST', '/echo', {
      headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      chunks: ['{"text":"', 'x'.repeat(LIMIT), '"}'],
    });
    expect(answer.status).toBe(413);
  });

  it('a request without a body passes', async () => {
    expect((await send('GET', '/plain')).status).toBe(200);
  });
});
