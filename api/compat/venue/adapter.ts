import type { CompatAdapter } from '../compat-adapter';
import { fieldErrorsSchema } from '../compat-document';
import { answerVenueProblem, venueRoutes } from './routes';
import { UNSUPPORTED } from './unsupported-routes';

const venueError = (description: string) => ({
  description,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['error', 'errorCode', 'code'],
        properties: {
          error: { type: 'string', description: 'Textual description of the error' },
          errorCode: { type: 'number', const: 0, description: 'Theirs, "often 0": always 0 here' },
          code: { type: 'string', description: 'Our stable error code (docs/error-codes.md)' },
          errors: fieldErrorsSchema,
        },
      },
    },
  },
});

const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [String(status), venueError(`Refused (${status})`)]));

const json = (schema: Record<string, unknown>, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

const keyed = [{ ApiKey: [] }, { Bearer: [] }];
const idempotencyKey = { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string' } };
const orderIdParam = { name: 'orderId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const cardIdParam = { name: 'cardId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };

const orderLine = {
  type: 'object',
  required: ['quantity'],
  properties: {
    sellableId: { type: ['number', 'string'], description: "An occurrence's external id (or ours), else a product's" },
    productId: { type: ['number', 'string'], description: "A product's external id (or ours)" },
    quantity: { type: 'integer' },
    date: { type: 'string', format: 'date', description: 'The day, for products with inventory per date' },
    properties: {
      type: 'object',
      description: 'The holder of every unit of the line (one participant per unit)',
      properties: {
        name: { type: 'string' },
        email: { type: 'string' },
        dateOfBirth: { type: 'string', format: 'date' },
        street: { type: 'string' },
        zipCode: { type: 'string' },
        city: { type: 'string' },
        countryCode: { type: 'string' },
        imageId: { description: 'Accepted and ignored' },
        oldCardId: { description: 'Accepted and ignored' },
      },
    },
  },
};

const orderCreated = {
  type: 'object',
  required: ['id', 'number'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    number: { type: 'string' },
    status: { type: 'string' },
    currencyCode: { type: 'string' },
    totalAmount: { type: 'number' },
    totalVat: { type: 'number' },
    totalDiscount: { type: 'number' },
    paymentUrl: { type: ['string', 'null'] },
  },
};

const payBody = (orderIdInBody: boolean) => ({
  required: true,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: [...(orderIdInBody ? ['orderId'] : []), 'successUrl', 'failedUrl', 'clientName'],
        properties: {
          ...(orderIdInBody
            ? { orderId: { type: 'string', format: 'uuid', description: 'Ours: the order to pay' } }
            : {}),
          successUrl: { type: 'string' },
          failedUrl: { type: 'string' },
          paymentMethod: { type: 'string', description: '`creditcard` or `card`' },
          clientName: { type: 'string' },
          clientOs: { type: 'string' },
        },
      },
    },
  },
});

const payResponses = {
  '201': {
    description: "A new payment: Location is the provider's page",
    headers: { Location: { schema: { type: 'string' } } },
    content: { 'application/json': { schema: { type: 'object', properties: { id: { type: 'string' } } } } },
  },
  '200': json({ type: 'array', items: { type: 'object' } }, "Nothing left to pay: the order's transactions"),
  ...errors(400, 401, 403, 404, 503),
};

const savedCardResponses = {
  '200': json({ type: 'object', properties: { id: { type: 'string' } } }, 'Charged'),
  ...errors(400, 401, 403, 404, 503),
};

/** Their calls we answer 501: one item per path, any method (documented as GET and POST). */
const unsupportedPaths = Object.fromEntries(
  UNSUPPORTED.flatMap(({ paths, reason }) =>
    paths.map((path) => {
      const rest = path.endsWith('/*');
      const operation = {
        summary: `Not supported: ${reason}`,
        ...(rest ? { parameters: [{ name: 'rest', in: 'path', required: true, schema: { type: 'string' } }] } : {}),
        responses: { '501': venueError('Not supported') },
      };
      return [rest ? path.replace('/*', '/{rest}') : path, { get: operation, post: operation }];
    }),
  ),
);

