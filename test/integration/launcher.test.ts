import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { findFreePort, isPortOpen } from '../../runtime/free-port';
import { PROJECT_ROOT } from '../../runtime/temporal-binaries';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

interface Launched {
  child: ChildProcess;
  output: () => string;
  ports: { api: number; temporal: number; ui: number; smtp: number; workerMetrics: number; temporalMetrics: number };
}

function descendants(pid: number): number[] {
  try {
    const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' });
    const rows = out
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
    const result: number[] = [];
    const queue = [pid];
    while (queue.length) {
      const parent = queue.shift()!;
      for (const [child, ppid] of rows)
        if (ppid === parent) {
          result.push(child);
          queue.push(child);
        }
    }
    return result;
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function launch(dataDir: string, databaseUrl: string): Promise<Launched> {
  const ports = {
    api: await findFreePort(),
    temporal: await findFreePort(),
    ui: await findFreePort(),
    smtp: await findFreePort(),
    workerMetrics: await findFreePort(),
    temporalMetrics: await findFreePort(),
  };
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'scripts/dev-stack.ts')], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      PORT: String(ports.api),
      TEMPORAL_PORT: String(ports.temporal),
      TEMPORAL_UI_PORT: String(ports.ui),
      SMTP_SINK_PORT: String(ports.smtp),
      WORKER_METRICS_PORT: String(ports.workerMetrics),
      WORKER_TEMPORAL_METRICS_PORT: String(ports.temporalMetrics),
      TEMPORAL_ADDRESS: '',
      SMTP_URL: '',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const deadline = Date.now() + 90_000;
  while (!output.includes('Order orchestrator is running')) {
    if (child.exitCode !== null) throw new Error(`launcher exited early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`launcher not ready in 90 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return { child, output: () => output, ports };
}

async function stop(launched: Launched): Promise<void> {
  const tree = descendants(launched.child.pid!);
  launched.child.kill('SIGINT');
  await new Promise<void>((resolve) => launched.child.once('exit', () => resolve()));
  const deadline = Date.now() + 15_000;
  while (tree.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  expect(tree.filter(alive)).toEqual([]);
}

describe('npm start (the launcher)', () => {
  let database: TestDatabase;
  let dataDir: string;
  beforeAll(async () => {
    database = await createTestDatabase(inject('adminDatabaseUrl'), { migrate: false });
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'orders-launcher-'));
  });
  afterAll(async () => {
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts everything, answers /ready, prints what a newcomer needs, and stops with ' +
    'nothing left running', async () => {
    const first = await launch(dataDir, database.url);
    const base = `http://localhost:${first.ports.api}`;
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    const banner = first.output();
    expect(banner).toContain(`${base}/docs`);
    expect(banner).toContain(`${base}/metrics  (worker http://localhost:${first.ports.workerMetrics}/metrics`);
    expect(banner).toContain(`http://localhost:${first.ports.ui}`);
    const key = banner.match(/Demo API key (ook_\S+)/)?.[1];
    expect(key).toBeTruthy();
    const occurrences = await fetch(`${base}/v1/catalog/occurrences`, { headers: { 'X-API-Key': key! } });
    expect(occurrences.status).toBe(200);
    expect(((await occurrences.json()) as { data: unknown[] }).data.length).toBeGreaterThan(0);
    // The launcher is a development stack: /dev/mail is there, for the key's tenant only.
    expect((await fetch(`${base}/dev/mail.json`)).status).toBe(401);
    expect((await fetch(`${base}/dev/mail.json`, { headers: { 'X-API-Key': key! } })).status).toBe(200);
    expect(await isPortOpen(first.ports.temporal)).toBe(true);
    await stop(first);
    expect(await isPortOpen(first.ports.api)).toBe(false);
    expect(await isPortOpen(first.ports.temporal)).toBe(false);
    expect(await isPortOpen(first.ports.smtp)).toBe(false);

    // A second start keeps the data, seeds nothing twice and prints the same key.
    const second = await launch(dataDir, database.url);
    expect(second.output()).toContain(key!);
    const tenants = await database.db.selectFrom('tenants').select('id').execute();
    expect(tenants).toHaveLength(1);
    const products = await database.db.selectFrom('products').select('id').execute();
    expect(products).toHaveLength(5);
    await stop(second);
  }, 240_000);
});
