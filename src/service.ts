/**
 * Wires the service from its parts: the engine over a database handle, and the HTTP app over the engine.
 * main.ts calls this with real dependencies; tests call it with a test database and a manual clock, so the
 * suite exercises exactly the wiring that runs in production.
 */
import { defaultCasePolicy } from '../machines/index.js';
import type { Config } from './config.js';
import type { DbHandle } from './db/index.js';
import { createEngine } from './engine/index.js';
import { buildApp } from './http/app.js';
import { caseRoutes } from './http/routes/cases.js';
import { referenceRoutes } from './http/routes/reference.js';
import { careRoutes } from './http/routes/care.js';
import { onboardingRoutes } from './http/routes/onboarding.js';
import { demoClockRoutes } from './http/routes/demoClock.js';
import { notificationRoutes } from './http/routes/notifications.js';
import { webhookRoutes } from './http/routes/webhooks.js';
import { timerRoutes } from './http/routes/timers.js';
import { overdueRoutes } from './http/routes/overdue.js';
import { reportRoutes } from './http/routes/reports.js';
import { exportRoutes } from './http/routes/exports.js';
import { importRoutes } from './http/routes/imports.js';
import { reportExportRoutes } from './http/routes/reportExports.js';
import { timeSettingsRoutes } from './http/routes/timeSettings.js';
import { authRoutes } from './http/routes/auth.js';
import { registerConsole } from './console/index.js';
import { registerPublicPages } from './public/index.js';
import { metricsRoute } from './http/metrics.js';
import { userRoutes } from './http/routes/users.js';
import { incomeRoutes } from './http/routes/income.js';
import { documentRoutes } from './http/routes/documents.js';
import { projectionRoutes } from './http/routes/projection.js';
import { publicNoticeRoutes } from './http/routes/publicNotice.js';
import { createOidc, type Oidc } from './auth/oidc.js';
import { listen, SETTINGS_CHANNEL, USERS_CHANNEL } from './db/listen.js';
import type { Logger } from './logger.js';
import { WorkingCalendar } from './time/calendar.js';
import { DemoClock, type Clock } from './time/clock.js';
import { ScopedDeadlinePolicy } from './time/timeSettings.js';
import type { HostLookup } from './engine/webhookTarget.js';

export interface ServiceDeps {
  config: Config;
  logger: Logger;
  database: DbHandle;
  clock: Clock;
  calendar?: WorkingCalendar;
  deadlinePolicy?: ScopedDeadlinePolicy;
  /** Resolves webhook hosts (tests inject one); node:dns lookup otherwise. */
  lookup?: HostLookup;
  /** The OpenID Connect client; default: built from config.oidc when that is set. */
  oidc?: Oidc | null;
}

export function createService(deps: ServiceDeps) {
  const demoClock = deps.config.demoClock ? new DemoClock(deps.clock) : null;
  const clock = demoClock ?? deps.clock;
  const engine = createEngine({
    db: deps.database.db,
    clock,
    // Shared, mutable objects: an admin's calendar or policy change is applied to them in place.
    calendar: deps.calendar ?? new WorkingCalendar(),
    deadlinePolicy: deps.deadlinePolicy ?? new ScopedDeadlinePolicy(),
    casePolicy: { ...defaultCasePolicy, reviewChain: deps.config.reviewChain },
    webhookTargets: { allowHosts: deps.config.webhookAllowHosts, ...(deps.lookup ? { lookup: deps.lookup } : {}) },
    logger: deps.logger,
    publicPolicy: { objectionsPerCasePerDay: deps.config.publicObjectionsPerCasePerDay },
    sessionPolicy: { ttlMs: deps.config.sessionTtlSeconds * 1000, idleMs: deps.config.sessionIdleSeconds * 1000 },
    wallClock: deps.clock,
    documents: { publicBaseUrl: deps.config.publicBaseUrl },
    importMaxBytes: deps.config.importMaxBytes,
  });
  const oidc = deps.oidc !== undefined ? deps.oidc : deps.config.oidc ? createOidc(deps.config.oidc) : null;
  const app = buildApp({
    config: deps.config,
    logger: deps.logger,
    ready: () => deps.database.ping(),
    accounts: engine.accounts,
    oidc,
    db: deps.database.db,
    wallClock: deps.clock,
    registerRoutes: async (api) => {
      await authRoutes(engine, deps.config, oidc)(api);
      await userRoutes(engine)(api);
      await caseRoutes(engine)(api);
      await referenceRoutes(engine)(api);
      await careRoutes(engine)(api);
      await onboardingRoutes(engine)(api);
      await overdueRoutes(engine)(api);
      await reportRoutes(engine)(api);
      await exportRoutes(engine)(api);
      await importRoutes(engine, deps.config.importMaxBytes)(api);
      await reportExportRoutes(engine)(api);
      await timeSettingsRoutes(engine)(api);
      await notificationRoutes(engine)(api);
      await webhookRoutes(engine)(api);
      await timerRoutes(engine)(api);
      await incomeRoutes(engine)(api);
      await documentRoutes(engine)(api);
      await projectionRoutes(engine)(api);
      await publicNoticeRoutes(engine)(api);
      if (demoClock) await demoClockRoutes(demoClock)(api);
    },
  });

  registerConsole(app, { engine, config: deps.config, demoClock });
  registerPublicPages(app, { engine, config: deps.config });
  metricsRoute(app, { token: deps.config.metricsToken, counts: engine.operationalCounts });

  // Every process forgets a changed user at once (NOTIFY from the users trigger); '' = reconnected, forget all.
  const unlisten = listen(deps.database, USERS_CHANNEL, (id) => engine.accounts.forgetUser(id), deps.logger);
  // Every process computes deadlines with the same calendar and policy: a change made through another process
  // (NOTIFY from the settings triggers) is reloaded within a moment; '' = reconnected, so reload by version too.
  const unlistenSettings = listen(deps.database, SETTINGS_CHANNEL, () => void engine.refreshTimeSettings(), deps.logger);
  app.addHook('onClose', async () => {
    await (await unlisten)();
    await (await unlistenSettings)();
  });
  return { engine, app, clock };
}

export type Service = ReturnType<typeof createService>;

/**
 * Load the stored time settings (every calendar year, the deadline policy override) into the service's
 * engine. main.ts calls it once after migrations, before anything creates or moves a case.
 */
export async function loadTimeSettings(service: Pick<Service, 'engine'>, logger?: Logger) {
  const loaded = await service.engine.reloadTimeSettings();
  logger?.info(loaded, 'time settings loaded (calendar years, deadline policy overrides by scope)');
  return loaded;
}
