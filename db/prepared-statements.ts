import { createHash } from 'node:crypto';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

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
 */
class NamingClient {
  private generation = 0;
  private inTransaction = false;

  constructor(
    private readonly client: pg.PoolClient,
    private readonly hashOf: (text: string) => string | undefined,
  ) {}

  query(first: unknown, parameters?: ReadonlyArray<unknown>): unknown {
    if (typeof first !== 'string' || !parameters || parameters.length === 0) {
      if (typeof first === 'string') this.trackTransaction(first);
      return (this.client.query as (...args: unknown[]) => unknown)(first, parameters);
    }
    return this.runNamed(first, parameters as unknown[]);
  }

  release(destroy?: boolean): void {
    this.inTransaction = false;
    this.client.release(destroy);
  }

  private async runNamed(text: string, values: unknown[]): Promise<pg.QueryResult> {
    const hash = this.hashOf(text);
    if (hash === undefined) return this.client.query({ text, values });
    try {
      return await this.client.query({ name: `k${this.generation}_${hash}`, text, values });
    } catch (error) {
      if (!isStalePlanError(error)) throw error;
      this.generation += 1;
      if (this.inTransaction) throw error;
      return this.client.query({ name: `k${this.generation}_${hash}`, text, values });
    }
  }

  private trackTransaction(text: string): void {
    const command = text.trimStart().slice(0, 17).toLowerCase();
    if (command.startsWith('begin') || command.startsWith('start transaction')) this.inTransaction = true;
    else if (command === 'commit' || command === 'rollback') this.inTransaction = false;
  }
}

/** The error of a statement whose plan a migration made stale: transient, a retry prepares it afresh. */
export function isStalePlanError(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === '0A000' && typeof message === 'string' && message.includes('cached plan must not change result type');
}
