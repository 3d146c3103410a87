import { randomBytes } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { getOccurrence } from '../../db/queries/catalog';
import {
  type CampaignRow,
  type ExchangeRateRow,
  foreignProductIds,
  getProduct,
  insertCampaign,
  insertOccurrence,
  insertProduct,
  insertVoucher,
  listCampaigns,
  listExchangeRates,
  tenantBaseCurrency,
  updateOccurrence,
  updateProduct,
  upsertExchangeRate,
  type VoucherRow,
} from '../../db/queries/catalog-admin';
import { createResourceApp } from '../resource-app';
import { assertUuid, externalIdTaken, guardedCatalogWrite } from '../catalog-writes';
import { requireScope } from '../auth';
import { decodeCursor, encodeCursor } from '../cursor';
import { type ProblemFieldError, problems } from '../problem';
import { occurrenceSchema, productSchema } from '../schemas/catalog';
import {
  type CampaignCreate,
  campaignCreateSchema,
  campaignListSchema,
  campaignSchema,
  exchangeRateListSchema,
  exchangeRatePutSchema,
  exchangeRateSchema,
  occurrenceCreateSchema,
  occurrencePatchSchema,
  productCreateSchema,
  productPatchSchema,
  type VoucherCreate,
  voucherCreateSchema,
  voucherSchema,
} from '../schemas/catalog-admin';
import { currencyCode, limitQuery, problemResponses } from '../schemas/common';
import { presentOccurrence, presentProduct, presentProductsWithPeriods } from './catalog';

const locationHeader = { Location: { schema: { type: 'string' as const } } };
const idParams = z.object({ id: z.string() });
const json = <T>(schema: T) => ({ 'application/json': { schema } });

/** Percent (25, 12.5) → basis points (2500, 1250). */
export function vatRateToBasisPoints(vatRate: number): number {
  return Math.round(vatRate * 100);
}

function iso(value: Date | null): string | null {
  return value ? value.toISOString() : null;
}

/** numeric(24, 10) text without the padding zeros: "0.0853000000" → "0.0853". */
export function normalizeRate(rate: string): string {
  return rate.includes('.') ? rate.replace(/0+$/, '').replace(/\.$/, '') : rate;
}

function presentExchangeRate(r: ExchangeRateRow) {
  return {
    base_currency: r.base_currency,
    currency: r.quote_currency,
    rate: normalizeRate(r.rate),
    updated_at: r.updated_at.toISOString(),
  };
}

function presentCampaign(c: CampaignRow) {
  return {
    id: c.id,
    code: c.code,
    kind: c.kind,
    percent: c.percent === null ? null : Number(c.percent),
    amount: c.amount,
    currency: c.currency,
    valid_from: iso(c.valid_from),
    valid_until: iso(c.valid_until),
    max_uses: c.max_uses,
    uses: c.uses,
    min_order_amount: c.min_order_amount,
    product_ids: c.product_ids,
    created_at: c.created_at.toISOString(),
  };
}

function presentVoucher(v: VoucherRow) {
  return {
    id: v.id,
    code: v.code,
    kind: v.kind,
    currency: v.currency,
    initial_value: v.initial_value,
    remaining_value: v.remaining_value,
    percent: v.percent === null ? null : Number(v.percent),
    valid_until: iso(v.valid_until),
    redeemed_at: iso(v.redeemed_at),
    created_at: v.created_at.toISOString(),
  };
}

// 32 symbols without 0/O or 1/I: 256 is a multiple of 32, so `byte % 32` picks one without bias.
const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export function generateVoucherCode(): string {
  let code = 'GIFT-';
  for (const byte of randomBytes(8)) code += CODE_ALPHABET[byte % CODE_ALPHABET.length];
  return code;
}

function requiredFor(kind: string, field: string): ProblemFieldError {
  return { code: 'field_required', message: `"${field}" is required for kind "${kind}"`, field };
}

function notAllowedFor(kind: string, field: string): ProblemFieldError {
  return { code: 'field_not_allowed', message: `"${field}" does not apply to kind "${kind}"`, field };
}

