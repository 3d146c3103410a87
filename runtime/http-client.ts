// Outbound HTTP for the webhook senders (the sandbox provider's and the tenants' endpoints) and the bench:
// node:http(s) over keep-alive agents. The global fetch (undici) cost two to three times the CPU per request on the
// order's hot path (docs/performance.md, tenth and twelfth passes). Redirects are never followed, as with fetch's
// `redirect: 'manual'`: a 3xx is an answer like any other.
import http from 'node:http';
import https from 'node:https';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body, cut at `maxAnswerBytes`. */
  text: string;
  /**
   * False when the status and headers came but the body then failed or outran timeoutMs: the status stands, as with
   * fetch, and `text` holds what arrived.
   */
  complete: boolean;
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

// An idle pooled socket is closed after 4 s (or the peer's `Keep-Alive: timeout` hint less a second), before a peer
// with Node's default keep-alive timeout (5 s) can close it under a request that is just being sent. The agent only
// ever destroys an idle socket on that timer: a request that waits longer for its answer is bounded by its own
// timeoutMs alone. No cap on sockets per host (as fetch): a burst must not queue here.
const IDLE_SOCKET_MS = 4_000;
const agents = {
  'http:': new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
  'https:': new https.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
};

/** One request, its answer read whole. Rejects on a network error, a bad URL, or when no status came in timeoutMs. */
export function sendHttp(url: string, request: HttpRequest): Promise<HttpAnswer> {
  let target: URL;
  try {
    target = new URL(url);
  } catch (error) {
    return Promise.reject(error);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    return Promise.reject(new Error(`unsupported protocol ${target.protocol}`));
  const protocol = target.protocol;
  const headers = { ...request.headers };
  if (request.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(request.body));
  const maxAnswerBytes = request.maxAnswerBytes ?? 64 * 1024;
  return new Promise((resolve, reject) => {
    // Destroying the request makes the answer (if one has begun) fail with its own error; the timeout is the cause.
    let timedOut: HttpTimeoutError | undefined;
    let settle: ((complete: boolean) => void) | undefined;
    const options = { method: request.method ?? 'GET', headers, agent: agents[protocol] };
    const onAnswer = (response: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      settle = (complete) => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString();
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text, complete });
      };
      response.on('data', (chunk: Buffer) => {
        if (kept >= maxAnswerBytes) return;
        const part = chunk.subarray(0, maxAnswerBytes - kept);
        chunks.push(part);
        kept += part.length;
      });
      response.on('error', () => settle?.(false));
      response.on('end', () => settle?.(true));
    };
    const outgoing =
      protocol === 'https:' ? https.request(target, options, onAnswer) : http.request(target, options, onAnswer);
    const timer = setTimeout(() => {
      timedOut = new HttpTimeoutError(`no answer within ${request.timeoutMs} ms`);
      outgoing.destroy(timedOut);
      settle?.(false);
    }, request.timeoutMs);
    outgoing.on('error', (error) => {
      clearTimeout(timer);
      if (settle) settle(false);
      else reject(timedOut ?? error);
    });
    outgoing.end(request.body);
  });
}

/** Whether a receiver took the request: a 2xx status (a redirect is not followed, so it is a refusal). */
export function accepted(answer: HttpAnswer): boolean {
  return answer.status >= 200 && answer.status < 300;
}

/** A refusal as a short text for a delivery log: the status and the start of the body. */
export function describeRefusal(answer: HttpAnswer, limit: number): string {
  return `HTTP ${answer.status}${answer.text ? `: ${answer.text.slice(0, limit)}` : ''}`;
}

/** A network error as a short text for a delivery log: its code (ECONNREFUSED …) and message. */
export function describeHttpError(error: unknown): string {
  if (error instanceof HttpTimeoutError) return error.message;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' && !message.includes(code) ? `${code} ${message}` : message;
}
