import type { CompatAdapter } from '../compat-adapter';
import { answerFacilityProblem, facilityRoutes } from './routes';

// The facility platform's order calls as OpenAPI path items, hand-written: the contract is theirs.

const xml = (description: string) => ({ description, content: { 'application/xml': { schema: { type: 'string' } } } });

const error = xml(
  '`<error><code>…</code><message>…</message></error>`: `1107` for an unknown coupon (always 400), else our ' +
    'problem code with our status',
);
const order = xml('`<order>` as in their order list: rows, VAT sums, `lefttopay`, notes, `preliminary`, coupons');
const errors = { '400': error, '401': error, '403': error, '404': error, '409': error, '422': error, '503': error };

const security = [{ QueryKey: [] }, { Basic: [] }];
const orderId = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'Our order id' };
const query = (name: string, description: string) => ({
  name,
  in: 'query',
  required: false,
  schema: { type: 'string' },
  description,
});
const rowParameters = [
  query('occurrenceid', 'A row: the time slot booked (its external id, or ours)'),
  query('productid', 'A row: a product without a time slot (its external id, or ours)'),
  query('date', 'A row: the day, for products sold per date (YYYY-MM-DD)'),
  query('numberofproducts', 'A row: how many'),
  query('participant', 'A row: the participant\'s name ("Jane Doe")'),
  query('participantemail', "A row: the participant's email (needed with participant)"),
];
const noteParameters = [
  query('mark', 'Label'),
  query('externalnote', 'External note'),
  query('internalnote', 'Internal note'),
  query('bringnotetoinvoice', '`false` only: notes are not printed on invoices (`true` is 501)'),
  query('coupons', 'Comma-separated campaign codes; an unknown one is 400 with error 1107'),
];
const body = {
  required: false,
  content: {
    'application/x-www-form-urlencoded': { schema: { type: 'object' } },
    'application/xml': {
      schema: {
        type: 'string',
        example:
          '<order><externalnote>Thank you</externalnote><items><item><occurrenceid>1402</occurrenceid>' +
          '<participant>Jane Doe</participant><participantemail>jane@example.com</participantemail>' +
          '</item></items></order>',
      },
    },
  },
};

export const facilityAdapter: CompatAdapter = {
  prefix: 'facility',
  tag: {
    name: 'Facility booking (compat)',
    description:
      "The facility/activity booking system's `orders` calls (seed 003), answered in its XML: list with its " +
      'filters, read, create a preliminary (card) order with its rows, add rows, confirm with ' +
      '`preliminary=false`, notes and coupons, delete under the cancellation rules. Key as `?apikey=` or as the ' +
      'password of HTTP Basic. `.xml` on the path is optional. See docs/compatibility/facility.md.',
  },
  paths: {
    '/orders.xml': {
      get: {
        summary: 'List orders (one year ago to tomorrow unless fromdate/todate say otherwise), newest first',
        security,
        parameters: [
          query('number', 'Order number'),
          query('businessunitids', 'Read, not applied: a key belongs to one tenant, which is one unit'),
          query('fromdate', 'Created from (YYYY-MM-DD); default one year ago'),
          query('todate', 'Created to (YYYY-MM-DD, inclusive); default tomorrow'),
          query('orderedbyid', "Customer: our customer id, or the customer's number in your system"),
          query('limit', 'Orders per page, 1–200 (default 50)'),
          query('cursor', '`<nextcursor>` of the previous page'),
        ],
        responses: { '200': xml('`<orders>` with one `<order>` each, then `<nextcursor>`'), ...errors },
      },
      post: {
        summary: 'Create a preliminary order with its rows (paid on `<paymenturl>`, or confirmed by PUT)',
        security,
        parameters: [
          query('orderedbyid', 'Our customer id: the booker'),
          query('name', "The booker's name"),
          query('email', "The booker's email (the receipt goes there)"),
          query('phone', "The booker's phone"),
          query('customernumber', "The booker's number in your system"),
          query('currentbusinessunitid', 'Read, not applied (one tenant is one unit)'),
          query('sellerid', 'Not supported: 501'),
          ...noteParameters,
          ...rowParameters,
        ],
        requestBody: body,
        responses: { '201': order, '415': error, '501': error, ...errors },
      },
    },
    '/orders/{id}.xml': {
      get: { summary: 'Read one order', security, parameters: [orderId], responses: { '200': order, ...errors } },
      put: {
        summary: 'Change an order: confirm (`preliminary=false`), notes, coupons, add rows',
        security,
        parameters: [orderId, query('preliminary', '`false` confirms the order (it is invoiced)'), ...noteParameters],
        requestBody: body,
        responses: { '200': order, '415': error, '501': error, ...errors },
      },
      delete: {
        summary: "Delete (cancel) the order under the tenant's cancellation rules",
        security,
        parameters: [orderId, query('anonymous', 'Read, changes nothing')],
        responses: { '204': { description: 'Deleted' }, ...errors },
      },
    },
  },
  routes: facilityRoutes,
  answerProblem: answerFacilityProblem,
};
