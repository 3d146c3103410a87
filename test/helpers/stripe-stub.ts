import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

// A local stand-in for the few Stripe endpoints we call, so tests never touch the network.
// The official SDK talks to it (STRIPE_API_BASE → host/port/protocol). State is in memory;
// Idempotency-Key is honoured like Stripe does (same key + same parameters → the first answer
// again; same key + other parameters → idempotency_error), per API key.

export interface StubCheckoutSession {
  id: string;
  object: 'checkout.session';
  mode: string;
  status: 'open' | 'complete' | 'expired';
  payment_status: 'unpaid' | 'paid';
  amount_total: number;
  currency: string;
  client_reference_id: string | null;
  metadata: Record<string, string>;
  payment_intent: string | null;
  payment_intent_metadata: Record<string, string>;
  line_items: { name: string; unit_amount: number; quantity: number }[];
  success_url: string | null;
  cancel_url: string | null;
  expires_at: number;
  created: number;
  url: string | null;
  livemode: false;
}

export interface StubRefund {
  id: string;
  object: 'refund';
  amount: number;
  currency: string;
  payment_intent: string;
  status: 'succeeded';
  created: number;
}

export interface StubRequest {
  method: string;
  path: string;
  apiKey: string | null;
  idempotencyKey: string | null;
  params: Record<string, unknown>;
  status: number;
  replayed: boolean;
}

export interface StripeStub {
  /** e.g. http://127.0.0.1:12111 — what STRIPE_API_BASE is set to. */
  url: string;
  sessions: Map<string, StubCheckoutSession>;
  refunds: StubRefund[];
  /** Every API call, in order (replays included, flagged). */
  requests: StubRequest[];
  /** The customer pays on the Checkout page. */
  markPaid(sessionId: string): StubCheckoutSession;
  /** A Stripe snapshot event about one of the stub's sessions, as Stripe would send it. */
  checkoutEvent(
    type: 'checkout.session.completed' | 'checkout.session.expired' | 'checkout.session.async_payment_failed',
    sessionId: string,
  ): StripeTestEvent;
  /** A declined attempt on the Checkout page (the session stays open). */
  paymentFailedEvent(sessionId: string): StripeTestEvent;
  stop(): Promise<void>;
}

export interface StripeTestEvent {
  id: string;
  object: 'event';
  type: string;
  created: number;
  api_version: string;
  livemode: false;
  pending_webhooks: number;
  request: { id: null; idempotency_key: null };
  data: { object: Record<string, unknown> };
}

type Answer = { status: number; body: unknown };

/** `a[b][0][c]=x` form fields (what the SDK sends) → nested objects; numeric keys → arrays. */
function parseForm(body: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const parts = key.replace(/\]/g, '').split('[');
    let node = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const part = parts[i]!;
      node[part] ??= {};
      node = node[part] as Record<string, unknown>;
    }
    node[parts[parts.length - 1]!] = value;
  }
  return arrays(root) as Record<string, unknown>;
}

function arrays(value: unknown): unknown {
  if (!value || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, arrays(v)] as const);
  if (entries.length > 0 && entries.every(([k]) => /^\d+$/.test(k))) {
    return entries.sort(([a], [b]) => Number(a) - Number(b)).map(([, v]) => v);
  }
  return Object.fromEntries(entries);
}

function stripeError(status: number, type: string, message: string, extra: Record<string, unknown> = {}): Answer {
  return { status, body: { error: { type, message, ...extra } } };
}

const id = (prefix: string) => `${prefix}_test_${randomBytes(12).toString('hex')}`;
const now = () => Math.floor(Date.now() / 1000);

export async function startStripeStub(options: { apiKeys?: string[] } = {}): Promise<StripeStub> {
  const sessions = new Map<string, StubCheckoutSession>();
  const refunds: StubRefund[] = [];
  const requests: StubRequest[] = [];
  const idempotent = new Map<string, { fingerprint: string; answer: Answer }>();
  let url = '';

  function publicSession(session: StubCheckoutSession): Record<string, unknown> {
    const { payment_intent_metadata: _metadata, line_items: _items, ...rest } = session;
    return rest;
  }

  function createSession(params: Record<string, any>): Answer {
    if (params.mode !== 'payment')
      return stripeError(400, 'invalid_request_error', 'mode must be payment', { param: 'mode' });
    const item = params.line_items?.[0];
    const unitAmount = Number(item?.price_data?.unit_amount);
    const quantity = Number(item?.quantity ?? 1);
    const currency = String(item?.price_data?.currency ?? '');
    if (!Number.isInteger(unitAmount) || unitAmount < 0 || !/^[a-z]{3}$/.test(currency)) {
      return stripeError(
        400,
        'invalid_request_error',
        'line_items[0][price_data] needs unit_amount and a lowercase currency',
        { param: 'line_items' },
      );
    }
    if (!params.success_url)
      return stripeError(400, 'invalid_request_error', 'Missing required param: success_url.', {
        param: 'success_url',
      });
    const created = now();
    const expiresAt = params.expires_at === undefined ? created + 86_400 : Number(params.expires_at);
    // Stripe's rule: between 30 minutes and 24 hours from creation.
    if (expiresAt < created + 1_800 || expiresAt > created + 86_400) {
      return stripeError(
        400,
        'invalid_request_error',
        'The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.',
        { param: 'expires_at' },
      );
    }
    const sessionId = id('cs');
    const session: StubCheckoutSession = {
      id: sessionId,
      object: 'checkout.session',
      mode: 'payment',
      status: 'open',
      payment_status: 'unpaid',
      amount_total: unitAmount * quantity,
      currency,
      client_reference_id: params.client_reference_id ?? null,
      metadata: params.metadata ?? {},
      payment_intent: null,
      payment_intent_metadata: params.payment_intent_data?.metadata ?? {},
      line_items: [{ name: String(item?.price_data?.product_data?.name ?? ''), unit_amount: unitAmount, quantity }],
      success_url: params.success_url ?? null,
      cancel_url: params.cancel_url ?? null,
      expires_at: expiresAt,
      created,
      url: `${url}/c/pay/${sessionId}`,
      livemode: false,
    };
    sessions.set(sessionId, session);
    return { status: 200, body: publicSession(session) };
  }

  function expireSession(sessionId: string): Answer {
    const session = sessions.get(sessionId);
    if (!session)
      return stripeError(404, 'invalid_request_error', `No such checkout.session: '${sessionId}'`, {
        code: 'resource_missing',
      });
    if (session.status !== 'open') {
      return stripeError(
        400,
        'invalid_request_error',
        `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout ` +
          `Session has a status of "${session.status}".`,
      );
    }
    session.status = 'expired';
    session.url = null;
    return { status: 200, body: publicSession(session) };
  }

  function createRefund(params: Record<string, any>): Answer {
    const session = [...sessions.values()].find((s) => s.payment_intent && s.payment_intent === params.payment_intent);
    if (session?.payment_status !== 'paid' || !session.payment_intent) {
      return stripeError(404, 'invalid_request_error', `No such payment_intent: '${params.payment_intent}'`, {
        code: 'resource_missing',
        param: 'payment_intent',
      });
    }
    const refunded = refunds
      .filter((r) => r.payment_intent === session.payment_intent)
      .reduce((n, r) => n + r.amount, 0);
    const amount = params.amount === undefined ? session.amount_total - refunded : Number(params.amount);
    if (!Number.isInteger(amount) || amount <= 0 || refunded + amount > session.amount_total) {
      return stripeError(
        400,
        'invalid_request_error',
        `Refund amount (${amount}) is greater than unrefunded amount on charge (${session.amount_total - refunded})`,
        { code: 'amount_too_large' },
      );
    }
    const refund: StubRefund = {
      id: id('re'),
      object: 'refund',
      amount,
      currency: session.currency,
      payment_intent: session.payment_intent,
      status: 'succeeded',
      created: now(),
    };
    refunds.push(refund);
    return { status: 200, body: refund };
  }

  function route(method: string, path: string, params: Record<string, any>): Answer {
    if (method === 'POST' && path === '/v1/checkout/sessions') return createSession(params);
    let match = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(path);
    if (method === 'GET' && match) {
      const session = sessions.get(decodeURIComponent(match[1]!));
      return session
        ? { status: 200, body: publicSession(session) }
        : stripeError(404, 'invalid_request_error', `No such checkout.session: '${match[1]}'`, {
            code: 'resource_missing',
          });
    }
    match = /^\/v1\/checkout\/sessions\/([^/]+)\/expire$/.exec(path);
    if (method === 'POST' && match) return expireSession(decodeURIComponent(match[1]!));
    if (method === 'POST' && path === '/v1/refunds') return createRefund(params);
    return stripeError(404, 'invalid_request_error', `Unrecognized request URL (${method}: ${path}).`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const target = new URL(req.url ?? '/', 'http://stub');
    const method = req.method ?? 'GET';
    const send = (answer: Answer, headers: Record<string, string> = {}) => {
      res.writeHead(answer.status, { 'Content-Type': 'application/json', 'Request-Id': id('req'), ...headers });
      res.end(JSON.stringify(answer.body));
    };

    if (method === 'GET' && target.pathname.startsWith('/c/pay/')) {
      // The hosted Checkout page: only there so the redirect URL leads somewhere.
      const session = sessions.get(target.pathname.slice('/c/pay/'.length));
      res.writeHead(session ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(
        session
          ? `<h1>Stripe Checkout (stub)</h1><p>${session.amount_total} ${session.currency}</p>`
          : '<h1>Not found</h1>',
      );
      return;
    }

    const params = method === 'GET' ? Object.fromEntries(target.searchParams) : parseForm(body);
    const auth = req.headers.authorization;
    const apiKey = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : null;
    const idempotencyKey = (req.headers['idempotency-key'] as string | undefined) ?? null;
    const record = (status: number, replayed: boolean) =>
      requests.push({ method, path: target.pathname, apiKey, idempotencyKey, params, status, replayed });

    if (!apiKey || (options.apiKeys && !options.apiKeys.includes(apiKey))) {
      const answer = stripeError(401, 'invalid_request_error', 'Invalid API Key provided: sk_test_****');
      record(answer.status, false);
      send(answer);
      return;
    }
    if (method === 'POST' && idempotencyKey) {
      const scope = `${apiKey}\u0000${idempotencyKey}`;
      const fingerprint = createHash('sha256').update(`${method} ${target.pathname}\u0000${body}`).digest('hex');
      const seen = idempotent.get(scope);
      if (seen) {
        if (seen.fingerprint !== fingerprint) {
          const answer = stripeError(
            400,
            'idempotency_error',
            `Keys for idempotent requests can only be used with the same parameters they were ` +
              `first used with. Try using a key other than '${idempotencyKey}' if you meant to ` +
              `execute a different request.`,
          );
          record(answer.status, false);
          send(answer);
          return;
        }
        record(seen.answer.status, true);
        send(seen.answer, { 'Idempotent-Replayed': 'true', 'Idempotency-Key': idempotencyKey });
        return;
      }
      const answer = route(method, target.pathname, params);
      // Stripe keeps the answer of a request that ran (not of one refused before it ran).
      if (answer.status < 500) idempotent.set(scope, { fingerprint, answer });
      record(answer.status, false);
      send(answer, { 'Idempotency-Key': idempotencyKey });
      return;
    }
    const answer = route(method, target.pathname, params);
    record(answer.status, false);
    send(answer);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { type: 'api_error', message: String(error) } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  function sessionOrThrow(sessionId: string): StubCheckoutSession {
    const session = sessions.get(sessionId);
    if (!session) throw new Error(`stripe stub: no session ${sessionId}`);
    return session;
  }

  function event(type: string, object: Record<string, unknown>): StripeTestEvent {
    return {
      id: id('evt'),
      object: 'event',
      type,
      created: now(),
      api_version: '2025-01-27.acacia',
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object },
    };
  }

  return {
    get url() {
      return url;
    },
    sessions,
    refunds,
    requests,
    markPaid(sessionId) {
      const session = sessionOrThrow(sessionId);
      if (session.status !== 'open')
        throw new Error(`stripe stub: session ${sessionId} is ${session.status}, cannot be paid`);
      session.status = 'complete';
      session.payment_status = 'paid';
      session.payment_intent = id('pi');
      session.url = null;
      return session;
    },
    checkoutEvent(type, sessionId) {
      return event(type, publicSession(sessionOrThrow(sessionId)));
    },
    paymentFailedEvent(sessionId) {
      const session = sessionOrThrow(sessionId);
      return event('payment_intent.payment_failed', {
        id: session.payment_intent ?? id('pi'),
        object: 'payment_intent',
        amount: session.amount_total,
        currency: session.currency,
        status: 'requires_payment_method',
        metadata: session.payment_intent_metadata,
        last_payment_error: { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline' },
      });
    },
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** Signs a webhook body the way Stripe does, with the SDK's own test helper. */
export function signStripeWebhook(payload: string, secret: string, timestampSeconds?: number): string {
  return Stripe.webhooks.generateTestHeaderString({
    payload,
    secret,
    ...(timestampSeconds === undefined ? {} : { timestamp: timestampSeconds }),
  });
}

/** Delivers an event to our webhook endpoint as Stripe would: the exact body, signed. */
export async function postStripeWebhook(
  endpoint: string,
  event: StripeTestEvent | string,
  secret: string,
): Promise<Response> {
  const payload = typeof event === 'string' ? event : JSON.stringify(event, null, 2);
  return fetch(endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Stripe-Signature': signStripeWebhook(payload, secret),
    },
    body: payload,
  });
}
