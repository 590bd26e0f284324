import { describe, expect, it } from 'vitest';
import { ConfigError, DEV_JWT_SECRET, loadConfig, parseDurationSeconds } from '../../src/config.js';

const strongSecret = 'q9Rz-Lm2x7Vb4Ns8Kd1Wf6Hj3Tp0Yc5E'; // 32 characters, all different
/** Production needs a PostgreSQL server (or ALLOW_PGLITE_IN_PRODUCTION=on). */
const PG = 'postgres://doudi@db:5432/doudi';

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
      allowPgliteInProduction: false,
      logLevel: 'info',
      jwtSecret: DEV_JWT_SECRET,
      jwtSecretIsDevDefault: true,
      jwtIssuer: 'doudi',
      tokenTtlSeconds: 12 * 3600,
      reviewChain: ['village', 'township', 'county'],
      worker: true,
      seedDemo: true,
      demoClock: true, // on in development (NODE_ENV unset), for demonstrations
      allowDemoUsers: false,
      tokenMaxTtlSeconds: 24 * 3600,
      sessionTtlSeconds: 12 * 3600,
      sessionIdleSeconds: 30 * 60,
      signInMaxFailures: 5,
      signInMaxFailuresPerAddress: 50,
      signInWindowSeconds: 15 * 60,
      rateLimitPerMinute: 1200,
      rateLimitPublicPerMinute: 120,
      trustProxy: false,
      metricsToken: null,
      workerMetricsPort: null,
      cookieSecure: 'auto',
      corsOrigins: [],
      importMaxBytes: 20 * 1024 * 1024,
      oidc: undefined,
      webhookAllowHosts: [],
      databaseMigrationUrl: undefined,
      auditCheckpointKey: undefined,
      auditCheckpointIntervalSeconds: 3600,
    });
  });

  it('production: no demo data unless asked, and a secret that looks random', () => {
    expect(loadConfig({ NODE_ENV: 'production', DATABASE_URL: PG, JWT_SECRET: strongSecret }).seedDemo).toBe(false);
    for (const weak of ['a'.repeat(40), 'abababababababababababababababab', 'test-secret-test-secret-test-secret-42']) {
      const error = configError({ NODE_ENV: 'production', DATABASE_URL: PG, JWT_SECRET: weak });
      expect(error.issues).toEqual([{ key: 'JWT_SECRET', message: expect.stringMatching(/random secret \(at least 16 different characters\)/) }]);
      expect(error.message).not.toContain(weak);
    }
  });

  it('sign-in, sessions, limits, CORS and single sign-on settings', () => {
    const config = loadConfig({
      TOKEN_TTL: '1h',
      TOKEN_MAX_TTL: '2h',
      SESSION_TTL: '8h',
      SESSION_IDLE: '15m',
      SIGN_IN_MAX_FAILURES: '3',
      SIGN_IN_MAX_FAILURES_PER_ADDRESS: '30',
      SIGN_IN_WINDOW: '30m',
      RATE_LIMIT: '0',
      RATE_LIMIT_PUBLIC: '30',
      TRUST_PROXY: 'on',
      COOKIE_SECURE: 'on',
      CORS_ORIGINS: 'https://a.example.cn, https://b.example.cn',
      OIDC_ISSUER: 'https://sso.example.cn/realms/henan/',
      OIDC_CLIENT_ID: 'doudi',
      OIDC_CLIENT_SECRET: 'client-secret',
      OIDC_USER_CLAIM: 'preferred_username',
    });
    expect(config).toMatchObject({
      tokenTtlSeconds: 3600,
      tokenMaxTtlSeconds: 7200,
      sessionTtlSeconds: 8 * 3600,
      sessionIdleSeconds: 900,
      signInMaxFailures: 3,
      signInMaxFailuresPerAddress: 30,
      signInWindowSeconds: 1800,
      rateLimitPerMinute: 0,
      rateLimitPublicPerMinute: 30,
      trustProxy: true,
      cookieSecure: 'on',
      corsOrigins: ['https://a.example.cn', 'https://b.example.cn'],
      oidc: { issuer: 'https://sso.example.cn/realms/henan', clientId: 'doudi', clientSecret: 'client-secret', audience: 'doudi', userClaim: 'preferred_username' },
    });
    expect(configError({ COOKIE_SECURE: 'maybe', CORS_ORIGINS: '*' }).issues.map((i) => i.key)).toEqual(['COOKIE_SECURE', 'CORS_ORIGINS']);
    // Checks across keys (run once every key parses on its own).
    const error = configError({ TOKEN_TTL: '48h', SESSION_IDLE: '13h', OIDC_CLIENT_ID: 'doudi', OIDC_CLIENT_SECRET: 'sekret-value' });
    expect(error.issues.map((i) => i.key).sort()).toEqual(['OIDC_ISSUER', 'SESSION_IDLE', 'TOKEN_TTL']);
    expect(error.message).not.toContain('sekret-value');
  });

  it('WEBHOOK_ALLOW_HOSTS: host names or IP addresses, normalized; anything else names the key and the entry', () => {
    expect(loadConfig({ WEBHOOK_ALLOW_HOSTS: ' 127.0.0.1, SMS-GW.internal ,[::1],sms-gw.internal' }).webhookAllowHosts).toEqual(['127.0.0.1', 'sms-gw.internal', '::1']);
    for (const bad of ['http://gw', 'gw:8080', '2130706433', '0x7f000001', 'gw/path']) {
      const [issue] = configError({ WEBHOOK_ALLOW_HOSTS: `127.0.0.1,${bad}` }).issues;
      expect(issue.key, bad).toBe('WEBHOOK_ALLOW_HOSTS');
      expect(issue.message, bad).toMatch(/^expected a comma-separated list of host names or IP addresses: /);
    }
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
      WEBHOOK_ALLOW_HOSTS: '10.0.0.7',
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
      webhookAllowHosts: ['10.0.0.7'],
    });
  });

  it('allows the demo clock outside production only', () => {
    expect(loadConfig({ DEMO_CLOCK: 'on' }).demoClock).toBe(true);
    expect(loadConfig({}).demoClock).toBe(true); // development: on unless switched off
    expect(loadConfig({ DEMO_CLOCK: 'off' }).demoClock).toBe(false);
    expect(loadConfig({ NODE_ENV: 'test' }).demoClock).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', DATABASE_URL: PG, JWT_SECRET: strongSecret }).demoClock).toBe(false);
    expect(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: PG, JWT_SECRET: strongSecret, DEMO_CLOCK: 'on' })).toThrow(/DEMO_CLOCK: DEMO_CLOCK cannot be on in production/);
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

  it('production: PostgreSQL, or PGlite only when explicitly allowed; no demo data either way unless asked', () => {
    const error = configError({ NODE_ENV: 'production', JWT_SECRET: strongSecret });
    expect(error.issues).toEqual([{ key: 'DATABASE_URL', message: expect.stringMatching(/required in production .*set ALLOW_PGLITE_IN_PRODUCTION=on/) }]);
    const pglite = loadConfig({ NODE_ENV: 'production', JWT_SECRET: strongSecret, ALLOW_PGLITE_IN_PRODUCTION: 'on' });
    expect(pglite).toMatchObject({ databaseUrl: undefined, allowPgliteInProduction: true, seedDemo: false, demoClock: false });
    expect(loadConfig({ NODE_ENV: 'production', DATABASE_URL: PG, JWT_SECRET: strongSecret, SEED_DEMO: 'on' }).seedDemo).toBe(true);
    // Outside production PGlite needs no permission.
    expect(loadConfig({ NODE_ENV: 'test' }).databaseUrl).toBeUndefined();
    expect(configError({ NODE_ENV: 'production', DATABASE_URL: PG, JWT_SECRET: strongSecret, ALLOW_PGLITE_IN_PRODUCTION: 'maybe' }).issues).toEqual([
      { key: 'ALLOW_PGLITE_IN_PRODUCTION', message: 'expected on or off (got "maybe")' },
    ]);
  });

  it('refuses to start in production without JWT_SECRET', () => {
    const error = configError({ NODE_ENV: 'production' });
    expect(error.issues).toEqual([{ key: 'JWT_SECRET', message: expect.stringMatching(/required in production/) }]);
  });

  it('refuses the development secret in production even when set explicitly', () => {
    const error = configError({ NODE_ENV: 'production', DATABASE_URL: PG, JWT_SECRET: DEV_JWT_SECRET });
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
