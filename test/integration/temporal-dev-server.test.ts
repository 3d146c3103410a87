import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
// Default import: @temporalio/proto is CommonJS without static named exports (tsx/Node ESM).
import proto from '@temporalio/proto';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../runtime/free-port';
import { resolveTemporalCli } from '../../runtime/temporal-binaries';
import { startTemporalDevServer, stopChild, type TemporalDevServer } from '../../runtime/temporal-dev-server';
import { NextRenewalAtKey, OrderStatusKey, SEARCH_ATTRIBUTE_REGISTRATIONS } from '../../workflows/search-attributes';

// The bundled Temporal server as the launcher starts it: its search attributes come from its
// cache (the CLI's default reads them from SQLite on every use), and a database file written by
// a release with fewer attributes gets the missing ones before any order can upsert them.

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'temporal-dev-server-test-'));
const servers: TemporalDevServer[] = [];

afterAll(async () => {
  for (const server of servers) await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function cliPath(): string {
  const cli = resolveTemporalCli({ install: false });
  if (!cli) throw new Error('Temporal CLI not found: run `npx tsx scripts/install-temporal.ts`');
  return cli;
}

async function connect(address: string): Promise<Connection> {
  return Connection.connect({ address });
}

/** Bundled once: a workflow that upserts a status search attribute in each of its workflow tasks. */
let bundle: Promise<{ code: string }> | undefined;

/** Runs workflows of `steps` upserts each to the end; returns how many upserts that made. */
async function runStatusUpserts(address: string, workflows: number, tag: string): Promise<number> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: path.join(import.meta.dirname, '../helpers/status-upsert-workflow.ts'),
  });
  const steps = 3;
  const connection = await NativeConnection.connect({ address });
  const client = new Client({ connection: await Connection.connect({ address }) });
  try {
    const worker = await Worker.create({ connection, taskQueue: tag, workflowBundle: await bundle });
    await worker.runUntil(async () => {
      const handles = [];
      for (let i = 0; i < workflows; i++) {
        handles.push(
          await client.workflow.start('statusUpserts', { taskQueue: tag, workflowId: `${tag}-${i}`, args: [steps] }),
        );
      }
      await Promise.all(handles.map((handle) => handle.result()));
    });
    return workflows * steps;
  } finally {
    await client.connection.close();
    await connection.close();
  }
}

/** How often the server read its search attributes' definitions (cluster metadata, namespace) from SQLite. */
async function definitionReads(metricsPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  let reads = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('persistence_requests{')) continue;
    if (!/operation="(GetCurrentClusterMetadata|GetNamespace)"/.test(line)) continue;
    reads += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return reads;
}

async function readsPerUpsert(dynamicConfig: Record<string, string>, tag: string): Promise<number> {
  const metricsPort = await findFreePort();
  const server = await startTemporalDevServer({
    cliPath: cliPath(),
    port: await findFreePort(),
    metricsPort,
    dynamicConfig,
  });
  servers.push(server);
  try {
    await runStatusUpserts(server.address, 1, `${tag}-warm`);
    const before = await definitionReads(metricsPort);
    const upserts = await runStatusUpserts(server.address, 5, tag);
    return ((await definitionReads(metricsPort)) - before) / upserts;
  } finally {
    await server.stop();
  }
}

