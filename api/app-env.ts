import type { Client } from '@temporalio/client';
import type { Db } from '../db/database';
import type { Logger } from '../runtime/logger';

export interface AuthContext {
  tenantId: string;
  tenantSlug: string;
  keyId: string;
  scopes: ReadonlySet<string>;
}

export interface AppDeps {
  db: Db;
  temporal: Client;
  logger: Logger;
  taskQueue: string;
  publicBaseUrl: string;
  /** Set when the local SMTP sink runs: serves GET /dev/mail. */
  mailSinkDir?: string;
  /** Tests only: a short preliminary window instead of the tenant's minutes. */
  preliminaryWindowOverrideMs?: number;
  /** Raw request bodies above this are answered 413. */
  bodyLimitBytes?: number;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    logger: Logger;
    auth: AuthContext;
    deps: AppDeps;
  };
}