function campaignErrors(body: CampaignCreate): ProblemFieldError[] {
  const errors: ProblemFieldError[] = [];
  if (body.kind === 'percent') {
    if (body.percent === undefined) errors.push(requiredFor('percent', 'percent'));
    if (body.amount !== undefined) errors.push(notAllowedFor('percent', 'amount'));
    if (body.currency !== undefined) errors.push(notAllowedFor('percent', 'currency'));
  } else {
    if (body.amount === undefined) errors.push(requiredFor('amount', 'amount'));
    if (body.currency === undefined) errors.push(requiredFor('amount', 'currency'));
    if (body.percent !== undefined) errors.push(notAllowedFor('amount', 'percent'));
  }
  if (body.valid_from && body.valid_until && Date.parse(body.valid_until) <= Date.parse(body.valid_from)) {
    errors.push({ code: 'invalid_value', message: '"valid_until" must be after "valid_from"', field: 'valid_until' });
  }
  return errors;
}

function voucherErrors(body: VoucherCreate): ProblemFieldError[] {
  const errors: ProblemFieldError[] = [];
  if (body.kind === 'value') {
    if (body.value === undefined) errors.push(requiredFor('value', 'value'));
    if (body.currency === undefined) errors.push(requiredFor('value', 'currency'));
    if (body.percent !== undefined) errors.push(notAllowedFor('value', 'percent'));
  } else {
    if (body.percent === undefined) errors.push(requiredFor('percent', 'percent'));
    if (body.value !== undefined) errors.push(notAllowedFor('percent', 'value'));
    if (body.currency !== undefined) errors.push(notAllowedFor('percent', 'currency'));
  }
  return errors;
}

/** The 409 of a second product, occurrence or period of the tenant with the same external id. */
function invalid(code: string, what: string, errors: ProblemFieldError[]) {
  return problems.unprocessable(code, `The ${what} is not valid: ${errors.map((e) => e.message).join('; ')}`, errors);
}

// Reading the catalogue is open to every key of the tenant; each route that changes it needs
// catalog:admin.
export const catalogAdminRoutes = createResourceApp();

// ── Products ──────────────────────────────────────────────────────────────────────────

catalogAdminRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/products',
    tags: ['catalog admin'],
    summary: 'Create a product',
    middleware: [requireScope('catalog:admin')],
    description:
      'Needs the `catalog:admin` scope. `vat_rate` is a percent (25, 12.5); amounts are minor units. ' +
      '`external_id` is unique per tenant among products (409 `external_id_taken`).',
    request: { body: { required: true, content: json(productCreateSchema) } },
    responses: {
      201: { description: 'Created', headers: locationHeader, content: json(productSchema) },
      ...problemResponses(400, 401, 403, 409, 413, 415, 422),
    },
  }),
  async (c) => {
    const body = c.req.valid('json');
    const result = await guardedCatalogWrite(() =>
      insertProduct(c.get('deps').db, c.get('auth').tenantId, {
        type: body.type,
        name: body.name,
        description: body.description,
        price: body.price,
        vatRateBp: vatRateToBasisPoints(body.vat_rate),
        dailyCapacity: body.daily_capacity,
        active: body.active,
        requiresApproval: body.requires_approval,
        externalId: body.external_id,
      }),
    );
    if (!result.ok) throw externalIdTaken('product', body.external_id);
    return c.json(presentProduct(result.row), 201, { Location: `/v1/catalog/products/${result.row.id}` });
  },
);

catalogAdminRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/products/{id}',
    tags: ['catalog'],
    summary: 'One product',
    request: { params: idParams },
    responses: { 200: { description: 'The product', content: json(productSchema) }, ...problemResponses(401, 404) },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    assertUuid(id, 'product');
    const row = await getProduct(c.get('deps').db, c.get('auth').tenantId, id);
    if (!row) throw problems.notFound('product');
    const [product] = await presentProductsWithPeriods(c.get('deps').db, c.get('auth').tenantId, [row]);
    return c.json(product, 200);
  },
);

