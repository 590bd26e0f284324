/**
 * `npm run worker`: the scheduler without HTTP — durable timers (notice ends, overdue notices, escalations,
 * revisit reminders) and the webhook outbox. config → logger → database → migrations → engine → workers.
 * Run as many as you like against one PostgreSQL database (timers are claimed with SKIP LOCKED, deliveries
 * under a lease); set WORKER=off on the HTTP processes when workers run apart from them.
 * SIGTERM/SIGINT: finish the batch in progress, close the database, exit 0.
 */
import { loadConfigOrExit } from './config.js';
import { environmentOrExit } from './envFile.js';
import { openConfiguredDatabase } from './db/index.js';
import { createLogger } from './logger.js';
import { onShutdown } from './shutdown.js';
import { startWorkers } from './scheduler/index.js';
import { createService, loadTimeSettings } from './service.js';
import { systemClock } from './time/clock.js';
import { startMetricsServer } from './http/metrics.js';

async function main(): Promise<void> {
  const config = loadConfigOrExit(environmentOrExit(process.env));
  const logger = createLogger(config);
  if (!config.databaseUrl) {
    logger.warn('DATABASE_URL is not set: the worker opens the embedded PGlite database, which only one process can hold. With `npm start` running, use WORKER=on there instead, or PostgreSQL.');
  }

  // Migrations as the owner role when DATABASE_MIGRATION_URL is set; the process then runs as DATABASE_URL's role.
  const database = await openConfiguredDatabase(config, { logger });
  logger.info({ database: database.kind }, 'migrations applied');

  // The engine, for the timers' effects; its HTTP app is never started.
  const service = createService({ config, logger, database, clock: systemClock });
  await loadTimeSettings(service, logger);
  const workers = startWorkers({ database, engine: service.engine, clock: service.clock, logger, config });
  // This process's own counters (timers fired, deliveries) for Prometheus, behind the same METRICS_TOKEN.
  const metrics = config.workerMetricsPort
    ? await startMetricsServer({ token: config.metricsToken, counts: service.engine.operationalCounts, host: config.host, port: config.workerMetricsPort, logger })
    : null;
  if (metrics) logger.info(`worker metrics on http://${config.host}:${config.workerMetricsPort}/metrics`);

  onShutdown(logger, 'worker', async () => {
    await metrics?.close();
    await workers.stop();
    await database.close();
  });
}

main().catch((err) => {
  console.error('Doudi worker failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
