import { createHash } from 'node:crypto';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import pg from 'pg';

/**
 * How many distinct statements get a name. Every connection keeps a plan for each name it has run, so the bound keeps
 * a pool's server memory bounded when some statement's text varies (a multi-row insert of any length); statements past
 * it run unnamed, as before.
 */
const MAX_NAMED_STATEMENTS = 400;

/**
 * A pool whose parameterised statements run as named prepared statements: each connection parses and plans a
 * statement once and then only binds and executes it (docs/performance.md, "Prepared statements"). Statements without
 * parameters stay on the simple protocol, which also carries the multi-statement scripts of migrations.
 */
export function withPreparedStatements(pool: pg.Pool, maxNamed = MAX_NAMED_STATEMENTS): PostgresPool {
  const hashes = new Map<string, string>();
  const hashOf = (text: string): string | undefined => {
    const known = hashes.get(text);
    if (known !== undefined || hashes.size >= maxNamed) return known;
    const hash = createHash('sha1').update(text).digest('base64url');
    hashes.set(text, hash);
    return hash;
  };
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  return {
    async connect() {
      const client = await pool.connect();
      let wrapper = wrappers.get(client);
      if (!wrapper) {
        wrapper = new NamingClient(client, hashOf) as unknown as PostgresPoolClient;
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}

/**
 * One connection's view. A migration that changes what a `select *` returns leaves this connection's plans for it
 * unusable ("cached plan must not change result type"; a deployment's old processes meet it when the new one migrates):
 * the connection then names its statements afresh, and a statement outside a transaction is run again at once.
 *
 * A transaction's BEGIN is not a round trip of its own: it is held back and written together with the transaction's
 * first statement, in the same protocol sequence, so an error in either fails that statement (docs/performance.md,
 * "seventh pass"). It is sent on its own only when the first statement has not been prepared on this connection yet,
 * or runs on the simple protocol.
 */
class NamingClient {
  private generation = 0;
  private inTransaction = false;
  /** The BEGIN the caller asked for and the server has not seen yet. */
  private heldBegin: string | null = null;
  /** Names this connection has prepared (a statement ran under it). */
  private readonly preparedNames = new Set<string>();

  constructor(
    private readonly client: pg.PoolClient,
    private readonly hashOf: (text: string) => string | undefined,
  ) {}

  query(first: unknown, parameters?: ReadonlyArray<unknown>): unknown {
    if (typeof first !== 'string' || !parameters || parameters.length === 0) {
      return typeof first === 'string' ? this.runSimple(first, parameters) : this.passThrough(first, parameters);
    }
    return this.runNamed(first, parameters as unknown[]);
  }

  release(destroy?: boolean): void {
    this.inTransaction = false;
    this.heldBegin = null;
    this.client.release(destroy);
  }

  private passThrough(first: unknown, parameters?: ReadonlyArray<unknown>): unknown {
    return (this.client.query as (...args: unknown[]) => unknown)(first, parameters);
  }

  private async runSimple(text: string, parameters?: ReadonlyArray<unknown>): Promise<unknown> {
    const command = transactionCommand(text);
    if (command === 'begin') {
      this.inTransaction = true;
      this.heldBegin = text;
      return emptyResult('BEGIN');
    }
    if (command === 'end') {
      this.inTransaction = false;
      // Nothing ran since the held BEGIN: the server never had a transaction to end.
      if (this.heldBegin !== null) {
        this.heldBegin = null;
        return emptyResult(text.trim().toUpperCase());
      }
    }
    await this.sendHeldBegin();
    return this.passThrough(text, parameters);
  }

  private async runNamed(text: string, values: unknown[]): Promise<pg.QueryResult> {
    const hash = this.hashOf(text);
    if (hash === undefined) {
      await this.sendHeldBegin();
      return this.client.query({ text, values });
    }
    const name = `k${this.generation}_${hash}`;
    try {
      const result = await this.runPrepared(name, text, values);
      this.preparedNames.add(name);
      return result;
    } catch (error) {
      if (!isStalePlanError(error)) throw error;
      this.generation += 1;
      if (this.inTransaction) throw error;
      return this.client.query({ name: `k${this.generation}_${hash}`, text, values });
    }
  }

  private async runPrepared(name: string, text: string, values: unknown[]): Promise<pg.QueryResult> {
    const begin = this.heldBegin;
    // A statement not yet prepared here is parsed in its own sequence, so a parse error cannot leave the connection
    // believing it holds a statement it does not (pg records a name as parsed on the first ParseComplete it reads).
    if (begin === null || !this.preparedNames.has(name)) {
      await this.sendHeldBegin();
      return this.client.query({ name, text, values });
    }
    this.heldBegin = null;
    return new Promise((resolve, reject) => {
      const query = beginThenQuery(begin, { name, text, values }, (error, result) =>
        error ? reject(error) : resolve(result as pg.QueryResult),
      );
      this.client.query(query);
    });
  }

  private async sendHeldBegin(): Promise<void> {
    const begin = this.heldBegin;
    if (begin === null) return;
    this.heldBegin = null;
    await this.client.query(begin);
  }
}

function transactionCommand(text: string): 'begin' | 'end' | null {
  const command = text.trimStart().slice(0, 17).toLowerCase();
  if (command.startsWith('begin') || command.startsWith('start transaction')) return 'begin';
  if (command === 'commit' || command === 'rollback') return 'end';
  return null;
}

function emptyResult(command: string): pg.QueryResult {
  return { command, rowCount: null, oid: 0, rows: [], fields: [] };
}

/** What pg's connection offers a query object when it is written (lib/connection.js). */
interface ProtocolWriter {
  stream: { cork?: () => void; uncork?: () => void };
  parse(message: { text: string; name: string; types: unknown[] }): void;
  bind(message: { portal: string; statement: string; values: unknown[] }): void;
  execute(message: { portal: string; rows: number }): void;
}

/** The parts of pg's Query (lib/query.js) that the client drives and this module extends. */
interface QueryProtocol {
  submit(connection: ProtocolWriter): Error | null;
  handleCommandComplete(message: unknown, connection: unknown): void;
}

/**
 * A prepared statement with the transaction's BEGIN written in front of it, before the one Sync that ends the
 * sequence: one write and one answer for both. The server runs BEGIN, then the statement; an error in either skips to
 * the Sync and fails this query, and the caller's ROLLBACK ends the transaction as it would have anyway.
 */
function beginThenQuery(
  beginText: string,
  config: { name: string; text: string; values: unknown[] },
  callback: (error: Error | undefined, result: unknown) => void,
): pg.Query {
  const query = new pg.Query({ ...config, callback } as pg.QueryConfig);
  const protocol = query as unknown as QueryProtocol;
  const submitStatement = protocol.submit.bind(query);
  const completeCommand = protocol.handleCommandComplete.bind(query);
  let beginCompleted = false;
  protocol.submit = (connection) => {
    connection.stream.cork?.();
    try {
      connection.parse({ text: beginText, name: '', types: [] });
      connection.bind({ portal: '', statement: '', values: [] });
      connection.execute({ portal: '', rows: 0 });
      return submitStatement(connection);
    } finally {
      connection.stream.uncork?.();
    }
  };
  // The first CommandComplete is BEGIN's; the statement's result starts after it.
  protocol.handleCommandComplete = (message, connection) => {
    if (beginCompleted) return completeCommand(message, connection);
    beginCompleted = true;
  };
  return query;
}

/** The error of a statement whose plan a migration made stale: transient, a retry prepares it afresh. */
export function isStalePlanError(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === '0A000' && typeof message === 'string' && message.includes('cached plan must not change result type');
}
