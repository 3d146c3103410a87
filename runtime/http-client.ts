// Outbound HTTP for the webhook senders (the sandbox provider's and the tenants' endpoints) and the bench: node:http(s)
// over keep-alive agents. The global fetch (undici) cost about twice the CPU per request on the order's hot path
// (docs/performance.md, tenth and twelfth passes). Redirects are never followed, as with fetch's `redirect: 'manual'`:
// a 3xx is an answer like any other.
import http from 'node:http';
import https from 'node:https';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body, cut at `maxAnswerBytes`. */
  text: string;
}

export interface HttpRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** For the whole exchange, connection and answer included. */
  timeoutMs: number;
  /** Of the answer's body, kept (the rest is read and dropped); default 64 KiB. */
  maxAnswerBytes?: number;
}

/** The request got no complete answer within its timeoutMs. */
export class HttpTimeoutError extends Error {
  override name = 'TimeoutError';
}

// An idle socket is closed after 4 s, before a peer's keep-alive timeout (Node's default is 5 s) can close it
// under a request that is just being sent. No cap on sockets per host (as fetch): a burst must not queue here.
const IDLE_SOCKET_MS = 4_000;
const agents = {
  'http:': new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
  'https:': new https.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
};

/** One request, its answer read whole. Rejects on a network error, a bad URL, or after timeoutMs. */
export function sendHttp(url: string, request: HttpRequest): Promise<HttpAnswer> {
  const target = new URL(url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    return Promise.reject(new Error(`unsupported protocol ${target.protocol}`));
  const protocol = target.protocol;
  const headers = { ...request.headers };
  if (request.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(request.body));
  const maxAnswerBytes = request.maxAnswerBytes ?? 64 * 1024;
  return new Promise((resolve, reject) => {
    // Destroying the request makes the answer (if one has begun) fail with its own error; the timeout is the cause.
    let timedOut: HttpTimeoutError | undefined;
    const options = { method: request.method ?? 'GET', headers, agent: agents[protocol] };
    const onAnswer = (response: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      response.on('data', (chunk: Buffer) => {
        if (kept >= maxAnswerBytes) return;
        const part = chunk.subarray(0, maxAnswerBytes - kept);
        chunks.push(part);
        kept += part.length;
      });
      response.on('error', (error) => {
        clearTimeout(timer);
        reject(timedOut ?? error);
      });
      response.on('end', () => {
        clearTimeout(timer);
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          text: Buffer.concat(chunks).toString(),
        });
      });
    };
    const outgoing =
      protocol === 'https:' ? https.request(target, options, onAnswer) : http.request(target, options, onAnswer);
    const timer = setTimeout(() => {
      timedOut = new HttpTimeoutError(`no answer within ${request.timeoutMs} ms`);
      outgoing.destroy(timedOut);
    }, request.timeoutMs);
    outgoing.on('error', (error) => {
      clearTimeout(timer);
      reject(timedOut ?? error);
    });
    outgoing.end(request.body);
  });
}

/** A network error as a short text for a delivery log: its code (ECONNREFUSED …) and message. */
export function describeHttpError(error: unknown): string {
  if (error instanceof HttpTimeoutError) return error.message;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' && !message.includes(code) ? `${code} ${message}` : message;
}
