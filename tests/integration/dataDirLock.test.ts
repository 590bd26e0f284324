// One process per PGlite data directory (src/db/dataDirLock.ts), with real processes: the built service holds a
// directory; `npm run migrate` and `npm run seed` beside it fail at once, naming its pid (seed once spun for ten
// minutes there); after the service is killed with SIGKILL its lock is stale and the next process takes it. Also
// the other production guard on PGlite: NODE_ENV=production without DATABASE_URL refuses to start unless
// ALLOW_PGLITE_IN_PRODUCTION=on. PGlite only, whatever DATABASE_URL says (it is about the embedded database).
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataDirLockedError, LOCK_FILE, lockDataDir } from '../../src/db/dataDirLock.js';
import { freePort, root, serviceEnv, spawnService, stopService, waitReady, type ServiceProcess } from '../faults/support.js';

function run(file: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: root, env, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

describe('a PGlite data directory is held by one process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'doudi-lock-'));
  let env: Record<string, string>;
  let svc: ServiceProcess | undefined;

  beforeAll(async () => {
    env = serviceEnv(await freePort(), '', { DOUDI_DATA_DIR: dir, SEED_DEMO: 'off', WORKER: 'on', NODE_ENV: 'test' });
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    svc = spawnService(env);
    await waitReady(svc, 90_000);
  }, 120_000);

  afterAll(async () => {
    await stopService(svc);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses migrate and seed beside a running service, and takes a dead process\'s lock', async () => {
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(svc!.pid));

    const migrate = await run(process.execPath, ['dist/cli/migrate.js'], env);
    expect(migrate.code).toBe(1);
    expect(migrate.stderr).toMatch(new RegExp(`PGlite data directory ${dir} is in use by process ${svc!.pid}`));
    const seed = await run(join(root, 'node_modules/.bin/tsx'), ['scripts/seed.ts'], env);
    expect(seed.code).toBe(1);
    expect(seed.stderr).toMatch(new RegExp(`is in use by process ${svc!.pid}.*stop that process first`));
    // The service is unharmed.
    expect((await fetch(`${svc!.base}/readyz`)).status).toBe(200);

    // SIGKILL leaves the lock file behind; its pid is gone, so the next process takes it (and removes it on exit).
    svc!.proc.kill('SIGKILL');
    await svc!.exited;
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(svc!.pid));
    const after = await run(process.execPath, ['dist/cli/migrate.js'], env);
    expect(after.stderr + after.stdout).toMatch(/migrations: (\d+) in the journal, \1 recorded \(PGlite/);
    expect(after.code).toBe(0);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  }, 180_000);

  it('one process does not open the same directory twice either', () => {
    const own = mkdtempSync(join(tmpdir(), 'doudi-lock-own-'));
    try {
      const release = lockDataDir(own);
      expect(() => lockDataDir(own)).toThrow(DataDirLockedError);
      release();
      // A lock naming this pid that this process did not take (a container's pid 1 of a previous life) is stale.
      writeFileSync(join(own, LOCK_FILE), `${process.pid}\n`);
      lockDataDir(own)();
      expect(existsSync(join(own, LOCK_FILE))).toBe(false);
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('production on PGlite only when ALLOW_PGLITE_IN_PRODUCTION=on', async () => {
    const prod = { ...env, NODE_ENV: 'production', JWT_SECRET: 'q9Rz-Lm2x7Vb4Ns8Kd1Wf6Hj3Tp0Yc5E-prod', DOUDI_DATA_DIR: join(dir, 'prod') };
    const refused = await run(process.execPath, ['dist/cli/migrate.js'], prod);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/DATABASE_URL: required in production .*ALLOW_PGLITE_IN_PRODUCTION=on/);
    // Refused before anything is opened (ALLOW_PGLITE_IN_PRODUCTION=on itself: tests/unit/config.test.ts).
    expect(existsSync(join(dir, 'prod'))).toBe(false);
  }, 120_000);
});
