import type { Hono } from 'hono';
import type { AppEnv } from '../app-env';
import type { CallApi } from './call-api';

/** A path item of the compatibility document: hand-written, since the contract is the other platform's. */
export type OpenApiPaths = Record<string, Record<string, unknown>>;

/**
 * One platform's adapter, mounted at `/compat/<prefix>` by api/app.ts and described under its own tag
 * in `/compat/openapi.json` (api/compat/compat-document.ts).
 */
export interface CompatAdapter {
  prefix: string;
  /** The OpenAPI tag: the platform's name, and what a migrating client should read first. */
  tag: { name: string; description: string };
  /** Paths relative to the prefix, e.g. `/v2/orders`. */
  paths: OpenApiPaths;
  routes(callApi: CallApi): Hono<AppEnv>;
}
