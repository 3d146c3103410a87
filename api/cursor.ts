import { problems } from './problem';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: unknown): boolean => typeof value === 'string' && UUID.test(value);
const MIN_TIME = Date.parse('0001-01-01T00:00:00Z');
const MAX_TIME = Date.parse('9999-12-31T23:59:59Z');
/** A time PostgreSQL can compare with (years 1 to 9999). */
export const isTimestamp = (value: unknown): boolean => {
  const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return time >= MIN_TIME && time <= MAX_TIME;
};

// Opaque keyset cursors: clients pass back what we gave them, so the format may change freely.
export function encodeCursor(value: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function decodeCursor<T extends Record<string, string | number>>(
  cursor: string | undefined,
  keys: (keyof T)[],
  /** What the values must be (a cursor of ours always is); anything else is `cursor_invalid`, not a 500. */
  valid: (value: T) => boolean = () => true,
): T | undefined {
  if (!cursor) return undefined;
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as T;
    if (value && typeof value === 'object' && keys.every((k) => k in value) && valid(value)) return value;
  } catch {
    // fall through to the problem below
  }
  throw problems.badRequest('cursor_invalid', 'The cursor is not one this API handed out');
}

/**
 * One page of a keyset listing: the query asked for `limit + 1` rows, so a row beyond the page
 * says there is a next one, and its cursor is made from the page's last row.
 */
export function keysetPage<Row, Item>(
  rows: readonly Row[],
  limit: number,
  present: (row: Row) => Item,
  cursorOf: (last: Row) => Record<string, string | number>,
): { data: Item[]; next_cursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { data: page.map(present), next_cursor: rows.length > limit && last ? encodeCursor(cursorOf(last)) : null };
}