export const venueAdapter: CompatAdapter = {
  prefix: 'venue',
  tag: {
    name: 'Venue Manager (compat)',
    description:
      "The Venue Manager shop API (seed 004): create an order, pay it on the provider's page or with a saved " +
      'card, read it, export invoices (JSON or XML, `afterNumber` cursor), mark an invoice paid by external id, ' +
      'look up and redeem voucher codes, read the catalogue. Errors are `{error, errorCode}`. Our API key replaces ' +
      'their customer JWTs (X-API-Key or Bearer; HTTP Basic with the key as password for invoices). Customer ' +
      'accounts and tokens answer 501. See docs/compatibility/venue.md.',
  },
  paths: {
    '/order': {
      post: {
        summary: 'Create an order (paid by card afterwards)',
        security: keyed,
        parameters: [idempotencyKey],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['orderLines', 'clientName'],
                properties: {
                  orderLines: { type: 'array', items: orderLine },
                  clientName: { type: 'string' },
                  clientOs: { type: 'string' },
                  customer: {
                    type: 'object',
                    description: 'Ours: the booker, when no line names a holder with an email',
                    properties: { name: { type: 'string' }, email: { type: 'string' }, phone: { type: 'string' } },
                  },
                },
              },
            },
          },
        },
        responses: {
          '201': {
            description: 'Created; Location is GET /order/{orderId}',
            headers: { Location: { schema: { type: 'string' } } },
            content: { 'application/json': { schema: orderCreated } },
          },
          ...errors(400, 401, 403, 409, 503),
        },
      },
    },
    '/order/{orderId}': {
      get: {
        summary: 'The order, with what is paid and its lines',
        security: keyed,
        parameters: [orderIdParam],
        responses: { '200': json(orderCreated, 'The order'), ...errors(401, 403, 404) },
      },
    },
    '/order/ordertransaction': {
      post: {
        summary: 'Pay the order named by `orderId` on the payment page',
        security: keyed,
        requestBody: payBody(true),
        responses: payResponses,
      },
    },
    '/order/{orderId}/ordertransaction': {
      post: {
        summary: 'Pay this order on the payment page',
        security: keyed,
        parameters: [orderIdParam],
        requestBody: payBody(false),
        responses: payResponses,
      },
    },
    '/order/ordertransaction/savedcard/{cardId}': {
      post: {
        summary: 'Pay the order named by `orderId` (in the body) with a saved card (our saved card id)',
        security: keyed,
        parameters: [cardIdParam],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', required: ['orderId'] } } },
        },
        responses: savedCardResponses,
      },
    },
    '/order/{orderId}/ordertransaction/savedcard/{cardId}': {
      post: {
        summary: 'Pay this order with a saved card',
        security: keyed,
        parameters: [orderIdParam, cardIdParam],
        responses: savedCardResponses,
      },
    },
    '/invoice': {
      get: {
        summary: 'Invoices, receipts and credit notes after a document number, as JSON or XML',
        security: [...keyed, { Basic: [] }],
        parameters: [
          { name: 'afterNumber', in: 'query', required: false, schema: { type: 'string', examples: ['2026-000042'] } },
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 200 } },
          { name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['json', 'xml'] } },
        ],
        responses: {
          '200': {
            description: 'One page of documents',
            content: {
              'application/json': { schema: { type: 'array', items: { type: 'object' } } },
              'application/xml': { schema: { type: 'string' } },
            },
          },
          ...errors(400, 401, 403, 404),
        },
      },
    },
    '/invoice/markAsPaidByExternalId/{externalId}': {
      put: {
        summary: 'Mark the open invoice with this external id paid',
        security: [...keyed, { Basic: [] }],
        parameters: [{ name: 'externalId', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '204': { description: 'Recorded (or already paid)' }, ...errors(401, 403, 404, 406, 409) },
      },
    },
    '/voucher/code': {
      get: {
        summary: 'Look up a voucher code',
        security: keyed,
        parameters: [{ name: 'code', in: 'query', required: true, schema: { type: 'string' } }],
        responses: {
          '200': json(
            { type: 'object', required: ['id', 'voucherId', 'code', 'isValid'] },
            "The code's state (creationPrice for sold gift vouchers)",
          ),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    '/voucher/code/redeem': {
      post: {
        summary: 'Redeem a voucher code without an order (all that is left)',
        security: keyed,
        parameters: [{ name: 'code', in: 'query', required: false, schema: { type: 'string' } }],
        requestBody: {
          required: false,
          content: { 'application/json': { schema: { type: 'object', properties: { code: { type: 'string' } } } } },
        },
        responses: { '204': { description: 'Redeemed' }, ...errors(400, 401, 403, 404) },
      },
    },
    '/catalog/products': {
      get: {
        summary: 'Active products, prices incl. VAT in major units',
        security: keyed,
        parameters: [
          { name: 'productType', in: 'query', required: false, schema: { type: 'string' } },
          { name: 'languageCode', in: 'query', required: false, schema: { type: 'string' } },
        ],
        responses: { '200': json({ type: 'array', items: { type: 'object' } }, 'Products'), ...errors(401) },
      },
    },
    '/catalog/product/{id}': {
      get: {
        summary: 'One product, by external id or ours',
        security: keyed,
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': json({ type: 'object' }, 'The product'), ...errors(401, 404) },
      },
    },
    ...unsupportedPaths,
  },
  routes: venueRoutes,
  answerProblem: answerVenueProblem,
};
