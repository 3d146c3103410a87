import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeHttpError, HttpTimeoutError, sendHttp } from '../../runtime/http-client';

// The webhook senders' client against a real local server: what a receiver's answers turn into.
describe('sendHttp', () => {
  let server: http.Server;
  let base: string;
  const sockets = new Set<string>();

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      sockets.add(`${req.socket.remotePort}`);
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        if (req.url === '/echo') {
          res.writeHead(201, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ method: req.method, body, length: req.headers['content-length'] }));
        } else if (req.url === '/redirect') {
          res.writeHead(302, { location: '/echo' });
          res.end('moved');
        } else if (req.url === '/big') {
          res.writeHead(500);
          res.end('x'.repeat(200_000));
        } else if (req.url === '/slow') {
          setTimeout(() => res.end('late'), 2_000).unref();
        } else if (req.url === '/stalled-body') {
          res.writeHead(200);
          res.write('ab');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('posts a body and reads the answer; two requests in a row share one connection', async () => {
    sockets.clear();
    const body = JSON.stringify({ event: 'paid', note: 'ünïcode' });
    const first = await sendHttp(`${base}/echo`, { method: 'POST', body, timeoutMs: 5_000 });
    const second = await sendHttp(`${base}/echo`, { method: 'POST', body, timeoutMs: 5_000 });
    expect(first.status).toBe(201);
    expect(first.complete).toBe(true);
    expect(JSON.parse(first.text)).toEqual({ method: 'POST', body, length: String(Buffer.byteLength(body)) });
    expect(second.text).toBe(first.text);
    expect(sockets.size).toBe(1);
  });

  it('returns a redirect as an answer instead of following it', async () => {
    const answer = await sendHttp(`${base}/redirect`, { method: 'POST', body: '{}', timeoutMs: 5_000 });
    expect(answer.status).toBe(302);
    expect(answer.headers.location).toBe('/echo');
    expect(answer.text).toBe('moved');
  });

  it('keeps at most maxAnswerBytes of a large answer', async () => {
    const answer = await sendHttp(`${base}/big`, { timeoutMs: 5_000, maxAnswerBytes: 1_000 });
    expect(answer.status).toBe(500);
    expect(answer.text).toBe('x'.repeat(1_000));
  });

  it('gives up after timeoutMs with a timeout error', async () => {
    // The server answers after 2 s: without the timeout this would resolve with 'late'.
    const error = await sendHttp(`${base}/slow`, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpTimeoutError);
    expect(describeHttpError(error)).toBe('no answer within 200 ms');
  });

  it('keeps the status of an answer whose body stalls, with what arrived, marked incomplete', async () => {
    const answer = await sendHttp(`${base}/stalled-body`, { method: 'POST', body: '{}', timeoutMs: 300 });
    expect(answer).toMatchObject({ status: 200, text: 'ab', complete: false });
  });

  it('names a refused connection by its code', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await sendHttp(`http://127.0.0.1:${port}/`, { timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(describeHttpError(error)).toMatch(/ECONNREFUSED/);
  });

  it('refuses a URL that is not http or https, or no URL at all, by rejecting', async () => {
    await expect(sendHttp('ftp://127.0.0.1/x', { timeoutMs: 1_000 })).rejects.toThrow(/unsupported protocol ftp:/);
    await expect(sendHttp('not a url', { timeoutMs: 1_000 })).rejects.toThrow(/Invalid URL/);
  });
});
