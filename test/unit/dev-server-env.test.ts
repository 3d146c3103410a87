import { describe, expect, it } from 'vitest';
import { devServerEnv } from '../../runtime/temporal-dev-server';

// The bundled Temporal server runs with our Go runtime settings unless the operator set their own.

describe('the dev server environment', () => {
  it('adds the Go settings to an environment that has none', () => {
    expect(devServerEnv({ PATH: '/usr/bin' })).toEqual({ PATH: '/usr/bin', GOGC: '400', GOMEMLIMIT: '1GiB' });
  });

  it("keeps the operator's own values", () => {
    expect(devServerEnv({ GOGC: '100', GOMEMLIMIT: '4GiB' })).toMatchObject({ GOGC: '100', GOMEMLIMIT: '4GiB' });
    expect(devServerEnv({ GOGC: 'off' })).toMatchObject({ GOGC: 'off', GOMEMLIMIT: '1GiB' });
  });
});
