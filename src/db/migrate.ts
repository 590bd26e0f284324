// Applies the drizzle-kit migrations in migrations/ with the migrator matching the driver.
//
// Note (drizzle #5769): the migrator only applies migrations whose journal timestamp is newer than the last
// applied one, so migrations must be generated in order and never back-dated or edited once landed.
import { fileURLToPath } from 'node:url';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { DbHandle } from './client.js';

/** migrations/ at the repository root, found from this file so the working directory does not matter. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../migrations', import.meta.url));

export async function migrate(handle: Pick<DbHandle, 'db' | 'kind'>, migrationsFolder = MIGRATIONS_FOLDER) {
  const config = { migrationsFolder };
  if (handle.kind === 'pglite') {
    await migratePglite(handle.db as unknown as PgliteDatabase<Record<string, unknown>>, config);
  } else {
    await migratePostgres(handle.db as unknown as PostgresJsDatabase<Record<string, unknown>>, config);
  }
}
