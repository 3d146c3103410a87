import type { CompatAdapter } from '../compat-adapter';
import { answerCourseBookingProblem, courseBookingRoutes } from './routes';

const failure = {
  description: '`{successful: false, errors: [{code, message}]}` with one of their error codes',
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['successful', 'errors'],
        properties: {
          successful: { const: false },
          errors: {
            type: 'array',
            items: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
          },
        },
      },
    },
  },
};

const summary = {
  description: '`{successful: true, summary}`: totals in major units, card payments with their redirect',
  content: { 'application/json': { schema: { type: 'object', required: ['successful', 'summary'] } } },
};

export const courseBookingAdapter: CompatAdapter = {
  prefix: 'course-booking',
  tag: {
    name: 'Course booking (compat)',
    description:
      "The course-booking platform's create-order call (seed 000): one course date, participants with products, " +
      'prices in major units, `X-API-Key`. See docs/compatibility/course-booking.md.',
  },
  paths: {
    '/v2/orders': {
      post: {
        summary: 'Book one or more users onto a course date',
        security: [{ ApiKey: [] }, { Bearer: [] }],
        parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string' } }],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
        responses: { '201': summary, '400': failure, '401': failure, '409': failure, '422': failure, '503': failure },
      },
    },
    '/v2/orders/{order_id}': {
      get: {
        summary: "The order's summary, as after creation",
        security: [{ ApiKey: [] }, { Bearer: [] }],
        parameters: [{ name: 'order_id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
        responses: { '200': summary, '401': failure, '404': failure },
      },
    },
  },
  routes: courseBookingRoutes,
  answerProblem: answerCourseBookingProblem,
};
