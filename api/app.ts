import { OpenAPIHono } from '@hono/zod-openapi';
import { swaggerUI } from '@hono/swagger-ui';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { requestId } from 'hono/request-id';
import { httpInstrumentationMiddleware } from '@hono/otel';
import { activeTraceId, tracingEnabled } from '../runtime/tracing';
import type { AppDeps, AppEnv } from './app-env';
import { authenticate } from './auth';
import { describeRequestRules } from './openapi-document';
import { httpMetrics, metricsEndpoint } from './metrics';
import { answerProblem, dependencyUnavailable, failedDependency } from './outages';
import { ApiProblem, problems } from './problem';
import { requestDeadline } from './request-deadline';
import { rejectControlCharacters } from './request-rules';
import { requestBodyLimit } from './body-limit';
import { compatAdapterOf, compatAdapters } from './compat/adapters';
import { compatDocument } from './compat/compat-document';
import { catalogRoutes } from './routes/catalog';
import { catalogAdminRoutes } from './routes/catalog-admin';
import { subscriptionPeriodRoutes } from './routes/subscription-periods';
import { subscriptionRoutes } from './routes/subscriptions';
import { customerRoutes } from './routes/customers';
import { devMailRoutes } from './routes/dev-mail';
import { healthRoutes } from './routes/health';
import { invoiceDocumentRoutes } from './routes/invoice-documents';
import { invoiceRoutes } from './routes/invoices';
import { orderCancellationRoutes } from './routes/order-cancellation';
import { orderChangeRoutes } from './routes/order-changes';
import { orderEmailRoutes } from './routes/order-emails';
import { participantAttendanceRoutes } from './routes/participant-attendance';
import { orderListRoutes } from './routes/order-list';
import { orderPaymentRoutes } from './routes/order-payments';
import { orderSettlementRoutes } from './routes/order-settlement';
import { orderApprovalRoutes } from './routes/order-approval';
import { orderRoutes } from './routes/orders';
import { sandboxWebhookRoutes } from './routes/payment-webhooks';
import { sandboxPaymentPageRoutes } from './routes/sandbox-psp-page';
import { sandboxCardPageRoutes } from './routes/sandbox-card-page';
import { savedCardRoutes } from './routes/saved-cards';
import { tenantSettingsRoutes } from './routes/tenant-settings';
import { stripeReturnPageRoutes, stripeWebhookRoutes } from './routes/stripe-webhooks';
import { voucherRoutes } from './routes/vouchers';
import { webhookEndpointRoutes } from './routes/webhook-endpoints';
import { validationHook } from './validation-hook';

/** Room for the largest order (5,000 participants, docs/api-examples.md); anything larger is a 413. */
const DEFAULT_BODY_LIMIT = 2 * 1024 * 1024;
const PUBLIC_PREFIXES = ['/v1/webhooks/'];

export type App = OpenAPIHono<AppEnv>;

