// Loads the demo data (npm run seed): regions, users, facilities and demo cases told through the engine.
// Idempotent: a second run changes nothing. Uses DATABASE_URL, or embedded PGlite in DOUDI_DATA_DIR — which
// must not be held by a running `npm start` (PGlite is single-process: the directory's lock file refuses a second
// process at once, naming the first; stop the service first).
import { loadConfigOrExit } from '../src/config.js';
import { environmentOrExit } from '../src/envFile.js';
import { createDb, migrate } from '../src/db/index.js';
import { DataDirLockedError } from '../src/db/dataDirLock.js';
import { createLogger } from '../src/logger.js';
import { seedDemo } from '../src/seed/index.js';
import { createService } from '../src/service.js';
import { systemClock } from '../src/time/clock.js';

async function main(): Promise<number> {
  const config = loadConfigOrExit(environmentOrExit(process.env));
  const logger = createLogger(config);
  const database = await createDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
  try {
    await migrate(database);
    // The same engine wiring as `npm start`; the demo stories end at the current time.
    const { engine } = createService({ config, logger, database, clock: systemClock });
    const counts = await seedDemo({ db: database.db, engine, clock: systemClock, logger });
    const where = config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `PGlite in ${config.dataDir}`;
    console.log(
      [
        `Demo data in ${where}:`,
        `  regions     ${counts.regions}`,
        `  users       ${counts.users}`,
        `  facilities  ${counts.facilities}`,
        `  demo cases  ${counts.cases.total} (${counts.cases.created} created now, ${counts.cases.existing} already there)`,
        'Get a token with: npm run -s token -- <username>',
      ].join('\n'),
    );
    return 0;
  } finally {
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    // A held PGlite directory is an operator's situation, not a bug: its message says what to do, no stack.
    console.error('seeding failed:', err instanceof DataDirLockedError ? err.message : err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
