/**
 * Rows per multi-row statement. PostgreSQL takes at most 65,535 parameters per statement; at
 * the widest of our tables (order lines, ~20 columns) 1,000 rows stay well below it.
 */
export const ROWS_PER_STATEMENT = 1_000;

/** Splits rows into statement-sized batches, in order. */
export function batchesOf<T>(rows: readonly T[], size = ROWS_PER_STATEMENT): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < rows.length; i += size) batches.push(rows.slice(i, i + size));
  return batches;
}
