import { type Compilable, type CompiledQuery, createQueryId, type Kysely, NoResultError, type QueryNode } from 'kysely';
import type { Database } from './schema';

/** Stands for a value in a query built once: an object no real value can be, found again among the parameters. */
class Slot {
  constructor(readonly name: string) {}
}

/** Names a value the statement takes at each run; typed as the value it stands for. */
export type SlotOf<P> = <K extends keyof P & string>(name: K) => P[K];

/** A row whose every column is the slot of the same name: `values(slotsOf(slot, COLUMNS))` writes them all. */
export function slotsOf<P, C extends keyof P & string>(slot: SlotOf<P>, columns: readonly C[]): Pick<P, C> {
  return Object.fromEntries(columns.map((column) => [column, slot(column)])) as Pick<P, C>;
}

interface Template {
  readonly compiled: CompiledQuery;
  /** For each parameter of the compiled statement: the value's name, or null for a constant of the query. */
  readonly names: readonly (string | null)[];
}

/**
 * A statement that kysely builds and compiles once, then runs with each call's values. On a busy worker, building and
 * compiling a query cost more CPU than its round trip to PostgreSQL (docs/performance.md, thirteenth pass), and the
 * hot path runs the same few dozen statements for every order.
 *
 * `build` must give the same SQL whatever the values: every value it takes from `slot` becomes one parameter, so a
 * value cannot choose columns or a list's length (`values({ a: slot('a') })` always writes `a`, null included; use
 * `= any(...)` with an array rather than `in (...)`). A slot the statement does not use is an error at first run.
 *
 * @example
 * const orderStatus = compiledQuery((db, slot: SlotOf<{ orderId: string }>) =>
 *   db.selectFrom('orders').select('status').where('id', '=', slot('orderId')),
 * );
 * const row = await orderStatus.first(db, { orderId });
 */
export function compiledQuery<P extends Record<string, unknown>, R>(
  build: (db: Kysely<Database>, slot: SlotOf<P>) => Compilable<R>,
) {
  let template: Template | undefined;
  const compile = (db: Kysely<Database>): Template => {
    const used = new Set<string>();
    const slot = ((name: string) => {
      used.add(name);
      return new Slot(name);
    }) as SlotOf<P>;
    const compiled = build(db, slot).compile();
    const names = compiled.parameters.map((value) => (value instanceof Slot ? value.name : null));
    const missing = [...used].filter((name) => !names.includes(name));
    if (missing.length > 0) throw new Error(`compiledQuery: ${missing.join(', ')} not in the statement`);
    return { compiled, names };
  };
  const run = (db: Kysely<Database>, values: P) => {
    template ??= compile(db);
    const { compiled, names } = template;
    const parameters = names.map((name, i) => (name === null ? compiled.parameters[i] : values[name]));
    return db.executeQuery<R>({ ...compiled, queryId: createQueryId(), parameters });
  };
  return {
    /** Every row the statement returns. */
    async all(db: Kysely<Database>, values: P): Promise<R[]> {
      return (await run(db, values)).rows;
    },
    /** The first row, or undefined. */
    async first(db: Kysely<Database>, values: P): Promise<R | undefined> {
      return (await run(db, values)).rows[0];
    },
    /** The first row; NoResultError when there is none, as kysely's executeTakeFirstOrThrow. */
    async one(db: Kysely<Database>, values: P): Promise<R> {
      const row = (await run(db, values)).rows[0];
      if (row === undefined) throw new NoResultError(template!.compiled.query as QueryNode);
      return row;
    },
    /** How many rows an insert, update or delete wrote. */
    async affected(db: Kysely<Database>, values: P): Promise<number> {
      return Number((await run(db, values)).numAffectedRows ?? 0);
    },
    /** The SQL as compiled (for tests). */
    sql(db: Kysely<Database>): string {
      template ??= compile(db);
      return template.compiled.sql;
    },
  };
}
