import type { Context } from 'hono';
import type { Client } from '@temporalio/client';
import type { Db } from '../db/database';
import type { OrderStatusListener } from '../db/order-status-listener';
import type { Logger } from '../runtime/logger';
import type { AdmissionGate } from './admission';
import type { ApiProblem } from './problem';

export interface AuthContext {
  tenantId: string;
  tenantSlug: string;
  keyId: string;
  /** The key's name (api_keys.name): who an operator action is recorded as. */
  keyName: string;
  scopes: ReadonlySet<string>;
}

export interface AppDeps {
  db: Db;
  temporal: Client;
  logger: Logger;
  taskQueue: string;
  publicBaseUrl: string;
  /**
   * Development-only routes (DEV_ROUTES): absent in production. GET /dev/mail* is mounted only
   * with a mail sink folder; callers must present an API key and, unless allowRemote, connect
   * from loopback.
   */
  devRoutes?: { mailSinkDir?: string; allowRemote?: boolean };
  /** How long an API key lookup is cached per process (API_KEY_CACHE_TTL_MS); 0 = not cached. */
  apiKeyCacheTtlMs?: number;
  /** Wakes long polls on an order's status (GET /v1/orders/{id}?wait_for=…); absent: they poll. */
  orderStatusListener?: OrderStatusListener;
  /** Tests only: a short preliminary window instead of the tenant's minutes. */
  preliminaryWindowOverrideMs?: number;
  /** Tests only: a short approval deadline instead of the tenant's hours. */
  approvalWindowOverrideMs?: number;
  /** Tests only: how long a day of a subscription's calendar lasts (renewals within minutes). */
  subscriptionDayMsOverride?: number;
  /** Raw request bodies above this are answered 413. */
  bodyLimitBytes?: number;
  /** Every request answers within this (REQUEST_TIMEOUT_MS; default 15 s), else 503 request_timeout. */
  requestTimeoutMs?: number;
  /**
   * /ready counts a worker as present when it polled the task queue this recently. A live idle
   * worker re-polls about once a minute (Temporal's long poll), so the default is 90 s.
   */
  workerPollMaxAgeMs?: number;
  /** GET /metrics and the per-route request metrics (METRICS_ENABLED); default on. */
  metricsEnabled?: boolean;
  /**
   * How many order creates this process works on at once, and how long one waits for its turn
   * (API_MAX_CONCURRENT_CREATES, API_CREATE_QUEUE_MS); absent: no bound.
   */
  orderAdmission?: AdmissionGate;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    logger: Logger;
    auth: AuthContext;
    deps: AppDeps;
    /** When this request must have answered (ms since the epoch): idempotency leases end then. */
    deadline: number;
    /** A compatibility route's key, however it was presented (api/compat/compat-auth.ts). */
    compatKey?: string;
    /** On a compatibility route: answers a problem in that platform's error shape (api/compat/). */
    answerCompatProblem?: (c: Context<AppEnv>, problem: ApiProblem) => Response | Promise<Response>;
  };
}
