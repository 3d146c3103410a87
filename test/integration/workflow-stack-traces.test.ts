import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { findFreePort } from '../../runtime/free-port';
import { type SmtpSink, startSmtpSink } from '../../runtime/smtp-sink';
import { type RoleProcess, spawnRole, waitForRole } from '../helpers/role-processes';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

// WORKER_WORKFLOW_STACK_TRACES through the worker's real start command (runtime/role-command.ts, the Dockerfile's):
// by default the preload refuses the SDK's stack-trace promise hook in the workflow thread, so a stack trace query
// (the Web UI's "Stack Trace" tab) is refused; with the setting true the query answers with the order's stack.
// Each worker has a task queue of its own; an order workflow that is started and never submitted waits for its
// intake, which is all a stack trace needs.

const SDK_WITHOUT_HOOK = 'createHook is not available; stack trace collection will be disabled';

let database: TestDatabase;
let mailDir: string;
let sink: SmtpSink;
let connection: Connection;
let temporal: Client;
const workers: RoleProcess[] = [];
const handles: WorkflowHandle[] = [];

async function startWorker(name: string, env: NodeJS.ProcessEnv): Promise<RoleProcess> {
  const worker = spawnRole(name, 'activities/worker.ts', {
    ...process.env,
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: `${name}-${database.name}`,
    SMTP_URL: sink.url,
    DB_POOL_MAX: '2',
    LOG_LEVEL: 'info',
    WORKER_METRICS_PORT: '0',
    WORKER_TEMPORAL_METRICS_PORT: '0',
    ...env,
  });
  workers.push(worker);
  await waitForRole(worker, () => worker.output().includes('"worker running"'), 150_000);
  return worker;
}

async function waitingOrder(taskQueue: string): Promise<WorkflowHandle> {
  const orderId = randomUUID();
  const handle = await temporal.workflow.start('orderWorkflow', {
    taskQueue,
    workflowId: `stack-trace-${orderId}`,
    args: [{ tenantId: randomUUID(), tenantSlug: 'stack-traces', orderId, orderNumber: 1 }],
  });
  handles.push(handle);
  return handle;
}

beforeAll(async () => {
  database = await createTestDatabase(inject('adminDatabaseUrl'));
  mailDir = mkdtempSync(path.join(os.tmpdir(), 'orders-stack-mail-'));
  sink = await startSmtpSink({ port: await findFreePort(), dir: mailDir });
  connection = await Connection.connect({ address: inject('temporalAddress') });
  temporal = new Client({ connection, namespace: 'default' });
  // Unset for the first worker (the default), whatever this process has: spawn leaves out undefined variables.
  await Promise.all([
    startWorker('stack-off', { WORKER_WORKFLOW_STACK_TRACES: undefined }),
    startWorker('stack-on', { WORKER_WORKFLOW_STACK_TRACES: 'true' }),
  ]);
}, 240_000);

afterAll(async () => {
  for (const handle of handles) await handle.terminate('test over').catch(() => undefined);
  for (const worker of workers) {
    if (worker.alive()) {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
  }
  await connection?.close();
  await sink?.stop();
  await database?.drop();
  if (mailDir) rmSync(mailDir, { recursive: true, force: true });
});

describe('workflow stack traces', () => {
  it('are off by default: the worker says so and a stack trace query is refused', async () => {
    const off = workers.find((w) => w.name === 'stack-off');
    expect(off!.output()).toContain('"workflowStackTraces":false');
    const order = await waitingOrder(`stack-off-${database.name}`);
    await expect(order.query('__stack_trace')).rejects.toThrow(/stack traces are not enabled/);
    // The SDK's own word for a refused hook, printed by its workflow thread.
    expect(off!.output()).toContain(SDK_WITHOUT_HOOK);
  });

  it('are on with WORKER_WORKFLOW_STACK_TRACES=true: the query shows where the order waits', async () => {
    const on = workers.find((w) => w.name === 'stack-on');
    expect(on!.output()).toContain('"workflowStackTraces":true');
    const order = await waitingOrder(`stack-on-${database.name}`);
    const stack = await order.query<string>('__stack_trace');
    expect(stack).toMatch(/workflows\/order\/intake\.ts/);
    expect(on!.output()).not.toContain(SDK_WITHOUT_HOOK);
  });
});
