/**
 * `npm run migrate`: apply the pending migrations and exit — as the owner role when DATABASE_MIGRATION_URL is set
 * (which then grants DATABASE_URL's role its rights), else on DATABASE_URL, or on the PGlite directory. The
 * service and the workers do the same at every start under the same PostgreSQL advisory lock
 * (src/db/migrate.ts), so running it first is not required, but it lets a deployment migrate once, as a step of
 * its own, before starting the processes. Part of the production build (dist/cli/migrate.js): no devDependency.
 * Prints one line, e.g. `migrations: 17 in the journal, 17 applied now, 17 recorded (PostgreSQL db:5432/doudi)`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { loadConfigOrExit } from '../config.js';
import { createDb, hostOf, MIGRATIONS_FOLDER, openConfiguredDatabase, rows, type DbHandle } from '../db/index.js';
import { environmentOrExit } from '../envFile.js';
import { createLogger } from '../logger.js';

async function recorded(database: Pick<DbHandle, 'db'>): Promise<number> {
  try {
    return Number(rows<{ n: number | string }>(await database.db.execute(sql`select count(*) as n from drizzle.__drizzle_migrations`))[0].n);
  } catch {
    return 0; // a fresh database: no journal table yet
  }
}

/** The journal rows on PostgreSQL, read as the role that migrates (the runtime role may not read the drizzle schema). */
async function recordedOnServer(url: string, dataDir: string): Promise<number> {
  const probe = await createDb({ databaseUrl: url, dataDir, maxConnections: 1 });
  try {
    return await recorded(probe);
  } finally {
    await probe.close();
  }
}

async function main(): Promise<number> {
  const config = loadConfigOrExit(environmentOrExit(process.env));
  const logger = createLogger(config);
  const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] };
  const ownerUrl = config.databaseMigrationUrl ?? config.databaseUrl;
  const before = ownerUrl ? await recordedOnServer(ownerUrl, config.dataDir) : undefined;
  const database = await openConfiguredDatabase(config, { logger, maxConnections: 1 });
  let after: number;
  try {
    after = ownerUrl ? await recordedOnServer(ownerUrl, config.dataDir) : await recorded(database);
  } finally {
    await database.close();
  }
  const where = config.databaseUrl ? `PostgreSQL ${hostOf(config.databaseUrl)}` : `PGlite ${config.dataDir}`;
  // PGlite has one handle per directory, so what was there before is not read: "applied now" is left out.
  const now = before === undefined ? '' : `, ${after - before} applied now`;
  console.log(`migrations: ${journal.entries.length} in the journal${now}, ${after} recorded (${where})`);
  return after === journal.entries.length ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error('migrate failed:', err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
