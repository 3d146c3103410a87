import path from 'node:path';
import { PROJECT_ROOT } from './temporal-binaries';

export type RoleEntry = 'api/server.ts' | 'activities/worker.ts';

/** The worker's preload that turns the SDK's workflow stack traces off (WORKER_WORKFLOW_STACK_TRACES). */
export const WORKFLOW_THREAD_PRELOAD = 'activities/workflow-thread-preload.cjs';

/**
 * Whether this process was started with the preload (which marks the main thread): without it the setting cannot take
 * effect, and the process cannot add it to itself.
 */
export function workflowThreadPreloaded(): boolean {
  return (globalThis as Record<symbol, unknown>)[Symbol.for('order-orchestrator.workflowThreadPreload')] === true;
}

/**
 * The node arguments that start a role, the same as the Dockerfile's and docker-compose.yml's commands: the worker
 * needs its preload on the command line, since Node runs it in the SDK's workflow thread only from there.
 */
export function roleNodeArguments(entry: RoleEntry): string[] {
  const preload =
    entry === 'activities/worker.ts' ? ['--require', path.join(PROJECT_ROOT, WORKFLOW_THREAD_PRELOAD)] : [];
  return [...preload, '--import', 'tsx', path.join(PROJECT_ROOT, entry)];
}
