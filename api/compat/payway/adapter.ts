import type { CompatAdapter } from '../compat-adapter';
import { fieldErrorsSchema } from '../compat-document';
import { answerPaywayProblem, paywayRoutes } from './routes';

const failure = (description: string) => ({
  description,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['error', 'error_description'],
        properties: {
          error: { type: 'string', examples: ['invalid_request', 'period_not_found'] },
          error_description: { type: 'string' },
          errors: fieldErrorsSchema,
        },
      },
    },
  },
});

const address = (extra: Record<string, unknown> = {}) => ({
  type: 'object',
  required: ['street', 'city', 'zip_code', 'country_code'],
  properties: {
    first_name: { type: ['string', 'null'] },
    last_name: { type: ['string', 'null'] },
    care_of: { type: ['string', 'null'] },
    street: { type: 'string' },
    city: { type: 'string' },
    zip_code: { type: 'string' },
    country_code: { type: 'string', examples: ['SE'] },
    company_name: { type: ['string', 'null'] },
    company_reference: { type: ['string', 'null'] },
    company_department: { type: ['string', 'null'] },
    ...extra,
  },
});

export const paywayAdapter: CompatAdapter = {
  prefix: 'payway',
  tag: {
    name: 'Payway (compat)',
    description:
      "Tulo Payway's create_order (seed 002): a subscription product (`product_code` = the product's `external_id`) " +
      "and one of its periods (`period_id` = the period's `external_id`, which decides the payment method), for " +
      "an account (`account_id` = a customer's `external_contact_id`, or `email`). Bearer token = one of our API " +
      'keys with `orders:write`. Errors are `{error, error_description, errors[]}`. See docs/compatibility/payway.md.',
  },
  paths: {
    '/external/api/v2/accounts/create_order': {
      post: {
        summary: 'Place an order for a subscription period on an account',
        description:
          'Placed through POST /v1/orders: when the order completes (card paid, invoice paid, free at once) the ' +
          'subscription exists (GET /v1/subscriptions). `voucher_purchase: true` and `invoice_delivery_method: ' +
          '"mail"` are answered 501 `not_supported`.',
        security: [{ Bearer: [] }],
        parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string' } }],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                required: ['product_code', 'period_id', 'receipt_url'],
                properties: {
                  account_id: { type: 'string', description: '24 hex (their account id) or our customer UUID' },
                  email: { type: 'string' },
                  product_code: { type: 'string' },
                  period_id: { type: 'string' },
                  start_date: { type: 'string', description: 'ISO 8601; the UTC day is the first day' },
                  receipt_url: { type: 'string', format: 'uri' },
                  billing_address: address({ contact_email: { type: ['string', 'null'] } }),
                  delivery_address: address(),
                  traffic_source: { type: 'string' },
                  company_vat_number: { type: 'string' },
                  merchant_reference: { type: 'string' },
                  paywall_id: { type: 'string' },
                  secure_identification: { type: 'object', properties: { trusted_identity_id: { type: 'string' } } },
                  voucher_purchase: { type: 'boolean' },
                  voucher_details: { type: 'object' },
                  account_payment_profile_id: { type: 'string', description: 'A saved card id (our UUID)' },
                  invoice_delivery_method: { type: 'string', enum: ['mail', 'email'] },
                  client_info: {
                    type: 'object',
                    properties: {
                      user_agent: { type: 'string' },
                      language: { type: 'string' },
                      ip_address: { type: 'string' },
                    },
                  },
                },
              },
            },
          },
        },
        responses: {
          '201': {
            description: '`{id, order_id, payment_id}`; a card order to pay on our page also has `redirect_url`',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['id', 'order_id', 'payment_id'],
                  properties: {
                    id: { type: 'string', format: 'uuid' },
                    order_id: { type: 'string', format: 'uuid' },
                    payment_id: { type: ['string', 'null'] },
                    redirect_url: { type: 'string' },
                  },
                },
              },
            },
          },
          '400': failure('`invalid_request`: the body is not JSON or not of their shape; `errors` names each field'),
          '401': failure('`invalid_token`: no token, or an unknown or revoked one'),
          '403': failure('`insufficient_scope`: the key lacks `orders:write`'),
          '422': failure(
            'The order refused: an unknown account, product or period, our order rules, an `Idempotency-Key` ' +
              'reused with another body (our codes)',
          ),
          '501': failure('`not_supported`: `voucher_purchase`, `invoice_delivery_method: "mail"`'),
          '503': failure('`temporarily_unavailable`, with `Retry-After`: nothing was placed, retry'),
        },
      },
    },
  },
  routes: paywayRoutes,
  answerProblem: answerPaywayProblem,
};
