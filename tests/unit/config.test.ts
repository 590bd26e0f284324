import { describe, expect, it } from 'vitest';
import { ConfigError, DEV_JWT_SECRET, loadConfig, parseDurationSeconds } from '../../src/config.js';

const strongSecret = 'x'.repeat(40);

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    expect(loadConfig({})).toEqual({
      nodeEnv: 'development',
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      databasePool: 10,
      dataDir: '.data/',
      logLevel: 'info',
      jwtSecret: DEV_JWT_SECRET,
      jwtSecretIsDevDefault: true,
      jwtIssuer: 'doudi',
      tokenTtlSeconds: 12 * 3600,
      reviewChain: ['village', 'township', 'county'],
      worker: true,
      seedDemo: true,
      demoClock: false,
      databaseMigrationUrl: undefined,
      auditCheckpointKey: undefined,
      auditCheckpointIntervalSeconds: 3600,
    });
  });

  it('DATABASE_MIGRATION_URL: the owner role, only with a DATABASE_URL that names the runtime role', () => {
    const both = loadConfig({ DATABASE_URL: 'postgres://doudi_app:pw@db/doudi', DATABASE_MIGRATION_URL: 'postgres://doudi_owner:pw2@db/doudi' });
    expect(both).toMatchObject({ databaseUrl: 'postgres://doudi_app:pw@db/doudi', databaseMigrationUrl: 'postgres://doudi_owner:pw2@db/doudi' });
    expect(configError({ DATABASE_MIGRATION_URL: 'postgres://doudi_owner:pw2@db/doudi' }).issues).toEqual([
      { key: 'DATABASE_MIGRATION_URL', message: 'needs DATABASE_URL (the runtime role) as well' },
    ]);
    expect(configError({ DATABASE_URL: 'postgres://db/doudi', DATABASE_MIGRATION_URL: 'postgres://o@db/doudi' }).issues).toEqual([
      { key: 'DATABASE_URL', message: 'must name its user (the runtime role) when DATABASE_MIGRATION_URL is set' },
    ]);
    const bad = configError({ DATABASE_URL: 'postgres://a@db/x', DATABASE_MIGRATION_URL: 'mysql://owner:secret-pw@db/x' });
    expect(bad.issues.map((i) => i.key)).toEqual(['DATABASE_MIGRATION_URL']);
    expect(bad.message).not.toContain('secret-pw');
  });

  it('AUDIT_CHECKPOINT_KEY and AUDIT_CHECKPOINT_INTERVAL', () => {
    expect(loadConfig({ AUDIT_CHECKPOINT_KEY: '/etc/doudi/checkpoint.pem', AUDIT_CHECKPOINT_INTERVAL: '15m' })).toMatchObject({
      auditCheckpointKey: '/etc/doudi/checkpoint.pem',
      auditCheckpointIntervalSeconds: 900,
    });
    expect(configError({ AUDIT_CHECKPOINT_INTERVAL: '10s' }).issues).toEqual([
      { key: 'AUDIT_CHECKPOINT_INTERVAL', message: 'expected a duration of at least 60s, such as 15m, 1h or 1d (got "10s")' },
    ]);
    const secret = configError({ AUDIT_CHECKPOINT_KEY: '-----BEGIN PRIVATE KEY-----', PORT: 'x' });
    expect(secret.message).not.toContain('BEGIN PRIVATE KEY');
  });

  it('DATABASE_POOL: a whole number 1-200, else an error naming the key and the value', () => {
    expect(loadConfig({ DATABASE_POOL: '32' }).databasePool).toBe(32);
    for (const bad of ['0', '201', 'ten']) {
      expect(configError({ DATABASE_POOL: bad }).issues).toEqual([{ key: 'DATABASE_POOL', message: `expected a whole number 1-200 (got "${bad}")` }]);
    }
  });

  it('reads every key', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      PORT: '8080',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://doudi:pw@db:5432/doudi',
      DOUDI_DATA_DIR: 'memory://',
      LOG_LEVEL: 'debug',
      JWT_SECRET: strongSecret,
      JWT_ISSUER: 'doudi-sanmenxia',
      TOKEN_TTL: '30m',
      REVIEW_CHAIN: 'township, county',
      WORKER: 'off',
      SEED_DEMO: 'OFF',
    });
    expect(config).toMatchObject({
      nodeEnv: 'production',
      port: 8080,
      host: '0.0.0.0',
      databaseUrl: 'postgres://doudi:pw@db:5432/doudi',
      dataDir: 'memory://',
      logLevel: 'debug',
      jwtSecret: strongSecret,
      jwtSecretIsDevDefault: false,
      jwtIssuer: 'doudi-sanmenxia',
      tokenTtlSeconds: 1800,
      reviewChain: ['township', 'county'],
      worker: false,
      seedDemo: false,
    });
  });

  it('allows the demo clock outside production only', () => {
    expect(loadConfig({ DEMO_CLOCK: 'on' }).demoClock).toBe(true);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: strongSecret, DEMO_CLOCK: 'on' })).toThrow(/DEMO_CLOCK: DEMO_CLOCK cannot be on in production/);
  });

  it('treats empty values as unset', () => {
    const config = loadConfig({ DATABASE_URL: '', PORT: '', JWT_SECRET: '' });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.port).toBe(3000);
    expect(config.jwtSecret).toBe(DEV_JWT_SECRET);
  });

  it('reports every bad key at once', () => {
    const error = configError({
      PORT: 'abc',
      LOG_LEVEL: 'loud',
      JWT_SECRET: 'short',
      TOKEN_TTL: 'forever',
      REVIEW_CHAIN: 'village,province',
      WORKER: 'maybe',
      DATABASE_URL: 'mysql://secret-password@db/x',
    });
    const keys = error.issues.map((i) => i.key).sort();
    expect(keys).toEqual(['DATABASE_URL', 'JWT_SECRET', 'LOG_LEVEL', 'PORT', 'REVIEW_CHAIN', 'TOKEN_TTL', 'WORKER']);
    expect(error.message).toContain('7 problems');
    expect(error.message).toMatch(/PORT: expected a port number 0-65535 \(got "abc"\)/);
    expect(error.message).toMatch(/WORKER: expected on or off/);
    expect(error.message).toMatch(/REVIEW_CHAIN: expected a comma-separated list of village, township, county/);
    // Secrets are never echoed back.
    expect(error.message).not.toContain('short');
    expect(error.message).not.toContain('secret-password');
  });

  it('rejects a port out of range and a repeated review level', () => {
    const error = configError({ PORT: '70000', REVIEW_CHAIN: 'village,village' });
    expect(error.issues).toEqual([
      { key: 'PORT', message: 'expected a port number 0-65535 (got "70000")' },
      { key: 'REVIEW_CHAIN', message: 'a level appears only once (got "village,village")' },
    ]);
  });

  it('refuses to start in production without JWT_SECRET', () => {
    const error = configError({ NODE_ENV: 'production' });
    expect(error.issues).toEqual([{ key: 'JWT_SECRET', message: expect.stringMatching(/required in production/) }]);
  });

  it('refuses the development secret in production even when set explicitly', () => {
    const error = configError({ NODE_ENV: 'production', JWT_SECRET: DEV_JWT_SECRET });
    expect(error.issues.map((i) => i.key)).toEqual(['JWT_SECRET']);
    expect(error.message).toMatch(/not allowed in production/);
  });
});

describe('parseDurationSeconds', () => {
  it.each([
    ['90', 90],
    ['90s', 90],
    ['30m', 1800],
    ['12h', 43200],
    ['7d', 604800],
  ])('%s → %d seconds', (text, seconds) => expect(parseDurationSeconds(text)).toBe(seconds));

  it.each(['', '0', '12 hours', '-5m', '1.5h'])('rejects %j', (text) => expect(parseDurationSeconds(text)).toBeUndefined());
});
