// The load: card orders paid through the sandbox page as a customer would, and invoice orders
// marked paid through the invoices API; open loop (constant arrival rate, latency from each
// order's scheduled start) or closed loop (N clients, each starting the next order at once).
import { sendHttp as send } from '../../runtime/http-client';
import { performance } from 'node:perf_hooks';
import { Counter, Samples, sleep } from './stats';

export interface LoadTarget {
  apiUrl: string;
  apiKey: string;
}

export interface LoadOptions {
  mode: 'open' | 'closed';
  rate: number;
  durationS: number;
  concurrency: number;
  invoiceShare: number;
  pollMs: number;
  orderTimeoutMs: number;
  /** Stop after this many orders (smoke, waiting). */
  maxOrders?: number;
  /** Create only (card orders left waiting for payment). */
  createOnly?: boolean;
  /** Prefix of booker emails and external ids: lets the final check find this run's orders. */
  tag: string;
  /** Where POST /v1/orders goes (the synchronous baseline serves the same path). */
  createUrl?: string;
  sendIdempotencyKey: boolean;
  onProgress?: (line: string) => void;
}

export interface OrderOutcome {
  kind: 'card' | 'invoice';
  id?: string;
  /** The provider's page of a card order (kept for --waiting, which pays them later). */
  redirectUrl?: string;
  createdOk: boolean;
  completed: boolean;
}

export interface LoadResult {
  startedAt: number;
  /** performance.now() of the first scheduled start and the last completion. */
  t0: number;
  lastDone: number;
  createLatency: Samples;
  createServiceLatency: Samples;
  e2eLatency: Samples;
  e2eCard: Samples;
  e2eInvoice: Samples;
  errors: Counter;
  outcomes: OrderOutcome[];
  polls: number;
  completed: number;
  created: number;
  attempted: number;
  /** Completions per 10 s bucket since t0. */
  timeline: number[];
  /** Largest lag of the open-loop scheduler behind its own schedule. */
  maxSchedulerLagMs: number;
}

export async function setupCatalogue(
  target: LoadTarget,
  tag: string,
): Promise<{ productId: string; occurrenceId: string }> {
  const product = await call(target, 'POST', '/v1/catalog/products', {
    type: 'course',
    name: `Bench course ${tag}`,
    price: 49_900,
    vat_rate: 25,
  });
  if (product.status !== 201)
    throw new Error(`POST /v1/catalog/products answered ${product.status}: ${JSON.stringify(product.body)}`);
  const occurrence = await call(target, 'POST', '/v1/catalog/occurrences', {
    product_id: product.body.id,
    name: `Bench date ${tag}`,
    starts_at: new Date(Date.now() + 60 * 86_400_000).toISOString(),
    capacity: 2_000_000_000,
  });
  if (occurrence.status !== 201)
    throw new Error(`POST /v1/catalog/occurrences answered ${occurrence.status}: ${JSON.stringify(occurrence.body)}`);
  return { productId: product.body.id, occurrenceId: occurrence.body.id };
}

