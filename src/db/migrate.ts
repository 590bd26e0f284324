// Applies the drizzle-kit migrations in migrations/ with the migrator matching the driver.
//
// Note (drizzle #5769): the migrator only applies migrations whose journal timestamp is newer than the last
// applied one, so migrations must be generated in order and never back-dated or edited once landed.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { DbHandle } from './client.js';

/**
 * migrations/ at the repository root, found from this module so the working directory does not matter. The module
 * runs from src/db/migrate.ts (tsx, tests) or bundled into dist/main.js and dist/worker.js (`npm start`), so the
 * root is found by walking up to the first directory that holds migrations/meta/_journal.json.
 */
export const MIGRATIONS_FOLDER = findMigrations(dirname(fileURLToPath(import.meta.url)));

function findMigrations(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'migrations');
    if (existsSync(join(candidate, 'meta', '_journal.json'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`migrations/ not found above ${from}`);
  }
}

/**
 * The advisory lock key under which migrations run on PostgreSQL ('doudi' in ASCII, then 'mig'): `npm run migrate`,
 * every service and every worker take it before migrating, so of several processes starting together on one fresh
 * database one applies the migrations and the others wait, then find nothing left to do. (drizzle's migrator alone
 * would let two of them create the journal table and apply the same migration at once.)
 */
export const MIGRATION_LOCK_KEY = 0x646f756469_6d6967n;

export interface MigrateLogger {
  info(obj: object, msg?: string): void;
}

/**
 * Runs `fn` holding the migration lock (PostgreSQL); on PGlite, which one process holds (src/db/dataDirLock.ts),
 * `fn` runs as it is.
 */
export async function withMigrationLock<T>(handle: Pick<DbHandle, 'kind' | 'advisoryLock'>, fn: () => Promise<T>, logger?: MigrateLogger): Promise<T> {
  if (handle.kind !== 'postgres' || !handle.advisoryLock) return fn();
  const started = Date.now();
  let waited = false;
  const release = await handle.advisoryLock(MIGRATION_LOCK_KEY, () => {
    waited = true;
    logger?.info({}, 'another process is migrating the database: waiting for it');
  });
  if (waited) logger?.info({ waitedMs: Date.now() - started }, 'migration lock taken after waiting');
  try {
    return await fn();
  } finally {
    await release();
  }
}

/** Applies the pending migrations, under the migration lock on PostgreSQL. */
export async function migrate(handle: Pick<DbHandle, 'db' | 'kind' | 'advisoryLock'>, migrationsFolder = MIGRATIONS_FOLDER, logger?: MigrateLogger) {
  await withMigrationLock(handle, () => migrateUnlocked(handle, migrationsFolder), logger);
}

/** The migrations without the lock: for a caller that holds it already (src/db/open.ts migrateAsOwner). */
export async function migrateUnlocked(handle: Pick<DbHandle, 'db' | 'kind'>, migrationsFolder = MIGRATIONS_FOLDER) {
  const config = { migrationsFolder };
  if (handle.kind === 'pglite') {
    await migratePglite(handle.db as unknown as PgliteDatabase<Record<string, unknown>>, config);
  } else {
    await migratePostgres(handle.db as unknown as PostgresJsDatabase<Record<string, unknown>>, config);
  }
}
