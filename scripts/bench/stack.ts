// The stack under test: either the launcher (scripts/dev-stack.ts) started here with a fresh
// DATA_DIR, free ports and its own database, or a running one given by BENCH_API_URL/BENCH_API_KEY.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { findFreePort } from '../../runtime/free-port';
import { descendants, findRolePids, type RolePids } from './proc';

export interface BenchStack {
  apiUrl: string;
  apiKey: string;
  /** Of the stack's own database (for the synchronous baseline and the final DB check). */
  databaseUrl?: string;
  temporalAddress?: string;
  launcherPid?: number;
  pids(): RolePids;
  stop(): Promise<void>;
  logTail(): string;
}

const PROJECT_ROOT = path.resolve(import.meta.dirname, '..', '..');
/** Password of runtime/embedded-postgres.ts: the launcher's embedded cluster. */
const EMBEDDED_PASSWORD = 'orchestrator-dev';

export async function startBenchStack(options: {
  log: (line: string) => void;
  cpuProfDir?: string;
  extraEnv?: Record<string, string>;
}): Promise<BenchStack> {
  if (process.env.BENCH_API_URL) {
    if (!process.env.BENCH_API_KEY)
      throw new Error('BENCH_API_URL needs BENCH_API_KEY (an API key with every scope, e.g. the demo key)');
    return {
      apiUrl: process.env.BENCH_API_URL.replace(/\/+$/, ''),
      apiKey: process.env.BENCH_API_KEY,
      databaseUrl: process.env.DATABASE_URL,
      temporalAddress: process.env.BENCH_TEMPORAL_ADDRESS ?? process.env.TEMPORAL_ADDRESS,
      pids: () => ({}),
      stop: async () => undefined,
      logTail: () => '',
    };
  }

  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orders-bench-'));
  const [port, temporalPort, uiPort, smtpPort, pgPort] = await distinctFreePorts(5);
  let databaseUrl: string;
  let dropDatabase: (() => Promise<void>) | undefined;
  const adminUrl = process.env.DATABASE_URL;
  if (adminUrl) {
    const name = `bench_${Date.now()}`;
    await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    dropDatabase = () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    options.log(`database ${name} on ${url.host}`);
  } else {
    databaseUrl = `postgres://postgres:${EMBEDDED_PASSWORD}@127.0.0.1:${pgPort}/orders`;
    options.log(`embedded PostgreSQL on port ${pgPort}`);
  }

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(port),
    TEMPORAL_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(uiPort),
    SMTP_SINK_PORT: String(smtpPort),
    EMBEDDED_POSTGRES_PORT: String(pgPort),
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    ...(adminUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...options.extraEnv,
  };
  // The bench sets these itself; values inherited from the shell would point elsewhere.
  for (const key of ['TEMPORAL_ADDRESS', 'SMTP_URL', 'PUBLIC_BASE_URL', 'DEMO_API_KEY', 'MAIL_SINK_DIR'])
    delete env[key];
  if (!adminUrl) delete env.DATABASE_URL;
  if (options.cpuProfDir) {
    // node refuses --cpu-prof in NODE_OPTIONS; a preload module starts the inspector's profiler.
    const preload = pathToFileURL(path.join(import.meta.dirname, 'cpu-prof-preload.mjs')).href;
    env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --import ${preload}`.trim();
    env.BENCH_CPU_PROF_DIR = options.cpuProfDir;
  }

  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(PROJECT_ROOT, 'scripts/dev-stack.ts')],
    {
      cwd: PROJECT_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  let apiKey: string;
  try {
    apiKey = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the stack did not print its banner within 180 s:\n${output}`)),
        180_000,
      );
      const onData = () => {
        const match = /Demo API key (ook_\S+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      };
      child.stdout?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the launcher exited (${code}) before it was ready:\n${output}`));
      });
    });
  } catch (error) {
    // Nothing of this run may stay behind: the launcher, its database, its data.
    if (child.exitCode === null) child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 2_000));
    if (dropDatabase) await dropDatabase().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  child.removeAllListeners('exit');
  options.log(`stack up: API http://127.0.0.1:${port}, Temporal 127.0.0.1:${temporalPort}, launcher pid ${child.pid}`);

  let stopped = false;
  return {
    apiUrl: `http://127.0.0.1:${port}`,
    apiKey,
    databaseUrl,
    temporalAddress: `127.0.0.1:${temporalPort}`,
    launcherPid: child.pid,
    pids: () => findRolePids(child.pid!),
    logTail: () => output,
    async stop() {
      if (stopped) return;
      stopped = true;
      const tree = descendants(child.pid!).map((p) => p.pid);
      if (child.exitCode === null && child.signalCode === null) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            // Last resort: our own launcher and what it started, by pid.
            for (const pid of [child.pid!, ...tree]) {
              try {
                process.kill(pid, 'SIGKILL');
              } catch {
                // gone
              }
            }
            resolve();
          }, 45_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        });
      }
      if (dropDatabase)
        await dropDatabase().catch((e) => options.log(`could not drop the bench database: ${(e as Error).message}`));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await findFreePort());
  return [...ports];
}

async function adminQuery(adminUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
