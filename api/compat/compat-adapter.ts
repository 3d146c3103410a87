import type { Context, Hono } from 'hono';
import type { AppEnv } from '../app-env';
import type { ApiProblem } from '../problem';
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
  /**
   * A problem of ours in the platform's error shape: used by the adapter's routes and by the app
   * for what it answers before any route runs (a body over the limit, a control character in the
   * URL, the request deadline), so a client of theirs never meets our problem+json.
   */
  answerProblem(c: Context<AppEnv>, problem: ApiProblem): Response | Promise<Response>;
}
