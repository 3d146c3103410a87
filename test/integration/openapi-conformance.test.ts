import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resolveSchemathesisCli } from '../../runtime/schemathesis-cli';
import { PROJECT_ROOT } from '../../runtime/temporal-binaries';
import { createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { startTestStack, type TestStack } from '../helpers/test-stack';

// The OpenAPI document says what the API accepts and answers: schemathesis (pinned, installed from
// PyPI into .venv-schemathesis on demand) generates requests from /openapi.json — valid ones, which
// must not be refused, and invalid ones, which must be — against the real stack, and runs every
// check (`--checks all`): no 5xx, no status, content type or header the document does not list, no
// body that differs from its schema, no valid request refused and no invalid one accepted. The
// budget is small (a few examples per operation, fixed seed) so it finishes in about a minute.

const SCHEMATHESIS_TIMEOUT_MS = 150_000;
const CONFORMANCE_DIR = path.join(PROJECT_ROOT, 'test/integration/openapi-conformance');

let stack: TestStack;
let tenant: TestTenant;
let ids: { product: string; occurrence: string; order: string; subscriptionProduct: string; period: string };

async function catalogPost(path: string, body: unknown) {
  const response = await fetch(`${stack.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'X-API-Key': tenant.apiKey, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
  return response;
}

beforeAll(async () => {
  // Installing it is a one-off (bash .ci/run does it before the tests); the venv is kept.
  resolveSchemathesisCli((line) => console.log(`[openapi-conformance] ${line}`));
  stack = await startTestStack();
  // A key with every scope, so no operation is just a 403; ids that exist, so not everything is a 404.
  tenant = await createTenant(stack.database.db);
  const product = await createProduct(stack.database.db, tenant.id, { price: 125_000, name: 'First aid' });
  const occurrence = await createOccurrence(stack.database.db, tenant.id, product, { capacity: 50, name: 'Oslo' });
  const placed = await fetch(`${stack.baseUrl}/v1/orders`, {
    method: 'POST',
    headers: { 'X-API-Key': tenant.apiKey, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      payment_method: 'card',
      booker: { name: 'Jane', email: 'jane@example.com' },
      lines: [
        {
          occurrence_id: occurrence,
          participants: [{ firstname: 'John', lastname: 'Doe', email: 'john@example.com' }],
        },
      ],
    }),
  });
  expect(placed.status).toBe(201);
  const subscription = await jsonOf(
    await catalogPost('/v1/catalog/products', { type: 'subscription', name: 'News', price: 0, vat_rate: 6 }),
  );
  const period = await jsonOf(
    await catalogPost(`/v1/catalog/products/${subscription.id}/periods`, {
      code: 'monthly',
      name: 'Monthly',
      length_unit: 'month',
      length_count: 1,
      price: 14_900,
      payment_methods: ['card'],
    }),
  );
  ids = {
    product,
    occurrence,
    order: (await jsonOf(placed)).id,
    subscriptionProduct: subscription.id,
    period: period.id,
  };
}, 600_000);
afterAll(async () => stack?.stop());

function run(command: string, args: string[], env: NodeJS.ProcessEnv) {
  // In a folder of its own: schemathesis keeps a cache of past failures (.schemathesis/) in its working
  // directory and replays them; each run starts from nothing.
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'schemathesis-'));
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    execFile(
      command,
      args,
      { cwd, env, timeout: SCHEMATHESIS_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        const timedOut = error?.killed ? `\n(killed after ${SCHEMATHESIS_TIMEOUT_MS} ms)` : '';
        rmSync(cwd, { recursive: true, force: true });
        resolve({ code, output: `${stdout}\n${stderr}${timedOut}` });
      },
    );
  });
}

/**
 * One schemathesis run against a document of the stack, with what every run shares (a fixed, small
 * budget; the key; one worker), and its outcome asserted: the report printed on failure, else its summary.
 */
async function runSchemathesis(label: string, options: { before?: string[]; args: string[]; hooks: string }) {
  const started = Date.now();
  const { code, output } = await run(
    resolveSchemathesisCli(),
    [
      ...(options.before ?? []),
      'run',
      ...options.args,
      '--header',
      `X-API-Key: ${tenant.apiKey}`,
      '--max-examples',
      '6',
      '--seed',
      '1',
      // One worker: with two, Hypothesis's lambda-description cache (not thread-safe) can raise inside
      // schemathesis's own example generation, a tool error that says nothing about the API.
      '--workers',
      '1',
      // Above the API's own deadline (REQUEST_TIMEOUT_MS, 30 s): a slow answer is the API's to report.
      '--request-timeout',
      '35',
      '--no-color',
    ],
    {
      ...process.env,
      SCHEMATHESIS_HOOKS: options.hooks,
      PYTHONPATH: CONFORMANCE_DIR,
      // schemathesis.toml fixes the path ids of these operations to ones that exist.
      CONFORMANCE_PRODUCT_ID: ids.product,
      CONFORMANCE_OCCURRENCE_ID: ids.occurrence,
      CONFORMANCE_ORDER_ID: ids.order,
      CONFORMANCE_SUBSCRIPTION_PRODUCT_ID: ids.subscriptionProduct,
      CONFORMANCE_PERIOD_ID: ids.period,
    },
  );
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(`[openapi-conformance] ${label}: schemathesis exited ${code} after ${seconds} s`);
  // The whole report on failure (each failure with a curl line that reproduces it), else its summary. Each line
  // carries a prefix: schemathesis closes like pytest ("=== 2 warnings in 73 s ==="), and CI, which reads a
  // run's closing lines, would take that bare line for a pytest run that executed no test.
  const lines = code === 0 ? output.trim().split('\n').slice(-24) : output.split('\n');
  console.log(lines.map((line) => `[schemathesis] ${line}`).join('\n'));
  expect(code, output.slice(-20_000)).toBe(0);
}

it(
  'schemathesis --checks all finds no 5xx, no undocumented answer and no request the document misdescribes',
  () =>
    runSchemathesis('/openapi.json', {
      before: ['--config-file', path.join(CONFORMANCE_DIR, 'schemathesis.toml')],
      args: [
        `${stack.baseUrl}/openapi.json`,
        '--checks',
        'all',
        // Payment webhooks need a valid signature over the body (payments/webhook-signatures.ts), which a
        // generated request cannot have: every one is a 401 by design, tested in sandbox-webhooks.test.ts
        // and stripe-provider.test.ts. (The payment pages and /dev/mail are HTML and not in the document.)
        '--exclude-path-regex',
        '^/v1/webhooks/',
      ],
      // Rules the document cannot state (hooks.py there says which).
      hooks: 'hooks',
    }),
  SCHEMATHESIS_TIMEOUT_MS + 30_000,
);

// The compatibility routes answer in other platforms' shapes, so only one check applies to all of
// them: whatever schemathesis sends from their document (docs/compatibility.md), no 5xx but the
// documented 501 of a route deliberately not served (compat_hooks.py). The key goes in X-API-Key and
// as the Basic password, so every adapter's style is met.
it(
  'schemathesis finds no 5xx on the compatibility routes (/compat/openapi.json)',
  () =>
    runSchemathesis('/compat/openapi.json', {
      args: [
        `${stack.baseUrl}/compat/openapi.json`,
        '--checks',
        'no_server_error_but_not_supported',
        '--auth',
        `conformance:${tenant.apiKey}`,
      ],
      hooks: 'compat_hooks',
    }),
  SCHEMATHESIS_TIMEOUT_MS + 30_000,
);
