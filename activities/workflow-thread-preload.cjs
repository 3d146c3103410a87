// Loaded by the worker's start command (`node --require ./activities/workflow-thread-preload.cjs …`): Node runs a
// `--require` preload in every thread of the process, and so in the Temporal SDK's workflow thread, which nothing
// else of ours reaches. Unless WORKER_WORKFLOW_STACK_TRACES is true, it refuses the promise hook the SDK
// installs to collect workflow stack traces (the Web UI's "Stack Trace" tab). That hook captures a stack trace for
// every promise a workflow creates, about a fifth of the worker's CPU per order (docs/performance.md, ninth pass).
// The SDK treats a refused hook as a runtime without promise hooks: workflows run the same, and a stack trace query
// answers "Workflow stack traces are not enabled on this worker". Node's own promise hooks (AsyncLocalStorage, which
// the SDK's cancellation scopes use) go through the same function and are left alone.
const { isMainThread } = require('node:worker_threads');
const v8 = require('node:v8');

const wanted = ['true', '1'].includes(process.env.WORKER_WORKFLOW_STACK_TRACES ?? '');

// Lets the worker tell an operator when the setting cannot take effect (runtime/role-command.ts).
if (isMainThread) globalThis[Symbol.for('order-orchestrator.workflowThreadPreload')] = true;

// Every thread, the main one included: with TEMPORAL_DEBUG the SDK runs workflows there.
if (!wanted) {
  const createHook = v8.promiseHooks.createHook;
  v8.promiseHooks.createHook = function createHookUnlessForStackTraces(hooks) {
    if (/\bsetPromiseHook\b/.test(new Error().stack ?? '')) {
      throw new Error('workflow stack traces are off (WORKER_WORKFLOW_STACK_TRACES)');
    }
    return createHook.call(this, hooks);
  };
}
