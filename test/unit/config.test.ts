import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, publicBaseUrl, requireConfig } from '../../runtime/config';

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 3000, TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: 'orders', DATA_DIR: './.data', LOG_LEVEL: 'info' });
    expect(publicBaseUrl(config)).toBe('http://localhost:3000');
  });

  it('names every malformed variable in one message', () => {
    expect(() => loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', TEMPORAL_ADDRESS: 'no-port', SMTP_URL: 'http://mail' }))
      .toThrow(ConfigError);
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', TEMPORAL_ADDRESS: 'no-port', SMTP_URL: 'http://mail' });
    } catch (error) {
      const message = (error as Error).message;
      for (const name of ['PORT', 'DATABASE_URL', 'TEMPORAL_ADDRESS', 'SMTP_URL']) expect(message).toContain(name);
    }
  });

  it('says which variables a single-role process is missing', () => {
    expect(() => requireConfig(loadConfig({}), ['DATABASE_URL', 'TEMPORAL_ADDRESS'])).toThrow(/DATABASE_URL, TEMPORAL_ADDRESS must be set/);
    const config = requireConfig(loadConfig({ DATABASE_URL: 'postgres://u@h/db', TEMPORAL_ADDRESS: 'h:7233' }), ['DATABASE_URL', 'TEMPORAL_ADDRESS']);
    expect(config.TEMPORAL_ADDRESS).toBe('h:7233');
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
  });
});
