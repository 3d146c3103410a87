import { z } from 'zod';
import type { PoolOptions } from '../db/database';

// One schema for every process (launcher, API, worker, migrate). A missing or malformed value
// stops the process with a message naming the variable, before anything is started.

const url = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
  );

const port = z.coerce.number().int().min(1).max(65535);
const milliseconds = (max: number) => z.coerce.number().int().min(0).max(max);

// An explicit on/off switch: anything but these spellings is a typo, not "off".
const flag = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

export const configSchema = z.object({
  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^:\s]+:\d+$/, 'must be host:port')
    .optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('orders'),
  SMTP_URL: url(['smtp:', 'smtps:']).optional(),
  PORT: port.default(3000),
  PUBLIC_BASE_URL: url(['http:', 'https:']).optional(),
  DEMO_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  DATA_DIR: z.string().min(1).default('./.data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MAIL_SINK_DIR: z.string().optional(),
  // Development-only routes (GET /dev/mail*): off unless the launcher (or an operator) says so.
  DEV_ROUTES: flag.default(false),
  DEV_ROUTES_ALLOW_REMOTE: flag.default(false),
  // Per process (each API and each worker has its own pool).
  DB_POOL_MAX: z.coerce.number().int().min(1).max(1000).default(20),
  DB_CONNECTION_TIMEOUT_MS: milliseconds(600_000).default(5_000),
  DB_IDLE_TIMEOUT_MS: milliseconds(3_600_000).default(30_000),
  // Named prepared statements per connection (docs/performance.md); off behind a pooler in transaction mode that
  // cannot keep them (PgBouncer before 1.21, or with max_prepared_statements = 0).
  DB_PREPARED_STATEMENTS: flag.default(true),
  API_KEY_CACHE_TTL_MS: milliseconds(3_600_000).default(30_000),
  // Workflows a worker keeps in memory between their tasks (docs/performance.md, "orders waiting").
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(100_000).default(500),
  // The SDK's workflow stack traces (the Web UI's "Stack Trace" tab) cost about a fifth of the worker's CPU; off
  // unless true, through the worker's start command (activities/workflow-thread-preload.cjs).
  WORKER_WORKFLOW_STACK_TRACES: flag.default(false),
  // Every API request answers within this (503 request_timeout at the latest); Temporal calls get
  // 80 % of it so their own 503 comes first. At least 2 s: below that a healthy order cannot be taken.
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(2_000).max(600_000).default(30_000),
  // Order creates one API process works on at once (0 = no bound), and how long one waits for its turn before it is
  // refused with 503 overloaded, nothing written (api/admission.ts).
  API_MAX_CONCURRENT_CREATES: z.coerce.number().int().min(0).max(100_000).default(32),
  API_CREATE_QUEUE_MS: milliseconds(600_000).default(10_000),
  // Prometheus metrics: the API's GET /metrics, the worker's own port and the Temporal SDK's
  // exporter in the worker (0 = that port off). METRICS_ENABLED=false turns all three off.
  METRICS_ENABLED: flag.default(true),
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  WORKER_TEMPORAL_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9465),
  // OpenTelemetry traces over OTLP/HTTP (runtime/tracing.ts): off when unset. The exporter itself
  // also reads the other OTEL_EXPORTER_OTLP_* variables (headers, a traces-only endpoint).
  OTEL_EXPORTER_OTLP_ENDPOINT: url(['http:', 'https:']).optional(),
  TEMPORAL_CLI_PATH: z.string().optional(),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_PORT: port.default(7233),
  EMBEDDED_POSTGRES_PORT: port.default(54329),
  SMTP_SINK_PORT: port.default(2525),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(
    Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')),
  );
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** For the single-role processes: these values have no sensible default there. */
export function requireConfig<K extends keyof Config>(config: Config, keys: K[]): Config & Required<Pick<Config, K>> {
  const missing = keys.filter((key) => config[key] === undefined);
  if (missing.length > 0) {
    throw new ConfigError(`Missing configuration: ${missing.join(', ')} must be set (see README "Configuration")`);
  }
  return config as Config & Required<Pick<Config, K>>;
}

/** The PostgreSQL pool of a long-running role (API, worker), as configured. */
export function dbPoolOptions(config: Config): Required<PoolOptions> {
  return {
    maxConnections: config.DB_POOL_MAX,
    connectionTimeoutMs: config.DB_CONNECTION_TIMEOUT_MS,
    idleTimeoutMs: config.DB_IDLE_TIMEOUT_MS,
    preparedStatements: config.DB_PREPARED_STATEMENTS,
  };
}

export function publicBaseUrl(config: Config): string {
  return (config.PUBLIC_BASE_URL ?? `http://localhost:${config.PORT}`).replace(/\/+$/, '');
}

/** Run a process entry point: config errors print plainly and exit 2, not as a stack trace. */
export function exitOnConfigError(error: unknown): never {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}
