import type { CompatAdapter } from '../compat-adapter';
import { answerAdministrateProblem, administrateRoutes } from './routes';

const person = {
  type: 'object',
  description:
    'Our addition: the person behind a contact id (their contacts live in their CRM). With it the contact ' +
    'becomes a named participant (or the booker); without it an item books anonymous seats.',
  additionalProperties: false,
  properties: {
    first_name: { type: 'string' },
    last_name: { type: 'string' },
    email: { type: 'string' },
    phone: { type: 'string' },
  },
};

const id = {
  oneOf: [
    { type: 'integer', minimum: 0 },
    { type: 'string', minLength: 1, maxLength: 128 },
  ],
};
const amount = { type: 'number', minimum: 0, description: 'Major units with decimals (123.00)' };

const orderBody = {
  type: 'object',
  required: ['contact_id'],
  additionalProperties: false,
  properties: {
    contact_id: { ...id, description: 'Their contact: `external_contact_id` of our order' },
    contact: { ...person, description: 'Our addition: the booker (name, email), needed for an invoice' },
    company_id: { ...id, description: 'Their company: `external_company_id` of our order' },
    company: {
      type: 'object',
      additionalProperties: false,
      description: "Our addition: the company's details for the invoice",
      properties: { name: { type: 'string' }, number: { type: 'string' }, vat_number: { type: 'string' } },
    },
    region_id: { type: ['string', 'number'], description: "Kept in the order's internal note (we have no regions)" },
    currency_id: { type: 'string', description: 'ISO 4217, any case: the order currency' },
    source_type_id: {
      type: ['string', 'number'],
      description: '`api`, `staff` or `import` set our `origin`; other values are kept in the internal note',
    },
    items: {
      type: 'array',
      maxItems: 50,
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          event_id: { ...id, description: "An occurrence's external_id (or our occurrence id)" },
          item_id: { ...id, description: "A product's external_id: a stock item ordered on its own" },
          price: { ...amount, description: 'Price per seat excl. VAT, major units; needs orders:price_override' },
          contact_id: id,
          contact: person,
          quantity: { type: 'integer' },
          students: {
            type: 'array',
            items: {
              type: 'object',
              required: ['contact_id'],
              additionalProperties: false,
              properties: { contact_id: id, contact: person },
            },
          },
          children: {
            type: 'array',
            items: {
              type: 'object',
              required: ['item_id'],
              additionalProperties: false,
              properties: { item_id: id, price: amount },
            },
          },
        },
      },
    },
    payment: {
      type: 'object',
      required: ['amount'],
      additionalProperties: false,
      description: 'A payment already taken by your payment provider: the order is recorded as paid (prepaid)',
      properties: {
        amount: { ...amount, description: 'The order total incl. VAT, major units' },
        type: { type: 'string' },
        currency: { type: 'string' },
        transaction_code: { type: ['string', 'number'] },
      },
    },
    external_id: id,
  },
};

const failure = (description: string) => ({
  description,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['msg', 'errors'],
        properties: {
          msg: { type: 'string', examples: ['order not created'] },
          errors: {
            type: 'array',
            items: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                field: { type: 'string', description: 'In their names, e.g. items.2.event_id' },
                expected: { type: 'number' },
              },
            },
          },
        },
      },
    },
  },
});

export const administrateAdapter: CompatAdapter = {
  prefix: 'administrate',
  tag: {
    name: 'Administrate (compat)',
    description:
      "Administrate's create-order call (seed 001): events, delegates, students and stock items for a contact " +
      'and company, optionally with a payment already taken elsewhere (its transaction code recorded), prices ' +
      'in major units, HTTP Basic (the password is the API key), X-API-Key or Bearer. Unlike Administrate, ' +
      'an overbooked event or an unknown event or item is refused. See docs/compatibility/administrate.md.',
  },
  paths: {
    '/api/v2/orders': {
      post: {
        summary: 'Create an order',
        security: [{ Basic: [] }, { ApiKey: [] }, { Bearer: [] }],
        parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string' } }],
        requestBody: { required: true, content: { 'application/json': { schema: orderBody } } },
        responses: {
          '201': {
            description: '`{msg: "order created", order_id}`: `order_id` is our order number; `id` our order id',
            headers: { Location: { schema: { type: 'string' }, description: '/v1/orders/{id}' } },
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['msg', 'order_id', 'id'],
                  properties: {
                    msg: { const: 'order created' },
                    order_id: { type: 'integer' },
                    id: { type: 'string', format: 'uuid' },
                  },
                },
              },
            },
          },
          '400': failure('Not JSON, or a field of the wrong type or unknown'),
          '401': failure('No key, or an unknown one'),
          '403': failure('The key lacks orders:write'),
          '409': failure('An Idempotency-Key still being processed'),
          '413': failure('The body is too large'),
          '422': failure('Refused by our rules: unknown event or item, event full, payment not matching the total…'),
          '503': failure('Temporarily unavailable; retry after Retry-After'),
        },
      },
    },
  },
  routes: administrateRoutes,
  answerProblem: answerAdministrateProblem,
};
