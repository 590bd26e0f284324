/**
 * The one place that builds things: config → logger → database → migrations → engine → (demo seed) → HTTP.
 * Shuts down gracefully on SIGINT/SIGTERM: stop accepting requests, drain, close the database.
 */
import { loadConfigOrExit } from './config.js';
import { environmentOrExit } from './envFile.js';
import { openConfiguredDatabase } from './db/index.js';
import { createLogger } from './logger.js';
import { onShutdown } from './shutdown.js';
import { isEmptyDatabase, seedDemo } from './seed/index.js';
import { startWorkers } from './scheduler/index.js';
import { createService, loadTimeSettings } from './service.js';
import { systemClock } from './time/clock.js';
import { checkDemoUsers } from './auth/demoUsers.js';

async function main(): Promise<void> {
  const config = loadConfigOrExit(environmentOrExit(process.env));
  const logger = createLogger(config);
  if (config.jwtSecretIsDevDefault) {
    logger.warn('JWT_SECRET is not set: using the development secret. Set JWT_SECRET before real use.');
  }

  // Migrations as the owner role when DATABASE_MIGRATION_URL is set; the process then runs as DATABASE_URL's role.
  const database = await openConfiguredDatabase(config, { logger });
  logger.info({ database: database.kind }, 'migrations applied');

  const service = createService({ config, logger, database, clock: systemClock });
  const { app, engine, clock } = service;
  await loadTimeSettings(service, logger);
  // Import jobs a stopped process left: validate again, or (a commit that died with it wrote nothing) reopen.
  const recovered = await engine.imports.recover();
  if (recovered.revalidated + recovered.reopened > 0) logger.info(recovered, 'import jobs resumed');
  if (config.demoClock) logger.warn('DEMO_CLOCK is on: an admin can move time forward (POST /admin/clock)');

  if (config.seedDemo && (await isEmptyDatabase(database.db))) {
    const counts = await seedDemo({ db: database.db, engine, clock, logger });
    logger.info({ counts }, 'empty database: demo data seeded (SEED_DEMO=off to skip)');
  }

  // Demo users have a password printed in the README: a production system must not have them.
  await checkDemoUsers(config, engine.accounts, logger);

  // The scheduler (timers, reminders, webhook outbox) runs in this process unless WORKER=off (then run
  // `npm run worker` separately, as many as wanted: they share the work through SKIP LOCKED).
  const workers = config.worker ? startWorkers({ database, engine, clock, logger, config }) : null;

  await app.listen({ port: config.port, host: config.host });
  logger.info(`Doudi listening on http://${config.host}:${config.port} (API docs at /docs)`);

  onShutdown(logger, 'service', async () => {
    await app.close(); // stops accepting, waits for in-flight requests
    await workers?.stop(); // lets the batch in progress commit
    await database.close();
  });
}

main().catch((err) => {
  console.error('Doudi failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
