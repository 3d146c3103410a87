import { createRoute, z } from '@hono/zod-openapi';
import {
  findTenantSettings,
  type TenantSettingsChange,
  type TenantSettingsRow,
  updateTenantSettings,
} from '../../db/queries/tenant-settings';
import { requireAnyScope, requireScope } from '../auth';
import { problems } from '../problem';
import { createResourceApp } from '../resource-app';
import { problemResponses } from '../schemas/common';
import { zodIssuesToFieldErrors } from '../validation-hook';

// The tenant's order policies (docs/managing-orders.md, "Tenant settings"). One flat object: a new
// setting is one entry in SETTINGS below, its column in db/queries/tenant-settings.ts
// (TENANT_SETTING_COLUMNS) and, when it is new to `tenants`, a migration.
//
// Each entry has two schemas: `body`, the JSON type a PATCH must send (anything else is the usual
// 400 `validation_failed`; request-rules.ts checks bodies before any route-level hook could), and
// `value`, the values the policy allows, checked in the handler: 422 `settings_invalid` naming
// each field. Both are documented with the same range.

type Meta = { description: string; example?: number | string | boolean };

function integerSetting(min: number, max: number, meta: Meta) {
  const range = { minimum: min, maximum: max };
  return {
    body: z.number().openapi({ ...meta, type: 'integer', ...range }),
    value: z.number().int().min(min).max(max).openapi(meta),
  };
}

function choiceSetting<const T extends readonly [string, ...string[]]>(choices: T, meta: Meta) {
  return { body: z.string().openapi({ ...meta, enum: [...choices] }), value: z.enum(choices).openapi(meta) };
}

const STACKING_DESCRIPTION =
  'Several campaign codes on one order (`campaign_codes`, applied in order); false: one at most ' +
  '(422 `campaign_stacking_not_allowed`)';

const APPROVAL_DESCRIPTION =
  "Every order waits for an operator's approval before payment or booking (products can ask for it on their own)";

const FEE_DESCRIPTION = 'Percent kept of the cancelled part when a client cancels (two decimals at most)';

const SETTINGS = {
  preliminary_minutes: integerSetting(1, 10_080, {
    description: 'How long a card order waits for its payment before it expires, in minutes',
    example: 30,
  }),
  late_payment_policy: choiceSetting(['refund', 'rebook'], {
    description: 'A payment that arrives after its order expired: refunded, or the order booked again if it can be',
  }),
  cancellation_deadline_hours: integerSetting(0, 8_760, {
    description: 'A client may cancel until this many hours before the first occurrence starts',
    example: 24,
  }),
  cancellation_fee_percent: {
    body: z.number().openapi({ minimum: 0, maximum: 100, multipleOf: 0.01, description: FEE_DESCRIPTION, example: 10 }),
    value: z
      .number()
      .min(0)
      .max(100)
      // numeric(5, 2): a third decimal would be rounded away silently.
      .refine((value) => Math.abs(value * 100 - Math.round(value * 100)) < 1e-6, { message: 'At most two decimals' })
      .openapi({ description: FEE_DESCRIPTION, example: 10 }),
  },
  invoice_due_days: integerSetting(1, 365, { description: 'Days from issue to due date of an invoice', example: 14 }),
  invoice_reminder_interval_days: integerSetting(1, 365, {
    description: 'Days between reminders of an overdue invoice',
    example: 7,
  }),
  paid_order_deletion: choiceSetting(['refund', 'refuse'], {
    description:
      'Cancelling (DELETE or POST …/cancel) an order money was taken for: `refund` cancels and refunds; ' +
      '`refuse` answers `409 paid_order_not_deletable` (an operator override still cancels)',
  }),
  campaign_stacking: {
    body: z.boolean().openapi({ description: STACKING_DESCRIPTION, example: true }),
    value: z.boolean().openapi({ description: STACKING_DESCRIPTION }),
  },
  approval_required: {
    body: z.boolean().openapi({ description: APPROVAL_DESCRIPTION, example: false }),
    value: z.boolean().openapi({ description: APPROVAL_DESCRIPTION }),
  },
  approval_deadline_hours: integerSetting(1, 720, {
    description: 'How long an order held for approval waits for a decision, in hours',
    example: 48,
  }),
  approval_deadline_action: choiceSetting(['reject', 'escalate'], {
    description:
      'No decision by the deadline: `reject` the order, or `escalate` it to the operators (attention_reason) ' +
      'and keep waiting',
  }),
};

