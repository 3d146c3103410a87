import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
// Default import: @temporalio/proto is CommonJS without static named exports (tsx/Node ESM).
import proto from '@temporalio/proto';
import { SEARCH_ATTRIBUTE_REGISTRATIONS } from '../workflows/search-attributes';
import { isPortOpen } from './free-port';

export interface TemporalDevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface TemporalDevServerOptions {
  cliPath: string;
  port: number;
  uiPort?: number; // omit for a headless server (tests)
  dbFile?: string; // omit for in-memory (tests)
  namespace?: string;
  /** The server's Prometheus port (omit: the CLI picks a free one and prints it). */
  metricsPort?: number;
  log?: (line: string) => void;
  /** Extra dynamic config values, each a JSON value (tests: e.g. a short long-poll interval, '"3s"'). */
  dynamicConfig?: Record<string, string>;
}

/** The dev server's dynamic config, each a JSON value (scripts/bench/temporal-only.ts starts it alike). */
export const DEV_SERVER_DYNAMIC_CONFIG: Readonly<Record<string, string>> = {
  // Our own updates are short, and the UI must show them as they happen.
  'frontend.enableUpdateWorkflowExecution': 'true',
  // One matching service in one process: the default four partitions per task queue only hand
  // tasks and polls on to their root partition, a quarter of matching's calls per order
  // (docs/performance.md, tenth pass; docs/deployment.md on changing the count safely).
  'matching.numTaskqueueReadPartitions': '1',
  'matching.numTaskqueueWritePartitions': '1',
  // The CLI reads the search attributes from SQLite on every use unless told otherwise (for
  // tests that add attributes while it runs): about 18 reads per order. Ours are written with
  // the namespace before the server starts, so its cache holds them from the first read
  // (docs/performance.md, eleventh pass; docs/deployment.md on adding an attribute later).
  'system.forceSearchAttributesCacheRefreshOnRead': 'false',
  // A history queue keeps every task it ran until its next checkpoint (30 s by default), and
  // looks through all of them each time a new task arrives: at 20 orders/s that was ≈ 7 % of the
  // server's CPU. A checkpoint is one small write of the shard's ack levels.
  'history.transferProcessorUpdateAckInterval': '"1s"',
  'history.visibilityProcessorUpdateAckInterval': '"1s"',
  'history.timerProcessorUpdateAckInterval': '"1s"',
  // A history queue reads its new tasks at most this often per shard (20/s by default, and the
  // dev server has one shard): a workflow task then waited ≈ 24 ms on average before it reached
  // matching, twice per order, the largest part of an order's create latency at 15 orders/s
  // (docs/performance.md, fifteenth pass). The timer and visibility queues are off that path.
  'history.transferProcessorMaxPollRPS': '200',
};

/**
 * The Go runtime's settings for the dev server, unless the environment sets them itself. With Go's
 * default its garbage collector's marking was ≈ 7 % of the server's CPU per order; collecting at
 * 5× the live heap instead of 2× cuts that to ≈ 1.6 % (docs/performance.md, fourteenth pass) and
 * doubles its memory (≈ 280 → 540 MiB under load), which the soft limit keeps bounded.
 */
export const DEV_SERVER_GO_ENV: Readonly<Record<string, string>> = { GOGC: '400', GOMEMLIMIT: '1GiB' };

/** The dev server's environment: ours, with the Go settings an operator did not set themselves. */
export function devServerEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...env };
  for (const [name, value] of Object.entries(DEV_SERVER_GO_ENV)) merged[name] = env[name] || value;
  return merged;
}

/**
 * `temporal server start-dev` with our search attributes, persisted to SQLite in WAL mode. The CLI
 * registers the attributes only when it creates the namespace, so a database file from a release
 * with fewer of them gets the rest here, and the server starts again: its services then read them
 * all from the file, with no window in which an order's upsert fails.
 */
export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const server = await spawnStartingAgain(options);
  if (!options.dbFile) return server;
  const added = await registerMissingSearchAttributes(server.address, options.namespace ?? 'default').catch(
    async (error: unknown) => {
      await server.stop();
      throw error;
    },
  );
  if (added.length === 0) return server;
  options.log?.(`search attributes ${added.join(', ')} registered; starting Temporal again so every service has them`);
  await server.stop();
  return spawnStartingAgain(options);
}

