import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../runtime/embedded-postgres';
import { findFreePort } from '../../runtime/free-port';
import { PROJECT_ROOT, resolveTemporalCli } from '../../runtime/temporal-binaries';
import { startTemporalDevServer } from '../../runtime/temporal-dev-server';
import { workflowsPath } from '../../activities/worker-runtime';

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
    temporalAddress: string;
    workflowBundlePath: string;
  }
}

const TEST_DATA = path.join(PROJECT_ROOT, '.test-data');

interface SharedServers {
  adminDatabaseUrl: string;
  temporalAddress: string;
  workflowBundlePath: string;
}

// vitest runs a global setup once per project (vitest.config.ts has two); the servers are the run's, not a
// project's: the first call starts them, every call takes them, the last teardown stops them. On globalThis,
// because each project may load this module anew.
const SHARED = Symbol.for('order-orchestrator.test-servers');
interface Shared {
  servers: Promise<SharedServers>;
  stops: (() => Promise<void>)[];
  users: number;
}
type WithShared = typeof globalThis & { [SHARED]?: Shared };

/**
 * One Temporal dev server and one PostgreSQL for the whole run (the machine's when
 * DATABASE_URL is set, else an embedded one); each test file makes its own database on it.
 * The workflow bundle is built once here instead of once per worker.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const holder = globalThis as WithShared;
  if (!holder[SHARED]) {
    const stops: (() => Promise<void>)[] = [];
    holder[SHARED] = { servers: startServers(stops), stops, users: 0 };
  }
  const shared = holder[SHARED];
  shared.users += 1;
  const teardown = async () => {
    shared.users -= 1;
    if (shared.users > 0) return;
    for (const stop of shared.stops.reverse()) await stop().catch(() => undefined);
  };
  const servers = await shared.servers.catch(async (error: unknown) => {
    await teardown();
    throw error;
  });
  project.provide('adminDatabaseUrl', servers.adminDatabaseUrl);
  project.provide('temporalAddress', servers.temporalAddress);
  project.provide('workflowBundlePath', servers.workflowBundlePath);
  return teardown;
}

async function startServers(stops: (() => Promise<void>)[]): Promise<SharedServers> {
  mkdirSync(TEST_DATA, { recursive: true });

  let adminDatabaseUrl = process.env.DATABASE_URL;
  if (!adminDatabaseUrl) {
    const dir = path.join(TEST_DATA, `pg-${process.pid}`);
    const pg = await startEmbeddedPostgres(dir, await findFreePort(), () => undefined);
    stops.push(async () => {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    adminDatabaseUrl = pg.databaseUrl;
  }

  const cli = resolveTemporalCli({ log: (line) => console.log(`[global-setup] ${line}`) });
  if (!cli) throw new Error('Temporal CLI not found: run `bash .ci/run` once, or set TEMPORAL_CLI_PATH');
  const temporal = await startTemporalDevServer({ cliPath: cli, port: await findFreePort() });
  stops.push(() => temporal.stop());

  const bundle = await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: quietLogger });
  const bundlePath = path.join(TEST_DATA, `workflow-bundle-${process.pid}.js`);
  writeFileSync(bundlePath, bundle.code);
  stops.push(async () => rmSync(bundlePath, { force: true }));

  return { adminDatabaseUrl, temporalAddress: temporal.address, workflowBundlePath: bundlePath };
}

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };
