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

/**
 * One Temporal dev server and one PostgreSQL for the whole run (the machine's when
 * DATABASE_URL is set, else an embedded one); each test file makes its own database on it.
 * The workflow bundle is built once here instead of once per worker.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stops: (() => Promise<void>)[] = [];
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

  project.provide('adminDatabaseUrl', adminDatabaseUrl);
  project.provide('temporalAddress', temporal.address);
  project.provide('workflowBundlePath', bundlePath);

  return async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
}

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };
