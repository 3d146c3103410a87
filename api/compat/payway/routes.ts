import type { Context } from 'hono';
import type { AppEnv } from '../../app-env';
import { requireScope } from '../../auth';
import { ApiProblem } from '../../problem';
import { createResourceApp } from '../../resource-app';
import { type CallApi, callOurApi } from '../call-api';
import { authenticateCompat } from '../compat-auth';
import { type OurOrder, toPaywayCreated } from './answer-mapping';
import { type OurProblem, type PaywayFailure, paywayFailure, toPaywayFailure } from './error-mapping';
import { parsePaywayRequest, paymentMethodFor, toOrderRequest } from './request-mapping';
import { resolveAccount, resolvePaymentProfile, resolvePeriod } from './resolve-ids';

// Tulo Payway's create_order, answered in its own shape (docs/compatibility/payway.md). Nothing is
// decided here: the body is mapped to our OrderRequest and placed through POST /v1/orders itself,
// in-process, so validation, pricing, payment and idempotency are that route's, and the order (and
// the subscription it starts when it completes) is an ordinary /v1 one afterwards.

const SCOPE = 'orders:write';
const CREATE_ORDER = '/external/api/v2/accounts/create_order';

function fail(c: Context<AppEnv>, status: number, body: PaywayFailure, headers: Record<string, string> = {}) {
  return c.json(body, status as 400, headers);
}

/** Our answer, when it is a problem, in their shape with our status (and its Retry-After, if any). */
async function relayProblem(c: Context<AppEnv>, response: Response) {
  const problem = (await response.json()) as OurProblem;
  const retryAfter = response.headers.get('retry-after');
  return fail(
    c,
    response.status,
    toPaywayFailure(response.status, problem),
    retryAfter ? { 'Retry-After': retryAfter } : {},
  );
}

/** RFC 6750's challenge: which error, once a token was presented at all. */
function bearerChallenge(c: Context<AppEnv>, status: number): Record<string, string> {
  if (status === 403) return { 'WWW-Authenticate': `Bearer error="insufficient_scope", scope="${SCOPE}"` };
  const presented = Boolean(c.req.header('authorization')?.trim() || c.req.header('x-api-key')?.trim());
  return { 'WWW-Authenticate': presented ? 'Bearer error="invalid_token"' : 'Bearer' };
}

/** A field this adapter cannot honour: refused, since ignoring it would give the buyer something else. */
function notSupported(c: Context<AppEnv>, field: string, message: string) {
  return fail(c, 501, paywayFailure('not_supported', message, [{ code: 'not_supported', message, field }]));
}

/** Any problem of ours on these routes, as their `{error, error_description}` (and Retry-After). */
export function answerPaywayProblem(c: Context<AppEnv>, error: ApiProblem) {
  const challenge = error.status === 401 || error.status === 403 ? bearerChallenge(c, error.status) : {};
  const body = toPaywayFailure(error.status, { ...error, errors: error.errors });
  return fail(c, error.status, body, { ...error.headers, ...challenge });
}

export function paywayRoutes(callApi: CallApi) {
  const routes = createResourceApp();

  // Their clients read `{error, error_description}` for every failure, a missing token included.
  routes.onError((error, c) => {
    if (!(error instanceof ApiProblem)) throw error;
    return answerPaywayProblem(c, error);
  });
  routes.use('*', authenticateCompat('header'));

  routes.post(CREATE_ORDER, requireScope(SCOPE), async (c) => {
    let value: unknown;
    try {
      value = JSON.parse(await c.req.text());
    } catch {
      const message = 'The body is not valid JSON';
      return fail(c, 400, paywayFailure('invalid_request', message, [{ code: 'malformed_json', message }]));
    }
    const parsed = parsePaywayRequest(value);
    if (!parsed.ok)
      return fail(c, 400, paywayFailure('invalid_request', 'The request body is not valid', parsed.errors));
    const body = parsed.body;

    if (body.voucher_purchase)
      return notSupported(
        c,
        'voucher_purchase',
        'Buying a subscription as a voucher is not supported: our vouchers are value vouchers, not periods',
      );
    if (body.invoice_delivery_method === 'mail')
      return notSupported(c, 'invoice_delivery_method', 'Invoices are sent by email only; there is no paper mail');

    const account = await resolveAccount(c, body.account_id, body.email);
    if (!account.ok) return fail(c, 422, paywayFailure(account.error.code, account.error.message, [account.error]));
    const period = await resolvePeriod(c, callApi, body.product_code, body.period_id);
    if (!period.ok) {
      if (period.relay) return relayProblem(c, period.relay);
      return fail(c, 422, paywayFailure(period.error.code, period.error.message, [period.error]));
    }
    const paymentMethod = paymentMethodFor(period.value.paymentMethods, body);

    let savedCardId: string | undefined;
    if (body.account_payment_profile_id) {
      if (paymentMethod !== 'card') {
        const message = `The period is paid by ${paymentMethod}: a stored payment profile pays card periods only`;
        const error = { code: 'payment_method_not_allowed_for_period', message, field: 'account_payment_profile_id' };
        return fail(c, 422, paywayFailure(error.code, message, [error]));
      }
      const card = await resolvePaymentProfile(c, account.value.customerId, body.account_payment_profile_id);
      if (!card.ok) return fail(c, 422, paywayFailure(card.error.code, card.error.message, [card.error]));
      savedCardId = card.value;
    }

    const request = toOrderRequest(body, {
      productId: period.value.productId,
      periodCode: period.value.code,
      paymentMethod,
      bookerEmail: account.value.email,
      externalContactId: account.value.externalContactId,
    });
    const placed = await callOurApi(c, callApi, 'POST', '/v1/orders', request);
    if (!placed.ok) return relayProblem(c, placed);
    const order = (await placed.json()) as OurOrder;
    if (!savedCardId) return c.json(toPaywayCreated(order), 201);

    // The stored card is charged as their API does in the same call: a second /v1 call, the
    // payment of the order just placed. If it fails the order waits for payment (and expires).
    const charged = await callOurApi(c, callApi, 'POST', `/v1/orders/${order.id}/payments`, {
      saved_card_id: savedCardId,
    });
    if (!charged.ok) return relayProblem(c, charged);
    const payment = (await charged.json()) as { session_id?: string };
    return c.json(toPaywayCreated(order, payment.session_id ?? null), 201);
  });

  // Only their create_order is served: anything else is answered in their shape, not as ours.
  routes.all(CREATE_ORDER, (c) => {
    const message = 'Only POST is supported here; read the order with GET /v1/orders/{id}';
    const body = paywayFailure('method_not_allowed', message, [{ code: 'method_not_allowed', message }]);
    return fail(c, 405, body, { Allow: 'POST' });
  });
  routes.all('*', (c) => {
    const message = `No such route: ${c.req.method} ${c.req.path}. This adapter serves POST ${CREATE_ORDER}`;
    return fail(c, 404, paywayFailure('not_found', message, [{ code: 'route_not_found', message }]));
  });

  return routes;
}
