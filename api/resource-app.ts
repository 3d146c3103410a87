import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './app-env';
import { applyRequestRules } from './request-rules';
import { validationHook } from './validation-hook';

export type ResourceApp = OpenAPIHono<AppEnv>;

/**
 * The sub-app of one resource (a file under api/routes/), mounted by api/app.ts with
 * `app.route(prefix, subApp)`; its routes' paths are relative to that prefix. Every sub-app reads
 * requests by the same rules (request-rules.ts) and answers a failed shape check with the same
 * 400, so none can forget them.
 */
export function createResourceApp(): ResourceApp {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  applyRequestRules(app);
  return app;
}
