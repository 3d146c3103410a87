import { describe, expect, it } from 'vitest';
import { failedDependency } from '../../api/outages';

// pg reports a server error as an Error with the SQLSTATE in `code`.
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('which dependency an error says is down', () => {
  it('a plan a migration made stale is a transient PostgreSQL failure (503 with Retry-After), not a bug', () => {
    expect(failedDependency(pgError('0A000', 'cached plan must not change result type'))).toBe('postgres');
  });

  it('other "feature not supported" errors stay answers of our own code (500)', () => {
    expect(failedDependency(pgError('0A000', 'FOR UPDATE cannot be applied to the nullable side'))).toBeUndefined();
  });

  it('a lost connection is PostgreSQL down; a unique violation is not', () => {
    expect(failedDependency(pgError('57P01', 'terminating connection due to administrator command'))).toBe('postgres');
    expect(failedDependency(pgError('23505', 'duplicate key value violates unique constraint'))).toBeUndefined();
  });
});
