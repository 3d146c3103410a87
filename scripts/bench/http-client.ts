// The bench's HTTP client: node:http(s) over a keep-alive agent. The load generator shares the
// machine with the stack it measures, so it should cost little: the global fetch cost the bench
// about twice the CPU per request (docs/performance.md, tenth pass), CPU the stack then lacked.
import http from 'node:http';
import https from 'node:https';

export interface BenchResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export interface BenchRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

// No cap on sockets per host (as fetch): an open loop above capacity must not queue in the bench.
const agents = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
};

/** One request; the answer's body read whole. Rejects on a network error or after timeoutMs. */
export function send(url: string, request: BenchRequest): Promise<BenchResponse> {
  const target = new URL(url);
  const protocol = target.protocol === 'https:' ? 'https:' : 'http:';
  const headers = { ...request.headers };
  if (request.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(request.body));
  return new Promise((resolve, reject) => {
    const options = { method: request.method ?? 'GET', headers, agent: agents[protocol] };
    const onAnswer = (response: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
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
    const timer = setTimeout(
      () => outgoing.destroy(new Error(`no answer within ${request.timeoutMs} ms`)),
      request.timeoutMs,
    );
    outgoing.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    outgoing.end(request.body);
  });
}
