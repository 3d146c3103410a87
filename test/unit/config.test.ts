import { describe, expect, it } from 'vitest';
import { ConfigError, dbPoolOptions, loadConfig, publicBaseUrl, requireConfig } from '../../runtime/config';

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: 'orders',
      DATA_DIR: './.data',
      LOG_LEVEL: 'info',
    });
    expect(publicBaseUrl(config)).toBe('http://localhost:3000');
  });

  it('names every malformed variable in one message', () => {
    expect(() =>
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', TEMPORAL_ADDRESS: 'no-port', SMTP_URL: 'http://mail' }),
    ).toThrow(ConfigError);
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', TEMPORAL_ADDRESS: 'no-port', SMTP_URL: 'http://mail' });
    } catch (error) {
      const message = (error as Error).message;
      for (const name of ['PORT', 'DATABASE_URL', 'TEMPORAL_ADDRESS', 'SMTP_URL']) expect(message).toContain(name);
    }
  });

  it('says which variables a single-role process is missing', () => {
    expect(() => requireConfig(loadConfig({}), ['DATABASE_URL', 'TEMPORAL_ADDRESS'])).toThrow(
      /DATABASE_URL, TEMPORAL_ADDRESS must be set/,
    );
    const config = requireConfig(loadConfig({ DATABASE_URL: 'postgres://u@h/db', TEMPORAL_ADDRESS: 'h:7233' }), [
      'DATABASE_URL',
      'TEMPORAL_ADDRESS',
    ]);
    expect(config.TEMPORAL_ADDRESS).toBe('h:7233');
  });

  it('keeps development routes off unless switched on explicitly', () => {
    expect(loadConfig({})).toMatchObject({ DEV_ROUTES: false, DEV_ROUTES_ALLOW_REMOTE: false });
    expect(loadConfig({ DEV_ROUTES: 'true', DEV_ROUTES_ALLOW_REMOTE: '1' })).toMatchObject({
      DEV_ROUTES: true,
      DEV_ROUTES_ALLOW_REMOTE: true,
    });
    expect(loadConfig({ DEV_ROUTES: '0' }).DEV_ROUTES).toBe(false);
    // A typo is an error, not "off" (or "on").
    expect(() => loadConfig({ DEV_ROUTES: 'yes' })).toThrow(/DEV_ROUTES/);
  });

  it('pool sizes, timeouts and the API key cache are configuration with documented defaults', () => {
    const defaults = loadConfig({});
    expect(dbPoolOptions(defaults)).toEqual({
      maxConnections: 20,
      connectionTimeoutMs: 5_000,
      idleTimeoutMs: 30_000,
      preparedStatements: true,
    });
    expect(defaults.API_KEY_CACHE_TTL_MS).toBe(30_000);
    const set = loadConfig({
      DB_POOL_MAX: '5',
      DB_CONNECTION_TIMEOUT_MS: '1500',
      DB_IDLE_TIMEOUT_MS: '0',
      DB_PREPARED_STATEMENTS: 'false',
      API_KEY_CACHE_TTL_MS: '0',
    });
    expect(dbPoolOptions(set)).toEqual({
      maxConnections: 5,
      connectionTimeoutMs: 1_500,
      idleTimeoutMs: 0,
      preparedStatements: false,
    });
    expect(set.API_KEY_CACHE_TTL_MS).toBe(0);
    expect(() => loadConfig({ DB_POOL_MAX: '0', DB_IDLE_TIMEOUT_MS: '-1' })).toThrow(
      /DB_POOL_MAX[\s\S]*DB_IDLE_TIMEOUT_MS/,
    );
    expect(() => loadConfig({ DB_PREPARED_STATEMENTS: 'no' })).toThrow(/DB_PREPARED_STATEMENTS/);
  });

  it('the request deadline defaults to 30 s and refuses values a healthy request cannot meet', () => {
    expect(loadConfig({}).REQUEST_TIMEOUT_MS).toBe(30_000);
    expect(loadConfig({ REQUEST_TIMEOUT_MS: '4000' }).REQUEST_TIMEOUT_MS).toBe(4_000);
    expect(() => loadConfig({ REQUEST_TIMEOUT_MS: '500' })).toThrow(/REQUEST_TIMEOUT_MS/);
    expect(() => loadConfig({ REQUEST_TIMEOUT_MS: 'soon' })).toThrow(/REQUEST_TIMEOUT_MS/);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
  });
});
