// Baseline (b): the order create without Temporal. A tiny HTTP server in the bench process that
// does, per POST /v1/orders, what the API and the workflow's submit update do together —
// numbering (Idempotency-Key claim), validateOrder → placeOrder → createPaymentSession (the same
// activity functions, called directly) — against the stack's own database.
import { loadOrderSummary } from '../../db/queries/order-summary';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Transporter } from 'nodemailer';
import { createActivities } from '../../activities';
import { createDefaultPaymentProviders } from '../../payments/provider-registry';
import { hashApiKey } from '../../domain/api-key';
import { orderRequestSchema } from '../../api/schemas/order-request';
import { createDb } from '../../db/database';
import { claimIdempotencyKey, nextOrderNumber, storeIdempotentResponse } from '../../db/queries/order-numbers';

export interface SyncBaselineServer {
  url: string;
  stop(): Promise<void>;
}

export async function startSyncBaseline(options: {
  databaseUrl: string;
  apiKey: string;
  publicBaseUrl: string;
}): Promise<SyncBaselineServer> {
  // The API's and the worker's pool size.
  const db = createDb(options.databaseUrl, { maxConnections: 20 });
  const mailTransport = { sendMail: async () => ({}), close: () => undefined } as unknown as Transporter;
  const activities = createActivities({
    db,
    publicBaseUrl: options.publicBaseUrl,
    mailTransport,
    // The worker's own provider set (worker-runtime.ts).
    paymentProviders: createDefaultPaymentProviders({ db, publicBaseUrl: options.publicBaseUrl }),
  });
  const key = await db
    .selectFrom('api_keys')
    .innerJoin('tenants', 'tenants.id', 'api_keys.tenant_id')
    .select(['tenants.id', 'tenants.slug', 'api_keys.scopes'])
    .where('api_keys.key_hash', '=', hashApiKey(options.apiKey))
    .executeTakeFirstOrThrow();
  const tenantId = key.id;

  async function create(
    rawBody: string,
    idempotencyKey: string | undefined,
  ): Promise<{ status: number; body: unknown }> {
    const parsed = orderRequestSchema.safeParse(JSON.parse(rawBody));
    if (!parsed.success) return { status: 400, body: { code: 'validation_failed' } };
    const request = parsed.data;
    const hash = createHash('sha256').update(rawBody).digest('hex');
    let identity: { orderId: string; orderNumber: number };
    if (idempotencyKey) {
      const claim = await claimIdempotencyKey(db, tenantId, idempotencyKey, hash);
      if (claim.kind !== 'new' && claim.kind !== 'resume') return { status: 409, body: { code: claim.kind } };
      identity = claim;
    } else {
      identity = { orderId: crypto.randomUUID(), orderNumber: await nextOrderNumber(db, tenantId) };
    }
    const submission = { request, requestHash: hash, canOverridePrice: key.scopes.includes('orders:price_override') };
    const validation = await activities.validateOrder({ tenantId, submission });
    if (!validation.ok) return { status: 422, body: { errors: validation.errors } };
    const { draft, preliminaryMinutes } = validation;
    const paymentMethod = draft.pricing.totals.inclVat === 0 ? 'free' : draft.paymentMethod;
    const placed = await activities.placeOrder({
      tenantId,
      orderId: identity.orderId,
      orderNumber: identity.orderNumber,
      workflowId: `sync-${key.slug}-${identity.orderNumber}`,
      submission,
      draft,
      paymentMethod,
      preliminaryUntil:
        paymentMethod === 'card' ? new Date(Date.now() + preliminaryMinutes * 60_000).toISOString() : null,
    });
    if (!placed.ok) return { status: 422, body: { errors: placed.errors } };
    if (paymentMethod === 'card') await activities.createPaymentSession({ tenantId, orderId: identity.orderId });
    const summary = await loadOrderSummary(db, tenantId, identity.orderId);
    if (idempotencyKey) await storeIdempotentResponse(db, tenantId, idempotencyKey, 201, summary);
    return { status: 201, body: summary };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const idempotencyKey = req.headers['idempotency-key'];
      create(Buffer.concat(chunks).toString('utf8'), typeof idempotencyKey === 'string' ? idempotencyKey : undefined)
        .then(({ status, body }) => {
          res.writeHead(status, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(body));
        })
        .catch((error: Error) => {
          res.writeHead(500, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ error: error.message }));
        });
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.destroy();
    },
  };
}
