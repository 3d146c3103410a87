import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ORDER_ERROR_CODES } from '../../domain/order-validation';

describe('docs/error-codes.md', () => {
  it('documents every business error code the validator can emit', () => {
    const doc = readFileSync(path.resolve(import.meta.dirname, '../../docs/error-codes.md'), 'utf8');
    const missing = Object.keys(ORDER_ERROR_CODES).filter((code) => !doc.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });
});
