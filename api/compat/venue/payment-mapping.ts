import { z } from 'zod';
import type { ProblemFieldError } from '../../problem';
import { zodIssuesToFieldErrors } from '../../validation-hook';

// Their pay-order bodies → our POST /v1/orders/{id}/payments body. Pure.

const given = z.unknown().optional();

/** Their order transactions name no order (it is the session's); ours need it. */
const orderId = z.string().min(1).max(64);

const paymentSchema = (orderIdInBody: boolean) =>
  z.strictObject({
    orderId: orderIdInBody ? orderId : orderId.optional(),
    successUrl: z.string().min(1).max(2000),
    failedUrl: z.string().min(1).max(2000),
    paymentMethod: z.string().min(1).max(40).optional(),
    clientName: z.string().min(1).max(100),
    clientOs: given,
  });

export type VenuePayment = z.infer<ReturnType<typeof paymentSchema>>;

type Parsed<T> = { ok: true; body: T } | { ok: false; errors: ProblemFieldError[] };

function parse<T>(schema: z.ZodType<T>, value: unknown): Parsed<T> {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, body: result.data };
  return { ok: false, errors: zodIssuesToFieldErrors(result.error.issues, 'field', { input: value }) };
}

export const parsePayment = (value: unknown, orderIdInBody: boolean) => parse(paymentSchema(orderIdInBody), value);

/** Pay with a saved card: their call has no body; ours takes the order id in it (or in the path). */
export const parseSavedCardPayment = (value: unknown, orderIdInBody: boolean) =>
  parse(
    z.strictObject({ orderId: orderIdInBody ? orderId : orderId.optional(), clientName: given, clientOs: given }),
    value,
  );

/**
 * Their methods are the provider's names ("creditcard"); our payment page's only method is
 * `card`. Any other is passed on, and /v1 names the methods it offers (payment_method_unavailable).
 */
const CARD_NAMES: ReadonlySet<string> = new Set(['creditcard', 'card']);

export function toStartPayment(body: VenuePayment) {
  const method = body.paymentMethod;
  return {
    success_url: body.successUrl,
    failure_url: body.failedUrl,
    ...(method === undefined ? {} : { payment_method: CARD_NAMES.has(method) ? 'card' : method }),
  };
}

const THEIR_PAYMENT_FIELDS: Readonly<Record<string, string>> = {
  success_url: 'successUrl',
  failure_url: 'failedUrl',
  payment_method: 'paymentMethod',
  saved_card_id: 'cardId',
};

/** Their name for a field of our payment request named in an error. */
export const theirPaymentField = (field: string) => THEIR_PAYMENT_FIELDS[field] ?? field;
