import { problems } from './problem';

// Opaque keyset cursors: clients pass back what we gave them, so the format may change freely.
export function encodeCursor(value: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function decodeCursor<T extends Record<string, string | number>>(
  cursor: string | undefined,
  keys: (keyof T)[],
): T | undefined {
  if (!cursor) return undefined;
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as T;
    if (value && typeof value === 'object' && keys.every((k) => k in value)) return value;
  } catch {
    // fall through to the problem below
  }
  throw problems.badRequest('cursor_invalid', 'The cursor is not one this API handed out');
}
