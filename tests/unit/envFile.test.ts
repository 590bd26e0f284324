import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { EnvFileError, withEnvFile } from '../../src/envFile.js';

const dir = mkdtempSync(join(tmpdir(), 'doudi-envfile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the .env file', () => {
  it('adds its keys under the environment: the environment wins, comments and quotes as node --env-file reads them', () => {
    writeFileSync(join(dir, '.env'), ['# Doudi', 'PORT=3999', 'LOG_LEVEL=warn', 'JWT_ISSUER="doudi sanmenxia"', 'DATABASE_URL=', ''].join('\n'));
    const { env, file } = withEnvFile({ LOG_LEVEL: 'error', HOME: '/home/x' }, dir);
    expect(file).toBe(join(dir, '.env'));
    expect(env).toMatchObject({ PORT: '3999', LOG_LEVEL: 'error', JWT_ISSUER: 'doudi sanmenxia', HOME: '/home/x', DATABASE_URL: '' });
    // …and what the configuration makes of it.
    expect(loadConfig(env)).toMatchObject({ port: 3999, logLevel: 'error', jwtIssuer: 'doudi sanmenxia', databaseUrl: undefined });
  });

  it('is optional; .env.example as it is, copied to .env, is a valid configuration', () => {
    const empty = mkdtempSync(join(tmpdir(), 'doudi-envfile-none-'));
    try {
      expect(withEnvFile({ PORT: '1' }, empty)).toEqual({ env: { PORT: '1' }, file: undefined });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    const example = withEnvFile({ DOUDI_ENV_FILE: new URL('../../.env.example', import.meta.url).pathname }, dir);
    expect(loadConfig(example.env)).toMatchObject({ nodeEnv: 'development', port: 3000, databaseUrl: undefined, seedDemo: true });
  });

  it('DOUDI_ENV_FILE names another file, which must exist', () => {
    writeFileSync(join(dir, 'doudi.env'), 'PORT=4001\n');
    expect(withEnvFile({ DOUDI_ENV_FILE: 'doudi.env' }, dir).env.PORT).toBe('4001');
    expect(() => withEnvFile({ DOUDI_ENV_FILE: 'missing.env' }, dir)).toThrow(EnvFileError);
    expect(() => withEnvFile({ DOUDI_ENV_FILE: 'missing.env' }, dir)).toThrow(/DOUDI_ENV_FILE names .*missing\.env, which does not exist/);
  });
});
