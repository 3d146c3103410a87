import { z } from '@hono/zod-openapi';

export const voucherCodeParam = z
  .string()
  .min(1)
  .max(64)
  .openapi({ param: { name: 'code', in: 'path' }, example: 'GIFT-7KQ2M9XA' });

export const voucherCreationPriceSchema = z
  .object({
    amount: z.number().int().openapi({ description: 'Unit price including VAT, before discounts (minor units)' }),
    discount: z.number().int().openapi({ description: 'Discount on it, including VAT (minor units)' }),
    paid: z.number().int().openapi({ description: 'What it cost: amount − discount (minor units)' }),
    vat_rate: z.number().openapi({ example: 25 }),
    currency: z.string().openapi({ example: 'NOK' }),
    order_id: z.string().uuid(),
    order_line_id: z.string().uuid(),
  })
  .openapi('VoucherCreationPrice', { description: 'One unit of the order line that sold the voucher' });

export const voucherStateSchema = z
  .object({
    id: z.string().uuid().openapi({ description: "The voucher's id (one code per voucher)" }),
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
    issued_by_order_id: z
      .string()
      .uuid()
      .nullable()
      .openapi({ description: 'The order that sold this gift voucher; null for vouchers made in the catalogue' }),
    // A union rather than .nullable(): the generator drops the null of a nullable $ref.
    creation_price: z.union([voucherCreationPriceSchema, z.null()]).openapi({
      description: 'What the voucher was sold for (`creationPrice`); null when it was not sold but made',
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

const voucherXmlBody =
  `
  <id>3f2a…</id><code>GIFT-7KQ2M9XA</code><valid>true</valid><kind>value</kind><currency>nok</currency>
  <initial_value>50000</initial_value><remaining_value>50000</remaining_value><percent></percent>
  <valid_until>2027-12-01T09:00:00.000Z</valid_until><redeemed_at></redeemed_at><message></message>
  <issued_by_order_id>0b7c…</issued_by_order_id>
  <creation_price><amount>50000</amount><discount>5000</discount><paid>45000</paid><vat_rate>0</vat_rate>` +
  `<currency>nok</currency><order_id>0b7c…</order_id><order_line_id>9e1d…</order_line_id></creation_price>`;

export const voucherXmlExample = `<?xml version="1.0" encoding="UTF-8"?>
<voucher>${voucherXmlBody}
</voucher>`;

export const voucherRedemptionXmlExample = `<?xml version="1.0" encoding="UTF-8"?>
<voucher>${voucherXmlBody}
  <redemption><id>7d41…</id><amount>10000</amount><created_at>2026-12-02T09:00:00.000Z</created_at></redemption>
</voucher>`;
