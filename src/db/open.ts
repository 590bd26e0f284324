// Opening the database for a process (the service, a worker, the scripts): migrations first, then the handle the
// process works with.
//
// With DATABASE_MIGRATION_URL (PostgreSQL) the migrations run on a connection of their own as that URL's role,
// the owner, which then grants the runtime role — DATABASE_URL's user — its rights (src/db/roles.ts); the handle
// returned connects as the runtime role. Without it, one URL (or PGlite) does both, as before.
import type { Config } from '../config.js';
import { createDb, type DbLogger, type DbHandle } from './client.js';
import { migrate, migrateUnlocked, withMigrationLock } from './migrate.js';
import { grantRuntimeRole, userOfUrl } from './roles.js';

export interface OpenOptions {
  databaseUrl?: string;
  databaseMigrationUrl?: string;
  dataDir: string;
  maxConnections?: number;
  logger?: DbLogger;
  migrationsFolder?: string;
}

/** Migrate as the owner and grant the runtime role (two URLs), or migrate on `runtime` itself (one URL). */
export async function migrateAsOwner(options: OpenOptions & { databaseUrl: string; databaseMigrationUrl: string }): Promise<{ runtimeRole: string; appendOnly: string[] }> {
  const runtimeRole = userOfUrl(options.databaseUrl);
  const owner = await createDb({ databaseUrl: options.databaseMigrationUrl, dataDir: options.dataDir, maxConnections: 1 });
  try {
    // The grants under the migration lock too: two processes granting at once can fail ("tuple concurrently updated").
    return await withMigrationLock(
      owner,
      async () => {
        await migrateUnlocked(owner, options.migrationsFolder);
        if (runtimeRole === userOfUrl(options.databaseMigrationUrl!)) {
          options.logger?.info({ role: runtimeRole }, 'DATABASE_MIGRATION_URL and DATABASE_URL name the same role: no runtime grants');
          return { runtimeRole, appendOnly: [] };
        }
        const { appendOnly } = await grantRuntimeRole(owner.db, runtimeRole);
        options.logger?.info({ runtimeRole, appendOnly }, 'migrations applied as the owner role; runtime role granted');
        return { runtimeRole, appendOnly };
      },
      options.logger,
    );
  } finally {
    await owner.close();
  }
}

export async function openDatabase(options: OpenOptions): Promise<DbHandle> {
  const { databaseUrl, databaseMigrationUrl } = options;
  if (databaseUrl && databaseMigrationUrl) {
    await migrateAsOwner({ ...options, databaseUrl, databaseMigrationUrl });
    return createDb({ databaseUrl, dataDir: options.dataDir, maxConnections: options.maxConnections, logger: options.logger });
  }
  const database = await createDb({ databaseUrl, dataDir: options.dataDir, maxConnections: options.maxConnections, logger: options.logger });
  try {
    await migrate(database, options.migrationsFolder, options.logger);
  } catch (error) {
    await database.close().catch(() => {});
    if ((error as { cause?: { code?: string }; code?: string }).cause?.code === '42501' || (error as { code?: string }).code === '42501') {
      throw new Error('migrations were refused to the DATABASE_URL role (permission denied): set DATABASE_MIGRATION_URL to the owner role', { cause: error });
    }
    throw error;
  }
  return database;
}

/** The database of a process (the service, a worker, a command) as its configuration names it. */
export function openConfiguredDatabase(
  config: Pick<Config, 'databaseUrl' | 'databaseMigrationUrl' | 'dataDir' | 'databasePool'>,
  options: { logger?: DbLogger; maxConnections?: number } = {},
): Promise<DbHandle> {
  return openDatabase({
    databaseUrl: config.databaseUrl,
    databaseMigrationUrl: config.databaseMigrationUrl,
    dataDir: config.dataDir,
    maxConnections: options.maxConnections ?? config.databasePool,
    logger: options.logger,
  });
}