catalogAdminRoutes.openapi(
  createRoute({
    method: 'patch',
    path: '/products/{id}',
    tags: ['catalog admin'],
    summary: 'Change a product (any subset of its fields)',
    middleware: [requireScope('catalog:admin')],
    description:
      'Needs the `catalog:admin` scope. `daily_capacity: null` removes the per-date inventory; ' +
      '`external_id: null` clears the external id (409 `external_id_taken` when another product has it).',
    // No body is `{}` (request-rules.ts), a change of nothing: the body is optional.
    request: { params: idParams, body: { required: false, content: json(productPatchSchema) } },
    responses: {
      200: { description: 'The changed product', content: json(productSchema) },
      ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    assertUuid(id, 'product');
    const result = await guardedCatalogWrite(() =>
      updateProduct(c.get('deps').db, c.get('auth').tenantId, id, {
        type: body.type,
        name: body.name,
        description: body.description,
        price: body.price,
        vatRateBp: body.vat_rate === undefined ? undefined : vatRateToBasisPoints(body.vat_rate),
        dailyCapacity: body.daily_capacity,
        active: body.active,
        requiresApproval: body.requires_approval,
        externalId: body.external_id,
      }),
    );
    if (!result.ok) {
      if (result.reason === 'not_found') throw problems.notFound('product');
      throw externalIdTaken('product', body.external_id);
    }
    return c.json(presentProduct(result.row), 200);
  },
);

// ── Occurrences ───────────────────────────────────────────────────────────────────────

catalogAdminRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/occurrences',
    tags: ['catalog admin'],
    summary: 'Create a dated occurrence of a product',
    middleware: [requireScope('catalog:admin')],
    description:
      'Needs the `catalog:admin` scope. `price: null` (or absent) sells at the product price. ' +
      '`external_id` is unique per tenant among occurrences (409 `external_id_taken`).',
    request: { body: { required: true, content: json(occurrenceCreateSchema) } },
    responses: {
      201: { description: 'Created', headers: locationHeader, content: json(occurrenceSchema) },
      ...problemResponses(400, 401, 403, 409, 413, 415, 422),
    },
  }),
  async (c) => {
    const body = c.req.valid('json');
    const startsAt = new Date(body.starts_at);
    const endsAt = body.ends_at ? new Date(body.ends_at) : null;
    if (endsAt && endsAt < startsAt) {
      throw invalid('occurrence_invalid', 'occurrence', [
        { code: 'invalid_value', message: '"ends_at" must not be before "starts_at"', field: 'ends_at' },
      ]);
    }
    const result = await guardedCatalogWrite(() =>
      insertOccurrence(c.get('deps').db, c.get('auth').tenantId, {
        productId: body.product_id,
        name: body.name,
        startsAt,
        endsAt,
        capacity: body.capacity,
        price: body.price,
        resource: body.resource,
        externalId: body.external_id,
      }),
    );
    if (!result.ok && result.reason === 'external_id_taken') throw externalIdTaken('occurrence', body.external_id);
    if (!result.ok) {
      throw problems.unprocessable('product_identifier_invalid', `No product ${body.product_id} in this catalogue`, [
        { code: 'product_identifier_invalid', message: 'Not a product of this tenant', field: 'product_id' },
      ]);
    }
    return c.json(presentOccurrence(result.row), 201, { Location: `/v1/catalog/occurrences/${result.row.id}` });
  },
);

catalogAdminRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/occurrences/{id}',
    tags: ['catalog'],
    summary: 'One occurrence with capacity and seats left',
    request: { params: idParams },
    responses: {
      200: { description: 'The occurrence', content: json(occurrenceSchema) },
      ...problemResponses(401, 404),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    assertUuid(id, 'occurrence');
    const row = await getOccurrence(c.get('deps').db, c.get('auth').tenantId, id);
    if (!row) throw problems.notFound('occurrence');
    return c.json(presentOccurrence(row), 200);
  },
);