export function createApp(deps: AppDeps): App {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const limit = deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;

  // Tracing on (runtime/tracing.ts): a server span per request, named by its route template
  // ("POST /v1/orders"), parent of the Temporal client's and SQL spans. Off: not mounted at all.
  if (tracingEnabled()) app.use(httpInstrumentationMiddleware({ captureActiveRequests: false }));
  app.use(requestId({ headerName: 'X-Request-Id' }));
  // Outermost but the request id: every answer is counted, timeouts and problems included.
  const metricsEnabled = deps.metricsEnabled !== false;
  if (metricsEnabled) app.use(httpMetrics);
  app.use(async (c, next) => {
    const started = performance.now();
    c.set('deps', deps);
    const traceId = activeTraceId();
    c.set('logger', deps.logger.child({ request_id: c.get('requestId'), ...(traceId ? { trace_id: traceId } : {}) }));
    const compat = compatAdapterOf(c.req.path);
    if (compat) c.set('answerCompatProblem', compat.answerProblem);
    await next();
    c.get('logger').info(
      { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) },
      'request',
    );
  });
  // The security headers every answer carries are set by the server under the app (api/serve-api.ts).
  app.use(rejectControlCharacters);
  // Outside auth (whose key lookup queries the database): every request answers within the deadline.
  app.use(requestDeadline(deps));
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, allowed) =>
        answerProblem(
          c,
          new ApiProblem(405, 'method_not_allowed', 'Method Not Allowed', `Use ${allowed.join(', ')}`, undefined, {
            Allow: allowed.join(', '),
          }),
        ),
    }),
  );
  app.use(
    requestBodyLimit(limit, () => {
      throw problems.payloadTooLarge(limit);
    }),
  );
  app.use('/v1/*', async (c, next) => {
    if (PUBLIC_PREFIXES.some((prefix) => c.req.path.startsWith(prefix))) return next();
    return authenticate(c, next);
  });

  app.openAPIRegistry.registerComponent('securitySchemes', 'ApiKey', {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'Bearer', { type: 'http', scheme: 'bearer' });

  // One sub-app per resource; each route in it declares the scope it needs. The mounting order
  // is the order of the paths in /openapi.json.
  app.route('/', healthRoutes);
  app.route('/v1/catalog', catalogRoutes);
  app.route('/v1/catalog', catalogAdminRoutes);
  app.route('/v1/catalog', subscriptionPeriodRoutes);
  app.route('/v1/orders', orderRoutes);
  app.route('/v1/orders', orderCancellationRoutes);
  app.route('/v1/orders', orderChangeRoutes);
  app.route('/v1/orders', orderPaymentRoutes);
  app.route('/v1/orders', orderSettlementRoutes);
  app.route('/v1/orders', orderApprovalRoutes);
  app.route('/v1/orders', orderEmailRoutes);
  app.route('/v1/orders', participantAttendanceRoutes);
  app.route('/v1/customers', savedCardRoutes);
  app.route('/v1/orders', orderListRoutes);
  app.route('/v1/vouchers', voucherRoutes);
  app.route('/v1/customers', customerRoutes);
  app.route('/v1/subscriptions', subscriptionRoutes);
  app.route('/v1/invoices', invoiceRoutes);
  app.route('/v1/invoices', invoiceDocumentRoutes);
  app.route('/v1/webhook-endpoints', webhookEndpointRoutes);
  app.route('/v1/settings', tenantSettingsRoutes);
  app.route('/v1/webhooks/sandbox', sandboxWebhookRoutes);
  app.route('/v1/webhooks/stripe', stripeWebhookRoutes);
  app.route('/psp/stripe', stripeReturnPageRoutes);
  app.route('/psp/sandbox', sandboxPaymentPageRoutes);
  app.route('/psp/sandbox', sandboxCardPageRoutes);
  // Other platforms' calls in their own shapes (docs/compatibility.md), each authenticated inside (its
  // error shape even for a bad key) and placed through this app's own /v1 routes, in-process.
  const callApi = (path: string, init: RequestInit) => app.request(path, init);
  for (const adapter of compatAdapters) app.route(`/compat/${adapter.prefix}`, adapter.routes(callApi));
  const compatDoc = compatDocument(compatAdapters, deps.publicBaseUrl);
  app.get('/compat/openapi.json', (c) => c.json(compatDoc));
  const devMailDir = deps.devRoutes?.mailSinkDir;
  if (devMailDir) {
    app.route('/dev', devMailRoutes({ mailSinkDir: devMailDir, allowRemote: deps.devRoutes?.allowRemote }));
  }

  const documentConfig: Parameters<App['getOpenAPI31Document']>[0] = {
    openapi: '3.1.0',
    info: {
      title: 'Order orchestrator API',
      version: '1.0.0',
      description:
        'Orders for courses, tickets, slots and items, carried durably by one Temporal workflow ' +
        'per order. Errors are application/problem+json (RFC 9457) with a stable `code`. ' +
        'Any endpoint answers 503 with Retry-After while PostgreSQL or Temporal is unavailable ' +
        '(`dependency_unavailable`) ' +
        'or when it cannot finish within the request deadline (`request_timeout`).',
    },
    servers: [{ url: deps.publicBaseUrl }],
    security: [{ ApiKey: [] }, { Bearer: [] }],
  };
  // Built once, at the first request (every route is registered by then), with the request rules
  // every route shares (control characters) stated in it (openapi-document.ts).
  let document: object | undefined;
  app.get('/openapi.json', (c) => {
    document ??= describeRequestRules(app.getOpenAPI31Document(documentConfig));
    return c.json(document);
  });
  app.get('/docs', swaggerUI({ url: '/openapi.json' }));
  // Prometheus text format, no API key; a plain route, so not in the OpenAPI document.
  if (metricsEnabled) app.get('/metrics', metricsEndpoint);

  app.notFound((c) => answerProblem(c, problems.notFound('route', 'route_not_found')));
  app.onError((error, c) => handleError(error, c));
  return app;
}

function handleError(error: Error, c: Context<AppEnv>): Response | Promise<Response> {
  if (error instanceof ApiProblem) return answerProblem(c, error);
  if (error instanceof HTTPException) {
    if (error.status === 400)
      return answerProblem(c, problems.badRequest('malformed_body', error.message || 'Malformed request body'));
    if (error.status === 413) return answerProblem(c, problems.payloadTooLarge(0));
    return answerProblem(c, new ApiProblem(error.status as 400, 'http_error', error.message || 'Error', error.message));
  }
  if (error instanceof SyntaxError)
    return answerProblem(c, problems.badRequest('malformed_json', 'The body is not valid JSON'));
  // A dependency that is down is not our bug: 503 with Retry-After, so clients retry.
  const dependency = failedDependency(error);
  if (dependency) {
    c.get('logger')?.warn({ err: error, dependency }, 'dependency unavailable');
    return answerProblem(c, dependencyUnavailable(dependency));
  }
  c.get('logger')?.error({ err: error }, 'unhandled error');
  // No stack trace or message leaks: they may name tables, hosts or secrets.
  const detail = `Something went wrong on our side; quote request id ${c.get('requestId')} when reporting it`;
  return answerProblem(c, new ApiProblem(500, 'internal_error', 'Internal Server Error', detail));
}
