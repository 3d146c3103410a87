export { WORKFLOW_THREAD_PRELOAD } from '../runtime/role-command';

const PRELOAD_MARK = Symbol.for('order-orchestrator.workflowThreadPreload');

/**
 * Whether this worker's workflows keep the SDK's stack traces, and whether that is what was asked for: turning
 * them off needs the preload in the process's start command, which the process cannot add to itself.
 */
export function workflowStackTraces(wanted: boolean): { on: boolean; asked: boolean } {
  const preloaded = (globalThis as Record<symbol, unknown>)[PRELOAD_MARK] === true;
  return { on: wanted || !preloaded, asked: wanted };
}
