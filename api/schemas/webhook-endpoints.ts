import { z } from '@hono/zod-openapi';
import { WEBHOOK_EVENT_TYPES } from '../../domain/webhook-events';

// Shapes of /v1/webhook-endpoints (docs/webhooks-outbound.md).

/** 0–65535: a larger port is no URL. */
const PORT = '(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})';
const IPV4_OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
/**
 * An http(s) URL whose host is an IPv4 address or a DNS name whose last label starts with a letter,
 * without user info, and printable ASCII after the host (percent-encode anything else): every string
 * it matches is a URL fetch accepts, and the pattern is the whole check, so the document states it.
 */
export const WEBHOOK_URL_PATTERN =
  `^https?://(?:${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}|(?:[A-Za-z0-9-]+\\.)*[A-Za-z][A-Za-z0-9-]*)` +
  `(?::${PORT})?(?:[/?#][!-~]*)?$`;
export const MAX_WEBHOOK_URL_LENGTH = 2048;

const url = z
  .string()
  .max(MAX_WEBHOOK_URL_LENGTH)
  .regex(new RegExp(WEBHOOK_URL_PATTERN), 'an http:// or https:// URL')
  .openapi({ example: 'https://example.com/hooks/orders', description: 'Where events are POSTed (http or https)' });

const eventTypes = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length * 2)
  .openapi({ description: 'The public event types the endpoint receives', example: ['order.completed'] });

const description = z.string().max(500).nullable().openapi({ description: 'A note for the tenant' });

export const webhookEndpointCreateSchema = z
  .strictObject({
    url,
    event_types: eventTypes,
    description: description.optional(),
    enabled: z.boolean().optional().openapi({ description: 'Default true' }),
  })
  .openapi('WebhookEndpointCreate');

export const webhookEndpointPatchSchema = z
  .strictObject({
    url: url.optional(),
    event_types: eventTypes.optional(),
    description: description.optional(),
    enabled: z.boolean().optional(),
  })
  .openapi('WebhookEndpointPatch');

export const webhookEndpointSchema = z
  .object({
    id: z.string().uuid(),
    url: z.string(),
    event_types: z.array(z.string()),
    description: z.string().nullable(),
    enabled: z.boolean(),
    previous_secret_expires_at: z.string().nullable().openapi({
      description: 'After a rotation: until when the previous secret is still signed with too',
    }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('WebhookEndpoint');

export const webhookEndpointWithSecretSchema = webhookEndpointSchema
  .extend({
    secret: z.string().openapi({
      description: 'The signing secret (`whsec_` + base64), shown only in this answer',
      example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    }),
  })
  .openapi('WebhookEndpointWithSecret');

export const webhookEndpointListSchema = z
  .object({ data: z.array(webhookEndpointSchema) })
  .openapi('WebhookEndpointList');

export const webhookDeliverySchema = z
  .object({
    id: z.string().uuid().openapi({ description: 'Also the `webhook-id` header: the same on every attempt' }),
    event_type: z.enum(WEBHOOK_EVENT_TYPES),
    order_id: z.string().uuid().nullable(),
    status: z.enum(['pending', 'delivered', 'failed']).openapi({
      description: '`pending` (retried with backoff), `delivered` (a 2xx answer) or `failed` (given up)',
    }),
    attempts: z.number().int().openapi({ description: 'Attempts since it was made or last redelivered' }),
    next_attempt_at: z.string().nullable().openapi({ description: 'When a pending delivery is tried next' }),
    last_attempt_at: z.string().nullable(),
    last_status_code: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "The endpoint's HTTP status, if it answered" }),
    last_error: z.string().nullable().openapi({ description: 'Why the last attempt failed' }),
    delivered_at: z.string().nullable(),
    created_at: z.string(),
    payload: z.record(z.string(), z.unknown()).openapi({ description: 'The body sent' }),
  })
  .openapi('WebhookDelivery');

export const webhookDeliveryListSchema = z
  .object({ data: z.array(webhookDeliverySchema), next_cursor: z.string().nullable() })
  .openapi('WebhookDeliveryList');