async function call(
  target: LoadTarget,
  method: string,
  path: string,
  body?: unknown,
  extraHeaders: Record<string, string> = {},
  base = target.apiUrl,
): Promise<{ status: number; body: any }> {
  const response = await send(`${base}${path}`, {
    method,
    headers: {
      'X-API-Key': target.apiKey,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...extraHeaders,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    timeoutMs: 60_000,
  });
  const text = response.text;
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  return { status: response.status, body: parsed };
}

export function orderBody(occurrenceId: string, kind: 'card' | 'invoice', tag: string, n: number) {
  const email = `${tag}-${n}@bench.example`;
  return {
    payment_method: kind,
    booker: { name: 'Bench Booker', email },
    ...(kind === 'invoice' ? { external_id: `${tag}-${n}` } : {}),
    lines: [{ occurrence_id: occurrenceId, participants: [{ firstname: 'Ada', lastname: 'Bench', email }] }],
  };
}

class OrderError extends Error {
  constructor(
    readonly kindKey: string,
    detail?: string,
  ) {
    super(detail ?? kindKey);
  }
}

export async function runLoad(target: LoadTarget, occurrenceId: string, options: LoadOptions): Promise<LoadResult> {
  const result: LoadResult = {
    startedAt: Date.now(),
    t0: 0,
    lastDone: 0,
    createLatency: new Samples(),
    createServiceLatency: new Samples(),
    e2eLatency: new Samples(),
    e2eCard: new Samples(),
    e2eInvoice: new Samples(),
    errors: new Counter(),
    outcomes: [],
    polls: 0,
    completed: 0,
    created: 0,
    attempted: 0,
    timeline: [],
    maxSchedulerLagMs: 0,
  };
  let sequence = 0;
  // Invoice orders spread evenly through the run (deterministic, not random clumps).
  const kindOf = (n: number): 'card' | 'invoice' =>
    Math.floor((n + 1) * options.invoiceShare) > Math.floor(n * options.invoiceShare) ? 'invoice' : 'card';

  async function waitForStatus(id: string, wanted: string, deadline: number, phase: string): Promise<number> {
    for (;;) {
      const started = performance.now();
      // pollMs 0: the API's long poll answers when the status changes (or after 20 s).
      const path = options.pollMs === 0 ? `/v1/orders/${id}?wait_for=${wanted}&timeout=20s` : `/v1/orders/${id}`;
      const answer = await call(target, 'GET', path).catch((e) => {
        throw new OrderError(`network_${phase}`, (e as Error).message);
      });
      result.polls += 1;
      if (answer.status !== 200) throw new OrderError(`http_${answer.status}_${phase}`);
      const status = answer.body.status as string;
      if (status === wanted) return performance.now();
      if (['rejected', 'expired', 'needs_attention'].includes(status)) throw new OrderError(`unexpected_${status}`);
      if (performance.now() > deadline) throw new OrderError(`timeout_${phase}`, `still ${status}`);
      if (options.pollMs > 0) await sleep(options.pollMs - (performance.now() - started));
    }
  }

  async function oneOrder(scheduled: number): Promise<void> {
    const n = sequence++;
    const kind = kindOf(n);
    const outcome: OrderOutcome = { kind, createdOk: false, completed: false };
    result.outcomes.push(outcome);
    result.attempted += 1;
    const deadline = scheduled + options.orderTimeoutMs;
    try {
      const sentAt = performance.now();
      const created = await call(
        target,
        'POST',
        '/v1/orders',
        orderBody(occurrenceId, kind, options.tag, n),
        options.sendIdempotencyKey ? { 'Idempotency-Key': `${options.tag}-${n}` } : {},
        options.createUrl ?? target.apiUrl,
      ).catch((e) => {
        throw new OrderError('network_create', (e as Error).message);
      });
      const createdAt = performance.now();
      if (created.status !== 201) {
        // The problem's stable code tells a timeout from a refusal (docs/error-codes.md).
        const code = (created.body as { code?: unknown } | undefined)?.code;
        const key = `http_${created.status}_create${typeof code === 'string' ? `_${code}` : ''}`;
        throw new OrderError(key, JSON.stringify(created.body).slice(0, 300));
      }
      result.createLatency.add(createdAt - scheduled);
      result.createServiceLatency.add(createdAt - sentAt);
      outcome.createdOk = true;
      outcome.id = created.body.id;
      result.created += 1;
      outcome.redirectUrl = created.body.payment?.redirect_url as string | undefined;
      if (options.createOnly) {
        result.lastDone = Math.max(result.lastDone, createdAt);
        return;
      }
      const id = created.body.id as string;
      if (kind === 'card') {
        const redirectUrl = created.body.payment?.redirect_url as string | undefined;
        if (!redirectUrl) throw new OrderError('no_redirect_url');
        await payOnProviderPage(target, redirectUrl);
      } else {
        await waitForStatus(id, 'invoiced', deadline, 'invoiced');
        const marked = await call(
          target,
          'PUT',
          `/v1/invoices/by-external-id/${encodeURIComponent(`${options.tag}-${n}`)}/paid`,
        ).catch((e) => {
          throw new OrderError('network_invoice_paid', (e as Error).message);
        });
        if (marked.status !== 204) throw new OrderError(`http_${marked.status}_invoice_paid`);
      }
      const doneAt = await waitForStatus(id, 'completed', deadline, 'completed');
      outcome.completed = true;
      result.completed += 1;
      result.lastDone = Math.max(result.lastDone, doneAt);
      const e2e = doneAt - scheduled;
      result.e2eLatency.add(e2e);
      (kind === 'card' ? result.e2eCard : result.e2eInvoice).add(e2e);
      const bucket = Math.max(0, Math.floor((doneAt - result.t0) / 10_000));
      while (result.timeline.length <= bucket) result.timeline.push(0);
      result.timeline[bucket]! += 1;
    } catch (error) {
      const key = error instanceof OrderError ? error.kindKey : 'exception';
      result.errors.inc(key);
      if (result.errors.counts.get(key) === 1)
        options.onProgress?.(`first error ${key}: ${(error as Error).message.slice(0, 300)}`);
    }
  }

  const inflight = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };
  const progress = setInterval(() => {
    options.onProgress?.(
      `${((performance.now() - result.t0) / 1000).toFixed(0)} s: ${result.attempted} ` +
        `started, ${result.created} created, ${result.completed} completed, ${inflight.size} ` +
        `in flight, ${result.errors.total} errors`,
    );
  }, 10_000);

  const limit = options.maxOrders ?? Number.POSITIVE_INFINITY;
  try {
    if (options.mode === 'open') {
      const interval = 1000 / options.rate;
      const total = Math.min(limit, Math.floor(options.rate * options.durationS));
      result.t0 = performance.now() + 20;
      let i = 0;
      while (i < total) {
        const due = result.t0 + i * interval;
        const now = performance.now();
        if (due > now + 1) {
          await sleep(due - now);
          continue;
        }
        result.maxSchedulerLagMs = Math.max(result.maxSchedulerLagMs, now - due);
        // Every order whose time has come starts now, measured from its own scheduled time.
        while (i < total && result.t0 + i * interval <= performance.now()) {
          track(oneOrder(result.t0 + i * interval));
          i += 1;
        }
      }
    } else {
      result.t0 = performance.now();
      const stopAt = result.t0 + options.durationS * 1000;
      let started = 0;
      const client = async () => {
        while (performance.now() < stopAt && started < limit) {
          started += 1;
          await oneOrder(performance.now());
        }
      };
      for (let c = 0; c < options.concurrency; c++) track(client());
    }
    while (inflight.size > 0) await Promise.race(inflight);
  } finally {
    clearInterval(progress);
  }
  if (result.lastDone === 0) result.lastDone = performance.now();
  return result;
}