/** The CLI alone, as a release that knew no custom search attributes would have started it. */
async function startBareCli(port: number, dbFile: string): Promise<ChildProcess> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--headless'];
  const child = spawn(cliPath(), [...args, '--log-level', 'error', '--db-filename', dbFile], { stdio: 'ignore' });
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const connection = await Connection.connect({ address: `127.0.0.1:${port}`, connectTimeout: 1_000 });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
      return child;
    } catch (error) {
      if (Date.now() > deadline || child.exitCode !== null) {
        await stopChild(child);
        throw error;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

describe('the bundled Temporal dev server', () => {
  it('reads search attribute definitions from its cache, not from SQLite on every upsert', async () => {
    const cached = await readsPerUpsert({}, 'cached');
    // The CLI's own default, which the launcher overrides: the same upserts read the definitions each time.
    const uncached = await readsPerUpsert({ 'system.forceSearchAttributesCacheRefreshOnRead': 'true' }, 'uncached');
    expect(uncached).toBeGreaterThanOrEqual(1);
    expect(cached).toBeLessThan(uncached / 10);
  }, 120_000);

  it('registers the search attributes an older database file lacks, once, before anything upserts them', async () => {
    const dbFile = path.join(dataDir, 'older-release.sqlite');
    const port = await findFreePort();
    await stopChild(await startBareCli(port, dbFile));

    const lines: string[] = [];
    const upgraded = await startTemporalDevServer({ cliPath: cliPath(), port, dbFile, log: (l) => lines.push(l) });
    servers.push(upgraded);
    expect(lines.join('\n')).toMatch(/search attributes .*OrderStatus.* registered/);
    const connection = await connect(upgraded.address);
    try {
      const listed = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      const { IndexedValueType } = proto.temporal.api.enums.v1;
      const codes = {
        Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
        Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
      };
      expect(listed.customAttributes).toEqual(
        Object.fromEntries(Object.entries(SEARCH_ATTRIBUTE_REGISTRATIONS).map(([name, type]) => [name, codes[type]])),
      );
      // At once, on the server that registered them: no refresh interval to wait out.
      const handle = await new Client({ connection }).workflow.start('notRegistered', {
        taskQueue: 'unpolled-upgrade',
        workflowId: 'upgraded-release',
        args: [],
        typedSearchAttributes: [
          { key: OrderStatusKey, value: 'awaiting_payment' },
          { key: NextRenewalAtKey, value: new Date('2027-01-01T00:00:00Z') },
        ],
      });
      expect(handle.firstExecutionRunId).toBeTruthy();
    } finally {
      await connection.close();
      await upgraded.stop();
    }

    lines.length = 0;
    const again = await startTemporalDevServer({ cliPath: cliPath(), port, dbFile, log: (l) => lines.push(l) });
    servers.push(again);
    expect(lines).toEqual([]);
    await again.stop();
  }, 180_000);

  it('starts again when the server exits while starting, and says why when it keeps doing so', async () => {
    // A stand-in CLI that panics on its first `failures` starts, as a port taken by another process would
    // make the real one do, and is the real CLI after that.
    const standIn = (name: string, failures: number): string => {
      const counter = path.join(dataDir, `${name}.starts`);
      const file = path.join(dataDir, `${name}.sh`);
      writeFileSync(
        file,
        [
          '#!/bin/sh',
          `n=$(cat '${counter}' 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > '${counter}'`,
          `if [ "$n" -le ${failures} ]; then echo "panic: stand-in failure $n" >&2; exit 2; fi`,
          `exec '${cliPath()}' "$@"`,
          '',
        ].join('\n'),
      );
      chmodSync(file, 0o755);
      return file;
    };
    const lines: string[] = [];
    const server = await startTemporalDevServer({
      cliPath: standIn('panics-once', 1),
      port: await findFreePort(),
      log: (l) => lines.push(l),
    });
    servers.push(server);
    expect(lines).toEqual(['Temporal exited while starting (attempt 1 of 3); starting it again']);
    // It runs with our Go runtime settings (the stand-in execs the CLI, which keeps its environment).
    const environ = readFileSync(`/proc/${server.process.pid}/environ`, 'utf8').split('\0');
    expect(environ).toEqual(expect.arrayContaining(['GOGC=400', 'GOMEMLIMIT=1GiB']));
    const connection = await connect(server.address);
    await connection.workflowService.getSystemInfo({});
    await connection.close();
    await server.stop();

    const failing = startTemporalDevServer({ cliPath: standIn('always-panics', 99), port: await findFreePort() });
    await expect(failing).rejects.toThrow(/exited \(2\):\npanic: stand-in failure 3/);
  }, 120_000);
});
