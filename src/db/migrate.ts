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

export async function migrate(handle: Pick<DbHandle, 'db' | 'kind'>, migrationsFolder = MIGRATIONS_FOLDER) {
  const config = { migrationsFolder };
  if (handle.kind === 'pglite') {
    await migratePglite(handle.db as unknown as PgliteDatabase<Record<string, unknown>>, config);
  } else {
    await migratePostgres(handle.db as unknown as PostgresJsDatabase<Record<string, unknown>>, config);
  }
}
