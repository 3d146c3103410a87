// The model test's HTTP client: every request has a deadline, and every answer must be a result
// or a clear problem+json (never a 5xx, never a hang). Bodies can be sent with a Content-Length
// or chunked (Transfer-Encoding: chunked, no Content-Length), as proxies and streaming clients do.

export const REQUEST_TIMEOUT_MS = Number(process.env.MODEL_REQUEST_TIMEOUT_MS ?? 12_000);

export class InvariantViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvariantViolation';
  }
}

/** Fails the run with a message naming the invariant. */
export function violation(invariant: string, detail: string): never {
  throw new InvariantViolation(`[${invariant}] ${detail}`);
}

export interface HttpAnswer {
  status: number;
  contentType: string;
  location: string | null;
  /** Parsed JSON when the answer is JSON, else the text (or null when empty). */
  body: any;
}

export interface SendOptions {
  key: string;
  body?: unknown;
  /** Send the JSON body chunked (no Content-Length). */
  chunked?: boolean;
  timeoutMs?: number;
  baseUrl?: string;
}

function chunkedStream(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  const middle = Math.max(1, Math.floor(bytes.length / 2));
  const parts = [bytes.slice(0, middle), bytes.slice(middle)].filter((p) => p.length > 0);
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = parts.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
}

/** One API request with a deadline; throws an InvariantViolation for a 5xx, a hang or a bad problem. */
export async function send(
  defaultBaseUrl: string,
  method: string,
  path: string,
  options: SendOptions,
): Promise<HttpAnswer> {
  const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  const headers: Record<string, string> = { 'X-API-Key': options.key };
  let body: string | ReadableStream<Uint8Array> | undefined;
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    const text = JSON.stringify(options.body);
    body = options.chunked ? chunkedStream(text) : text;
  }
  const url = `${options.baseUrl ?? defaultBaseUrl}${path}`;
  const label = `${method} ${path}${options.chunked ? ' (chunked)' : ''}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
      ...(options.chunked && body !== undefined ? { duplex: 'half' } : {}),
    } as RequestInit);
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      violation('requests answer in time', `${label} did not answer within ${timeoutMs} ms`);
    }
    throw error;
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    violation('requests answer in time', `${label}: reading the answer failed (${String(error)})`);
  }
  const contentType = response.headers.get('content-type') ?? '';
  let parsed: unknown = text === '' ? null : text;
  if (/json/.test(contentType) && text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      violation(
        'answers are well-formed',
        `${label} answered ${response.status} with malformed JSON: ${text.slice(0, 200)}`,
      );
    }
  }
  if (response.status >= 500) {
    violation('no 5xx', `${label} answered ${response.status}: ${text.slice(0, 500)}`);
  }
  if (response.status >= 400) {
    const problem = parsed as { code?: unknown; status?: unknown } | null;
    if (!contentType.startsWith('application/problem+json') || typeof problem?.code !== 'string') {
      violation(
        'errors are problem+json',
        `${label} answered ${response.status} (${contentType}): ${text.slice(0, 300)}`,
      );
    }
  }
  return { status: response.status, contentType, location: response.headers.get('location'), body: parsed };
}

/** Races a promise against a deadline (for calls that cannot be aborted). */
export async function withDeadline<T>(promise: Promise<T>, label: string, timeoutMs = REQUEST_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new InvariantViolation(`[requests answer in time] ${label} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