catalogAdminRoutes.openapi(
  createRoute({
    method: 'patch',
    path: '/occurrences/{id}',
    tags: ['catalog admin'],
    summary: 'Change an occurrence: name, times, capacity, price, status, resource',
    middleware: [requireScope('catalog:admin')],
    description:
      'Needs the `catalog:admin` scope. The capacity never drops below the seats taken (held or ' +
      'booked): 409 `capacity_below_seats_taken`. `external_id: null` clears the external id (409 ' +
      '`external_id_taken` when another occurrence has it).',
    // No body is `{}` (request-rules.ts), a change of nothing: the body is optional.
    request: { params: idParams, body: { required: false, content: json(occurrencePatchSchema) } },
    responses: {
      200: { description: 'The changed occurrence', content: json(occurrenceSchema) },
      ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    assertUuid(id, 'occurrence');
    const startsAt = body.starts_at === undefined ? undefined : new Date(body.starts_at);
    const endsAt = body.ends_at === undefined ? undefined : body.ends_at === null ? null : new Date(body.ends_at);
    const endsBeforeStarts = () =>
      invalid('occurrence_invalid', 'occurrence', [
        { code: 'invalid_value', message: '"ends_at" must not be before "starts_at"', field: 'ends_at' },
      ]);
    if (startsAt && endsAt && endsAt < startsAt) throw endsBeforeStarts();

    const result = await guardedCatalogWrite(() =>
      updateOccurrence(c.get('deps').db, c.get('auth').tenantId, id, {
        name: body.name,
        startsAt,
        endsAt,
        capacity: body.capacity,
        price: body.price,
        status: body.status,
        resource: body.resource,
        externalId: body.external_id,
      }),
    );
    if (result.ok) return c.json(presentOccurrence(result.row), 200);
    switch (result.reason) {
      case 'not_found':
        throw problems.notFound('occurrence');
      case 'capacity_below_seats_taken':
        throw problems.conflict(
          'capacity_below_seats_taken',
          `${result.seatsTaken} seat(s) are taken (held or booked); the capacity cannot be set ` +
            `below ${result.seatsTaken}`,
        );
      case 'ends_before_starts':
        throw endsBeforeStarts();
      case 'contended':
        throw problems.conflict(
          'occurrence_busy',
          'Seats of this occurrence are changing right now; retry the request',
        );
      case 'external_id_taken':
        throw externalIdTaken('occurrence', body.external_id);
    }
  },
);

// ── Exchange rates ────────────────────────────────────────────────────────────────────

catalogAdminRoutes.openapi(
  createRoute({
    method: 'put',
    path: '/exchange-rates/{currency}',
    tags: ['catalog admin'],
    middleware: [requireScope('catalog:admin')],
    summary: 'Set the rate of a currency against the tenant base currency (insert or replace)',
    description:
      'Needs the `catalog:admin` scope. `rate` is a decimal string: units of `currency` per one ' +
      'unit of the base currency.',
    request: {
      params: z.object({ currency: currencyCode }),
      body: { required: true, content: json(exchangeRatePutSchema) },
    },
    responses: {
      200: { description: 'The rate now in force', content: json(exchangeRateSchema) },
      ...problemResponses(400, 401, 403, 413, 415, 422),
    },
  }),
  async (c) => {
    const { currency } = c.req.valid('param');
    const { rate } = c.req.valid('json');
    const { db } = c.get('deps');
    const base = await tenantBaseCurrency(db, c.get('auth').tenantId);
    if (currency === base) {
      throw problems.unprocessable(
        'exchange_rate_base_currency',
        `${currency.toUpperCase()} is the base currency: its rate is always 1`,
        [{ code: 'exchange_rate_base_currency', message: 'The base currency has no exchange rate', field: 'currency' }],
      );
    }
    const row = await guardedCatalogWrite(() => upsertExchangeRate(db, c.get('auth').tenantId, currency, rate));
    return c.json(presentExchangeRate(row), 200);
  },
);

catalogAdminRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/exchange-rates',
    tags: ['catalog'],
    summary: 'The exchange rates of the tenant',
    responses: {
      200: { description: 'Rates by currency', content: json(exchangeRateListSchema) },
      ...problemResponses(401),
    },
  }),
  async (c) => {
    const rows = await listExchangeRates(c.get('deps').db, c.get('auth').tenantId);
    return c.json({ data: rows.map(presentExchangeRate) }, 200);
  },
);

// ── Campaigns ─────────────────────────────────────────────────────────────────────────

catalogAdminRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/campaigns',
    tags: ['catalog admin'],
    summary: 'Create a campaign code',
    middleware: [requireScope('catalog:admin')],
    description:
      'Needs the `catalog:admin` scope. Kind `percent` needs `percent`; kind `amount` needs ' +
      '`amount` and `currency` (422 `campaign_invalid` otherwise). Codes are unique per tenant ' +
      'regardless of case (409 `campaign_code_taken`).',
    request: { body: { required: true, content: json(campaignCreateSchema) } },
    responses: {
      201: { description: 'Created', content: json(campaignSchema) },
      ...problemResponses(400, 401, 403, 409, 413, 415, 422),
    },
  }),
  async (c) => {
    const body = c.req.valid('json');
    const { db } = c.get('deps');
    const { tenantId } = c.get('auth');
    const errors = campaignErrors(body);
    if (errors.length > 0) throw invalid('campaign_invalid', 'campaign', errors);

    const productIds = body.product_ids ? [...new Set(body.product_ids)] : null;
    if (body.product_ids) {
      const foreign = new Set(await foreignProductIds(db, tenantId, body.product_ids));
      if (foreign.size > 0) {
        const productErrors = body.product_ids.flatMap((id, index): ProblemFieldError[] =>
          foreign.has(id)
            ? [
                {
                  code: 'product_identifier_invalid',
                  message: `No product ${id} in this catalogue`,
                  field: `product_ids.${index}`,
                  index,
                },
              ]
            : [],
        );
        throw problems.unprocessable(
          'product_identifier_invalid',
          'The campaign names products that are not in this catalogue',
          productErrors,
        );
      }
    }

    const result = await guardedCatalogWrite(() =>
      insertCampaign(db, tenantId, {
        code: body.code,
        kind: body.kind,
        percent: body.percent ?? null,
        amount: body.amount ?? null,
        currency: body.currency ?? null,
        validFrom: body.valid_from ? new Date(body.valid_from) : null,
        validUntil: body.valid_until ? new Date(body.valid_until) : null,
        maxUses: body.max_uses ?? null,
        minOrderAmount: body.min_order_amount ?? null,
        productIds,
      }),
    );
    if (!result.ok)
      throw problems.conflict(
        'campaign_code_taken',
        `The campaign code ${body.code} is already in use (codes are case-insensitive)`,
      );
    return c.json(presentCampaign(result.row), 201);
  },
);

catalogAdminRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/campaigns',
    tags: ['catalog'],
    summary: 'List campaigns with their uses, by code',
    request: { query: z.object({ limit: limitQuery, cursor: z.string().optional() }) },
    responses: { 200: { description: 'Campaigns', content: json(campaignListSchema) }, ...problemResponses(400, 401) },
  }),
  async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const after = decodeCursor<{ c: string }>(cursor, ['c'], (v) => typeof v.c === 'string');
    const rows = await listCampaigns(c.get('deps').db, c.get('auth').tenantId, {
      afterCode: after?.c,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return c.json(
      {
        data: page.map(presentCampaign),
        next_cursor: rows.length > limit && last ? encodeCursor({ c: last.code }) : null,
      },
      200,
    );
  },
);

// ── Vouchers ──────────────────────────────────────────────────────────────────────────

catalogAdminRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/vouchers',
    tags: ['catalog admin'],
    summary: 'Issue a gift voucher',
    middleware: [requireScope('catalog:admin')],
    description:
      'Needs the `catalog:admin` scope. Without `code` one is generated (`GIFT-` + 8 ' +
      'characters). Kind `value` needs `value` and `currency`; kind `percent` needs `percent` ' +
      '(422 `voucher_invalid` otherwise).',
    request: { body: { required: true, content: json(voucherCreateSchema) } },
    responses: {
      201: { description: 'Issued', content: json(voucherSchema) },
      ...problemResponses(400, 401, 403, 409, 413, 415, 422),
    },
  }),
  async (c) => {
    const body = c.req.valid('json');
    const errors = voucherErrors(body);
    if (errors.length > 0) throw invalid('voucher_invalid', 'voucher', errors);
    const values = {
      kind: body.kind,
      value: body.value ?? null,
      currency: body.currency ?? null,
      percent: body.percent ?? null,
      validUntil: body.valid_until ? new Date(body.valid_until) : null,
    };
    // A generated code that happens to exist already is simply drawn again.
    for (let attempt = 0; attempt < 5; attempt++) {
      const code = body.code ?? generateVoucherCode();
      const result = await guardedCatalogWrite(() =>
        insertVoucher(c.get('deps').db, c.get('auth').tenantId, { ...values, code }),
      );
      if (result.ok) return c.json(presentVoucher(result.row), 201);
      if (body.code !== undefined) break;
    }
    throw problems.conflict(
      'voucher_code_taken',
      body.code
        ? `The voucher code ${body.code} is already in use (codes are case-insensitive)`
        : 'No free voucher code was found; retry',
    );
  },
);