type SettingSchemas = typeof SETTINGS;
function shapeOf<K extends 'body' | 'value'>(part: K): { [N in keyof SettingSchemas]: SettingSchemas[N][K] } {
  return Object.fromEntries(Object.entries(SETTINGS).map(([name, schemas]) => [name, schemas[part]])) as {
    [N in keyof SettingSchemas]: SettingSchemas[N][K];
  };
}

export const tenantSettingsSchema = z.object(shapeOf('value')).openapi('TenantSettings');
export type TenantSettings = z.infer<typeof tenantSettingsSchema>;
const allowedChange = tenantSettingsSchema.partial();

export const tenantSettingsPatchSchema = z
  .strictObject(shapeOf('body'))
  .partial()
  .openapi('TenantSettingsPatch', {
    description:
      'JSON merge patch (RFC 7396): the settings given change, the others stay; no setting is nullable. ' +
      'Ranges and choices as in TenantSettings.',
  });

const json = <T>(schema: T) => ({ 'application/json': { schema } });
const readScopes = requireAnyScope('settings:read', 'settings:write');

/** The API's view of the stored row: numeric(5, 2) text becomes a number. */
function presentSettings(row: TenantSettingsRow): TenantSettings {
  return { ...row, cancellation_fee_percent: Number(row.cancellation_fee_percent) };
}

function toChange(patch: Partial<TenantSettings>): TenantSettingsChange {
  const { cancellation_fee_percent: fee, ...rest } = patch;
  return { ...rest, ...(fee === undefined ? {} : { cancellation_fee_percent: fee.toFixed(2) }) };
}

/**
 * A value of the right type the policy does not allow (out of range, an unknown choice) is 422
 * naming each field, and nothing changes.
 */
function allowedSettings(patch: z.infer<typeof tenantSettingsPatchSchema>): Partial<TenantSettings> {
  const result = allowedChange.safeParse(patch);
  if (result.success) return result.data;
  const errors = zodIssuesToFieldErrors(result.error.issues);
  const detail = `The settings are not valid: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`;
  throw problems.unprocessable('settings_invalid', detail, errors);
}

export const tenantSettingsRoutes = createResourceApp();

tenantSettingsRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/',
    tags: ['settings'],
    summary: "The tenant's order policies",
    middleware: [readScopes],
    description: 'Needs `settings:read` or `settings:write`.',
    responses: {
      200: { description: 'Every setting with its current value', content: json(tenantSettingsSchema) },
      ...problemResponses(401, 403),
    },
  }),
  async (c) => {
    const row = await findTenantSettings(c.get('deps').db, c.get('auth').tenantId);
    if (!row) throw problems.notFound('tenant');
    return c.json(presentSettings(row), 200);
  },
);

tenantSettingsRoutes.openapi(
  createRoute({
    method: 'patch',
    path: '/',
    tags: ['settings'],
    summary: "Change some of the tenant's order policies",
    middleware: [requireScope('settings:write')],
    description:
      'Needs `settings:write`. Merge-patch semantics: only the settings in the body change. A value ' +
      'out of its range is `422 settings_invalid` naming each field, and nothing changes. Changes ' +
      'apply to what happens from now on (a cancellation asked for later, an invoice issued later).',
    // No body is `{}` (request-rules.ts): a change of nothing answers the current settings.
    request: { body: { required: false, content: json(tenantSettingsPatchSchema) } },
    responses: {
      200: { description: 'Every setting after the change', content: json(tenantSettingsSchema) },
      ...problemResponses(400, 401, 403, 413, 415, 422),
    },
  }),
  async (c) => {
    const patch = allowedSettings(c.req.valid('json'));
    const row = await updateTenantSettings(c.get('deps').db, c.get('auth').tenantId, toChange(patch));
    if (!row) throw problems.notFound('tenant');
    c.get('logger').info({ settings: Object.keys(patch) }, 'tenant settings changed');
    return c.json(presentSettings(row), 200);
  },
);
