import { createRoute, z } from '@hono/zod-openapi';
import { findVoucherByCode, redeemVoucher, type VoucherStateRow } from '../../db/queries/vouchers';
import { createResourceApp } from '../resource-app';
import { requireAnyScope, requireScope } from '../auth';
import { problems } from '../problem';
import { problemResponses } from '../schemas/common';
import {
  voucherCodeParam,
  voucherRedeemSchema,
  voucherRedemptionSchema,
  voucherRedemptionXmlExample,
  voucherStateSchema,
  voucherXmlExample,
} from '../schemas/voucher';
import { xmlContent, xmlWhenAsked } from '../xml-responses';

const json = <T>(schema: T) => ({ 'application/json': { schema } });
// Both voucher answers in XML for a client that prefers it (the venue platform answers either).
const jsonOrXml = <T>(schema: T, xmlExample: string) => ({ ...json(schema), ...xmlContent(xmlExample) });

function invalidReason(v: VoucherStateRow): string | null {
  if (v.expired) return `The voucher expired at ${v.valid_until?.toISOString()}`;
  if (v.redeemed_at !== null) return 'The voucher has already been redeemed';
  if (v.kind === 'value' && (v.remaining_value ?? 0) <= 0) return 'The voucher has no value left';
  return null;
}

export function presentVoucherState(v: VoucherStateRow) {
  const message = invalidReason(v);
  const price = v.creation_price;
  return {
    id: v.id,
    code: v.code,
    valid: message === null,
    kind: v.kind,
    currency: v.currency,
    initial_value: v.initial_value,
    remaining_value: v.remaining_value,
    percent: v.percent === null ? null : Number(v.percent),
    valid_until: v.valid_until ? v.valid_until.toISOString() : null,
    redeemed_at: v.redeemed_at ? v.redeemed_at.toISOString() : null,
    message,
    issued_by_order_id: v.issued_by_order_id,
    creation_price: price
      ? {
          amount: price.amount,
          discount: price.discount,
          paid: price.paid,
          vat_rate: price.vat_rate_bp / 100,
          currency: price.currency,
          order_id: price.order_id,
          order_line_id: price.order_line_id,
        }
      : null,
  };
}

const voucherNotFound = () => problems.notFound('voucher', 'voucher_not_found');

export const voucherRoutes = createResourceApp();

voucherRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/{code}',
    middleware: [requireAnyScope('orders:read', 'orders:write'), xmlWhenAsked('voucher')],
    tags: ['vouchers'],
    summary: 'Look up a voucher code: can it be used, and what is left',
    description:
      'Needs `orders:read` or `orders:write`. Codes are matched regardless of case. A known code ' +
      'that cannot be used answers `200` with `valid: false` and a `message`; an unknown code ' +
      "(or another tenant's) is `404 voucher_not_found`. `creation_price`: what a gift voucher was " +
      'sold for (null for vouchers made in the catalogue). `Accept: application/xml` answers XML, root ' +
      '`<voucher>` (docs/xml.md).',
    request: { params: z.object({ code: voucherCodeParam }) },
    responses: {
      200: { description: "The voucher's state", content: jsonOrXml(voucherStateSchema, voucherXmlExample) },
      ...problemResponses(400, 401, 403, 404),
    },
  }),
  async (c) => {
    const { code } = c.req.valid('param');
    const voucher = await findVoucherByCode(c.get('deps').db, c.get('auth').tenantId, code);
    if (!voucher) throw voucherNotFound();
    return c.json(presentVoucherState(voucher), 200);
  },
);

voucherRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/{code}/redeem',
    middleware: [requireScope('orders:write'), xmlWhenAsked('voucher')],
    tags: ['vouchers'],
    summary: 'Redeem a voucher without an order (e.g. at a till or a gate)',
    description: [
      'Needs `orders:write`. A value voucher gives `amount` minor units (default: everything ' +
        'left); a percent voucher is used up (send no `amount`).',
      'One conditional update: of two redemptions at once that together want more than is left, exactly one succeeds.',
      '`409 voucher_already_redeemed` when the voucher is used up or has less than `amount` left ' +
        "(some shop APIs answer 403 here; this is a conflict with the voucher's state, not a " +
        'permission problem), `409 voucher_code_expired` after `valid_until`, `404 ' +
        'voucher_not_found` for an unknown code, `422 voucher_amount_not_allowed` for an `amount` ' +
        'on a percent voucher.',
    ].join('\n\n'),
    request: {
      params: z.object({ code: voucherCodeParam }),
      body: { required: false, content: json(voucherRedeemSchema) },
    },
    responses: {
      200: {
        description: "Redeemed; the voucher's new state and the redemption",
        content: jsonOrXml(voucherRedemptionSchema, voucherRedemptionXmlExample),
      },
      ...problemResponses(400, 401, 403, 404, 409, 415, 422),
    },
  }),
  async (c) => {
    const { code } = c.req.valid('param');
    const body = c.req.valid('json');
    const outcome = await redeemVoucher(c.get('deps').db, c.get('auth').tenantId, code, body.amount);
    if (outcome.ok) {
      const { redemption } = outcome;
      return c.json(
        {
          ...presentVoucherState(outcome.voucher),
          redemption: { id: redemption.id, amount: redemption.amount, created_at: redemption.created_at.toISOString() },
        },
        200,
      );
    }
    const v = outcome.voucher;
    switch (outcome.reason) {
      case 'not_found':
        throw voucherNotFound();
      case 'expired':
        throw problems.conflict(
          'voucher_code_expired',
          `The voucher ${v?.code ?? code} expired at ${v?.valid_until?.toISOString()}`,
        );
      case 'insufficient_value':
        throw problems.conflict(
          'voucher_already_redeemed',
          `The voucher ${v?.code ?? code} has only ${v?.remaining_value ?? 0} (minor units) ` +
            `left; ${body.amount} was asked`,
        );
      case 'amount_not_allowed':
        throw problems.unprocessable(
          'voucher_amount_not_allowed',
          `The voucher ${v?.code ?? code} is a percent voucher: redeem it without an amount`,
          [
            {
              code: 'voucher_amount_not_allowed',
              message: 'A percent voucher is redeemed whole; leave out "amount"',
              field: 'amount',
            },
          ],
        );
      default:
        throw problems.conflict(
          'voucher_already_redeemed',
          `The voucher ${v?.code ?? code} has already been redeemed or has no value left`,
        );
    }
  },
);
