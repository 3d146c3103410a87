import { z } from '@hono/zod-openapi';

export const voucherCodeParam = z
  .string()
  .min(1)
  .max(64)
  .openapi({ param: { name: 'code', in: 'path' }, example: 'GIFT-7KQ2M9XA' });

export const voucherStateSchema = z
  .object({
    code: z.string().openapi({ description: 'As stored; lookups ignore case' }),
    valid: z.boolean().openapi({ description: 'Can be used now: not expired, not redeemed, value left' }),
    kind: z.enum(['value', 'percent']),
    currency: z.string().nullable(),
    initial_value: z.number().int().nullable().openapi({ description: 'Minor units (value vouchers)' }),
    remaining_value: z.number().int().nullable().openapi({ description: 'Minor units left (value vouchers)' }),
    percent: z.number().nullable(),
    valid_until: z.string().nullable(),
    redeemed_at: z.string().nullable(),
    message: z.string().nullable().openapi({
      description: 'Why the voucher cannot be used (null when valid)',
      example: 'The voucher has already been redeemed',
    }),
  })
  .openapi('VoucherState');

export const voucherRedeemSchema = z
  .strictObject({
    amount: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional().openapi({
      description:
        'Minor units to take from a value voucher; default everything left. Not allowed for percent vouchers.',
    }),
  })
  .openapi('VoucherRedeem');

export const voucherRedemptionSchema = voucherStateSchema
  .extend({
    redemption: z.object({
      id: z.string().uuid(),
      amount: z.number().int().nullable().openapi({ description: 'Minor units taken; null for a percent voucher' }),
      created_at: z.string(),
    }),
  })
  .openapi('VoucherRedemption');