/** A server that exited while starting, as opposed to one that never became ready. */
class ExitedWhileStarting extends Error {}

/**
 * The CLI picks its internal services' ports itself (free when it looks, bound a moment later), so on a busy
 * machine another process can take one in between and the server panics while starting. That is worth a
 * second try with newly picked ports; a server that exits the same way three times has a real problem.
 */
async function spawnStartingAgain(options: TemporalDevServerOptions, attempts = 3): Promise<TemporalDevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnDevServer(options);
    } catch (error) {
      if (!(error instanceof ExitedWhileStarting) || attempt >= attempts) throw error;
      options.log?.(`Temporal exited while starting (attempt ${attempt} of ${attempts}); starting it again`);
    }
  }
}

const { IndexedValueType } = proto.temporal.api.enums.v1;
/** Every type a registration may have (a new one fails to compile until it is mapped). */
const INDEXED_TYPES: Record<(typeof SEARCH_ATTRIBUTE_REGISTRATIONS)[string], number> = {
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
};

/** The registrations (all, or those named) as the operator service's addSearchAttributes takes them. */
export function indexedSearchAttributes(names = Object.keys(SEARCH_ATTRIBUTE_REGISTRATIONS)): Record<string, number> {
  return Object.fromEntries(names.map((name) => [name, INDEXED_TYPES[SEARCH_ATTRIBUTE_REGISTRATIONS[name]!]]));
}

/** Adds the registrations the namespace lacks; returns their names. */
async function registerMissingSearchAttributes(address: string, namespace: string): Promise<string[]> {
  const connection = await Connection.connect({ address });
  try {
    const listed = await connection.operatorService.listSearchAttributes({ namespace });
    const known = new Set(Object.keys(listed.customAttributes ?? {}));
    const missing = Object.keys(SEARCH_ATTRIBUTE_REGISTRATIONS).filter((name) => !known.has(name));
    if (missing.length === 0) return [];
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: indexedSearchAttributes(missing),
    });
    return missing;
  } finally {
    await connection.close();
  }
}

async function spawnDevServer(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  if (await isPortOpen(options.port)) {
    throw new Error(
      `port ${options.port} is taken: another Temporal server is running? Set ` +
        `TEMPORAL_ADDRESS to use it, or TEMPORAL_PORT to pick another port`,
    );
  }
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port), '--log-level', 'warn'];
  args.push('--namespace', options.namespace ?? 'default');
  if (options.uiPort) args.push('--ui-port', String(options.uiPort));
  else args.push('--headless');
  if (options.metricsPort) args.push('--metrics-port', String(options.metricsPort));
  if (options.dbFile) {
    mkdirSync(path.dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
    // WAL + synchronous=normal: an fsync per transaction commit is what limits throughput on
    // the SQLite store; WAL keeps it crash-safe (a power cut may lose the last commits, never corrupt).
    args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  }
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTE_REGISTRATIONS)) {
    args.push('--search-attribute', `${name}=${type}`);
  }
  for (const [name, value] of Object.entries({ ...DEV_SERVER_DYNAMIC_CONFIG, ...options.dynamicConfig })) {
    args.push('--dynamic-config-value', `${name}=${value}`);
  }
  const child = spawn(options.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: devServerEnv() });
  // A Go panic prints its cause first and a long stack after it: keep both ends of what it said.
  let head = '';
  let tail = '';
  let total = 0;
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    total += text.length;
    if (head.length < 3000) head += text.slice(0, 3000 - head.length);
    tail = (tail + text).slice(-3000);
  };
  const said = () => (total <= 3000 ? head : `${head}\n…\n${tail}`);
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const address = `127.0.0.1:${options.port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new ExitedWhileStarting(`temporal server exited (${child.exitCode}):\n${said()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`temporal server did not become ready in 60 s:\n${said()}`);
    }
    if (await isTemporalReady(address)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    address,
    uiUrl: options.uiPort ? `http://localhost:${options.uiPort}` : undefined,
    process: child,
    stop: () => stopChild(child),
  };
}

async function isTemporalReady(address: string): Promise<boolean> {
  const [, port] = address.split(':');
  if (!(await isPortOpen(Number(port)))) return false;
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1_000 });
    await connection.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

export function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