/**
 * What the customer's browser does on the provider's page: load it (the form carries a CSRF
 * token), then submit it; the provider then sends its signed webhook to our API.
 */
async function payOnProviderPage(target: LoadTarget, redirectUrl: string): Promise<void> {
  const pageUrl = redirectUrl.replace(/^https?:\/\/[^/]+/, target.apiUrl);
  const form = await send(pageUrl, { timeoutMs: 60_000 }).catch((e) => {
    throw new OrderError('network_pay_page', (e as Error).message);
  });
  const csrfToken = form.text.match(/name="csrf_token" value="([^"]+)"/)?.[1];
  if (!csrfToken) throw new OrderError('no_csrf_token');
  // The provider answers 303 to the merchant's page; the customer's browser would follow it, the bench stops here.
  const paid = await send(pageUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ action: 'pay', card_number: '4242424242424242', csrf_token: csrfToken }).toString(),
    timeoutMs: 60_000,
  }).catch((e) => {
    throw new OrderError('network_pay', (e as Error).message);
  });
  if (paid.status !== 303) throw new OrderError(`http_${paid.status}_pay`);
}

export interface PaidWaitingResult {
  paid: number;
  completed: number;
  seconds: number;
  /** From the page load to `completed`, per order. */
  payToCompleted: Samples;
  errors: Counter;
}

/**
 * --waiting, second half: pays every waiting card order (N clients, closed loop) and waits for
 * each to complete: do orders that waited (and left the worker's cache) still complete at full rate?
 */
export async function payWaitingOrders(
  target: LoadTarget,
  outcomes: OrderOutcome[],
  options: { concurrency: number; maxSeconds: number; onProgress?: (line: string) => void },
): Promise<PaidWaitingResult> {
  const queue = outcomes.filter((o) => o.createdOk && o.id && o.redirectUrl);
  const result: PaidWaitingResult = {
    paid: 0,
    completed: 0,
    seconds: 0,
    payToCompleted: new Samples(),
    errors: new Counter(),
  };
  const t0 = performance.now();
  const progress = setInterval(
    () => options.onProgress?.(`${((performance.now() - t0) / 1000).toFixed(0)} s: ${result.completed} completed`),
    10_000,
  );
  const stopAt = t0 + options.maxSeconds * 1000;
  const client = async () => {
    for (let next = queue.shift(); next && performance.now() < stopAt; next = queue.shift()) {
      const started = performance.now();
      try {
        await payOnProviderPage(target, next.redirectUrl!);
        result.paid += 1;
        for (;;) {
          const answer = await call(target, 'GET', `/v1/orders/${next.id}?wait_for=completed&timeout=20s`);
          if (answer.status !== 200) throw new OrderError(`http_${answer.status}_completed`);
          if (answer.body.status === 'completed') break;
          if (performance.now() - started > 120_000) throw new OrderError('timeout_completed');
        }
        next.completed = true;
        result.completed += 1;
        result.payToCompleted.add(performance.now() - started);
      } catch (error) {
        result.errors.inc(error instanceof OrderError ? error.kindKey : 'exception');
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, client));
  } finally {
    clearInterval(progress);
  }
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}
