// Migrations under the PostgreSQL advisory lock (src/db/migrate.ts): on one fresh database, a service, a worker and
// two `npm run migrate` start together. Every one of them succeeds, and each migration is applied exactly once
// (without the lock two of them would race to create drizzle's journal and apply the same migration twice, and
// one would fail). PostgreSQL only: PGlite is one process per directory (tests/integration/dataDirLock.test.ts).
import { execFile, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabaseUrl } from '../helpers/db.js';
import { freePort, root, serviceEnv, sleep, spawnService, stopService, waitReady, type ServiceProcess } from '../faults/support.js';

const hasPostgres = !!process.env.DATABASE_URL;

function run(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: root, env, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

describe.skipIf(!hasPostgres)('migrations: several processes starting together on one fresh PostgreSQL database', () => {
  let url: string;
  let drop: () => Promise<void> = async () => {};
  let svc: ServiceProcess | undefined;
  let worker: ReturnType<typeof spawn> | undefined;

  beforeAll(async () => {
    const db = await createTestDatabaseUrl();
    url = db.url!;
    drop = db.drop;
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  }, 60_000);

  afterAll(async () => {
    await stopService(svc);
    if (worker && worker.exitCode === null) worker.kill('SIGKILL');
    await drop();
  });

  it('all succeed, and each migration is applied once', async () => {
    const env = serviceEnv(await freePort(), url, { SEED_DEMO: 'off', LOG_LEVEL: 'info' });
    let workerOutput = '';
    // All four at once: no build in between (spawnService builds, so the build ran above and runs again here first).
    svc = spawnService(env);
    worker = spawn(process.execPath, ['dist/worker.js'], { cwd: root, env: { ...env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    worker.stdout!.on('data', (d) => (workerOutput += d));
    worker.stderr!.on('data', (d) => (workerOutput += d));
    const [a, b] = await Promise.all([run(['dist/cli/migrate.js'], env), run(['dist/cli/migrate.js'], env)]);
    await waitReady(svc, 90_000);
    while (!workerOutput.includes('"msg":"migrations applied"') && worker.exitCode === null) await sleep(100);

    const journal = JSON.parse(readFileSync(`${root}/migrations/meta/_journal.json`, 'utf8')) as { entries: unknown[] };
    const n = journal.entries.length;
    for (const r of [a, b]) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^migrations: ${n} in the journal, \\d+ applied now, ${n} recorded`, "m"));
    }
    expect(worker.exitCode, workerOutput).toBeNull();
    expect(workerOutput).toContain('"msg":"migrations applied"');

    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const rows = await sql`select hash, count(*)::int as n from drizzle.__drizzle_migrations group by hash`;
      expect(rows.length).toBe(n);
      expect(rows.filter((r) => r.n !== 1)).toEqual([]);
      // Nobody holds the lock any more (every process released it, or its session ended).
      const held = await sql`select count(*)::int as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`;
      expect(held[0].n).toBe(0);
    } finally {
      await sql.end({ timeout: 5 });
    }
  }, 180_000);
});
