/**
 * The console: the zh-CN web interface for the people who work a case, served by the same process as the API
 * under /console (the API keeps the root paths; `/` sends a browser to the console).
 *
 * Pages are rendered on the server (Eta, src/console/views) and made lively with htmx (pinned 2.0.x, served
 * from node_modules): no front-end build. Every page calls the engine — the same functions the API's routes
 * call — so a rule lives in one place. Sign-in is the API's own session (cookie doudi_session, CSRF token
 * bound to it); see session.ts.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyFormbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { Engine } from '../engine/index.js';
import { errors } from '../errors.js';
import { consoleDir, createRenderer, sendHtml, type Renderer } from './render.js';
import { CONSOLE, consoleCsrf, createConsoleAuth, isHtmx } from './session.js';
import { shownError } from './messages.js';
import { signInPages } from './routes/signIn.js';
import { inboxPages } from './routes/inbox.js';
import { casePages } from './routes/casePage.js';
import { caseIncomePages } from './routes/caseIncome.js';
import { projectionPages } from './routes/projection.js';
import { adminDividendPages } from './routes/adminDividends.js';
import { demoClockPages } from './routes/demoClock.js';
import type { DemoClock } from '../time/clock.js';
import { surveyPages } from './routes/survey.js';
import { revisitPages } from './routes/revisits.js';
import { supervisePages } from './routes/supervise.js';
import { reportPages } from './routes/reports.js';
import { notificationPages } from './routes/notifications.js';
import { adminPages } from './routes/admin.js';
import { adminUserPages } from './routes/adminUsers.js';
import { adminCarePages } from './routes/adminCare.js';
import { adminCalendarPages } from './routes/adminCalendar.js';
import { importPages } from './routes/imports.js';
import { adminDeadlinePages } from './routes/adminDeadlines.js';
import { adminWebhookPages } from './routes/adminWebhooks.js';
import { exportLogPages } from './routes/exportLog.js';
import { pageData, type ConsoleContext } from './context.js';

export { CONSOLE };

export interface ConsoleDeps {
  engine: Engine;
  config: Config;
  /** Set when DEMO_CLOCK is on: the 演示时钟 page for admins. */
  demoClock?: DemoClock | null;
}

const htmxDir = () => dirname(createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js'));

export function registerConsole(app: FastifyInstance, deps: ConsoleDeps): void {
  const renderer: Renderer = createRenderer({ production: deps.config.nodeEnv === 'production' });

  app.get('/', { schema: { hide: true }, config: { public: true } }, async (_request, reply) => reply.redirect(`${CONSOLE}/`, 302));

  app.register(
    async (scope) => {
      const ctx: ConsoleContext = { ...deps, renderer };
      // Pages are not the API: they stay out of the OpenAPI document (/openapi.json, /docs).
      scope.addHook('onRoute', (route) => {
        route.schema = { ...(route.schema ?? {}), hide: true };
      });
      // Forms post application/x-www-form-urlencoded; nested fields (members[0].name) are parsed by the routes.
      await scope.register(fastifyFormbody, { bodyLimit: 256 * 1024 });
      await scope.register(fastifyStatic, { root: join(consoleDir(), 'assets'), prefix: '/assets/', decorateReply: false, maxAge: deps.config.nodeEnv === 'production' ? '1h' : 0 });
      await scope.register(fastifyStatic, { root: htmxDir(), prefix: '/vendor/htmx/', decorateReply: false, allowedPath: (path) => path === '/htmx.min.js', maxAge: '1d' });

      scope.decorateRequest('consoleUser', null);
      const consoleAuth = createConsoleAuth(deps.engine.accounts, { demoClock: !!deps.demoClock });
      scope.addHook('onRequest', async (request, reply) => {
        if (request.url.startsWith(`${CONSOLE}/assets/`) || request.url.startsWith(`${CONSOLE}/vendor/`)) return;
        return consoleAuth(request, reply);
      });
      scope.addHook('preValidation', consoleCsrf);
      // The menu's unread count: one indexed count per full page (not for htmx fragments or posts).
      scope.decorateRequest('consoleUnread', 0);
      scope.addHook('preHandler', async (request) => {
        if (request.consoleUser && request.method === 'GET' && !isHtmx(request)) {
          request.consoleUnread = await deps.engine.unreadNotificationCount(request.consoleUser.principal);
        }
      });

      scope.setErrorHandler(async (error, request, reply) => renderError(ctx, error, request, reply));
      scope.setNotFoundHandler(async (request, reply) => renderError(ctx, errors.notFound(), request, reply));

      await signInPages(scope, ctx);
      await inboxPages(scope, ctx);
      await casePages(scope, ctx);
      await caseIncomePages(scope, ctx);
      await projectionPages(scope, ctx);
      await adminDividendPages(scope, ctx);
      if (deps.demoClock) await demoClockPages(scope, ctx, deps.demoClock);
      await surveyPages(scope, ctx);
      await importPages(scope, ctx);
      await revisitPages(scope, ctx);
      await supervisePages(scope, ctx);
      await reportPages(scope, ctx);
      await notificationPages(scope, ctx);
      await adminPages(scope, ctx);
      await adminUserPages(scope, ctx);
      await adminCarePages(scope, ctx);
      await adminCalendarPages(scope, ctx);
      await adminDeadlinePages(scope, ctx);
      await adminWebhookPages(scope, ctx);
      await exportLogPages(scope, ctx);
    },
    { prefix: CONSOLE },
  );
}

/**
 * A refused action on a page: for htmx (a form posted in place) the message as a fragment the page shows in
 * its alert area (status 200 so htmx swaps it; the real status is in X-Doudi-Status); for a full page load an
 * error page. Logged like the API's refusals, without the body.
 */
function renderError(ctx: ConsoleContext, error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const shown = shownError(error, request.id);
  if (shown.code === 'INTERNAL') request.log.error({ err: error, code: shown.code }, 'console request failed');
  else request.log.info({ code: shown.code, statusCode: shown.status }, 'console request refused: %s', shown.code);
  if (isHtmx(request)) {
    reply.header('x-doudi-status', String(shown.status)).header('hx-retarget', '#alerts').header('hx-reswap', 'innerHTML');
    return sendHtml(reply, ctx.renderer.render('partials/alert', { error: shown }), 200);
  }
  return sendHtml(reply, ctx.renderer.render('error', { ...pageData(request, '出错了'), error: shown }), shown.status);
}
