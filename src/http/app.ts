/**
 * The HTTP shell: buildApp(deps) assembles a Fastify instance and returns it without listening (main.ts
 * listens; tests use app.inject). Everything it needs arrives in `deps`; it never reaches for the database.
 *
 * Layout:
 *   root scope   request ids, security headers (helmet), CORS (off unless CORS_ORIGINS), rate limits,
 *                error/404 handlers, OpenAPI (/openapi.json, /docs), JWT and cookies, /healthz, /readyz
 *   api scope    the routes from deps.registerRoutes, behind the authentication hook (opt out per route
 *                with `config: { public: true }`) and the CSRF check for cookie sessions
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type RouteOptions,
  type FastifyBaseLogger,
  type FastifyInstance,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import { z } from 'zod';
import type { Oidc } from '../auth/oidc.js';
import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import type { Accounts } from '../engine/accounts.js';
import { errors } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Clock } from '../time/clock.js';
import { checkCsrf, createAuthenticate, registerAuth } from './auth.js';
import { rateLimitStore } from './rateLimitStore.js';
import { errorHandler, registerErrorHandlers } from './errorHandler.js';
import { healthRoutes } from './routes/health.js';
import { countRequests } from './metrics.js';
import { errorResponse } from './schemas/common.js';
import { refuseUnstorableText } from './textCheck.js';

/** The app as routes see it: zod schemas type `request.body`, `request.query`, `request.params` and replies. */
export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export interface AppDeps {
  config: Config;
  logger: Logger;
  /** Resolves when the database answers; throws (or rejects) otherwise. Backs /readyz. */
  ready: () => Promise<void>;
  /** Adds the engine's routes. They run behind authentication; see the file comment. */
  registerRoutes?: (app: App) => void | Promise<void>;
  /** Who a credential is: the user records (src/engine/accounts.ts). */
  accounts: Accounts;
  /** Single sign-on, when configured. */
  oidc?: Oidc | null;
  /** Where failed sign-ins are counted (shared by all processes), and the clock their windows follow. */
  db: Db;
  wallClock: Clock;
}

/** 1 MiB: a household survey with all its members is a few KiB; anything near this limit is a mistake. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** Keep a caller's request id only if it is short and plain, so it is safe in logs and headers. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request id is always ours, a random UUID: it names the request's log lines and its audit record, so a
 * caller cannot make two requests share one (or borrow another's). A caller's own X-Request-Id is kept beside
 * it (clientRequestIdFor): logged as `clientRequestId`, echoed as X-Client-Request-Id and recorded in the audit.
 */
export function requestIdFor(_req?: IncomingMessage): string {
  return randomUUID();
}

/** The caller's X-Request-Id when it is sane (else none: an unsafe one is dropped, not echoed). */
export function clientRequestIdFor(req: IncomingMessage): string | null {
  const header = req.headers['x-request-id'];
  return typeof header === 'string' && SANE_REQUEST_ID.test(header) ? header : null;
}

export function buildApp(deps: AppDeps): App {
  const app = Fastify({
    // Typed as the base logger so App does not depend on the pino version's Logger type.
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: requestIdFor,
    trustProxy: deps.config.trustProxy,
    // Every line logged for a request carries the caller's own id beside ours (reqId), when it sent one.
    childLoggerFactory(logger, bindings, opts, rawReq) {
      const clientRequestId = clientRequestIdFor(rawReq as IncomingMessage);
      return logger.child(clientRequestId ? { ...bindings, clientRequestId } : bindings, opts);
    },
    frameworkErrors: errorHandler, // a bad URL (e.g. broken percent-encoding) or an over-long path parameter: BAD_REQUEST, not Fastify's own body
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // The API reads JSON only (the console's scope adds its form parsers): text/plain is 415, not a string body.
  app.removeContentTypeParser('text/plain');

  // First hook, so the id is on the response even when a later hook (authentication) refuses the request.
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    const clientRequestId = clientRequestIdFor(request.raw);
    if (clientRequestId) reply.header('x-client-request-id', clientRequestId);
  });
  registerErrorHandlers(app);
  countRequests(app);
  registerProtections(app, deps);
  // Every route: text PostgreSQL cannot store (NUL, lone surrogates) is refused as 400, naming the field.
  app.addHook('preHandler', refuseUnstorableText);

  app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Doudi',
        description: 'Workflow and approval engine for the safety-net programme (兜底保障)',
        version: '0.1.0',
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
      security: [{ bearerAuth: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  registerAuth(app, { config: deps.config });
  app.register(async (probes) => {
    probes.addHook('onRoute', apiRouteDefaults);
    await probes.register(healthRoutes, { ready: deps.ready });
  });

  // An encapsulated scope: the hooks apply to the routes registered in it and nowhere else.
  app.register(async (api) => {
    api.addHook('onRoute', apiRouteDefaults);
    api.addHook('onRequest', createAuthenticate(api, { config: deps.config, accounts: deps.accounts, oidc: deps.oidc }));
    api.addHook('preValidation', checkCsrf);
    await deps.registerRoutes?.(api);
  });

  return app;
}

/**
 * Any API route may answer an error its own schema does not list (401 from authentication, 415, 413, 429 from
 * the shared hooks, 503 when the database is away): every one has the ErrorResponse shape, documented as 4XX/5XX.
 */
function apiRouteDefaults(route: RouteOptions): void {
  if (!route.schema || (route.schema as { hide?: boolean }).hide) return;
  const response = (route.schema.response ?? {}) as Record<string, unknown>;
  route.schema.response = { ...response, '4xx': response['4xx'] ?? errorResponse, '5xx': response['5xx'] ?? errorResponse };
  // A route that takes no query refuses one (?foo=1 is a client's mistake, as an unknown body field is).
  route.schema.querystring ??= z.strictObject({});
}

/**
 * Security headers, CORS and request rate limits. Limits are per client address and per minute: RATE_LIMIT on
 * every route, RATE_LIMIT_PUBLIC on routes without authentication (sign-in, the public notice pages later);
 * health probes are not limited. 0 switches a limit off. Failed sign-ins have their own, stricter limits
 * (src/http/routes/auth.ts).
 */
function registerProtections(app: App, deps: AppDeps): void {
  const { config } = deps;
  app.register(fastifyHelmet, {
    // The API answers JSON; the console's pages (same origin) load their scripts and styles from here only.
    contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'", "'unsafe-inline'"], imgSrc: ["'self'", 'data:'], frameAncestors: ["'none'"], upgradeInsecureRequests: null } },
    hsts: config.nodeEnv === 'production',
    // Same-origin form posts then carry a real Origin header (with no-referrer a browser sends "Origin: null"), which the
    // console's sign-in checks against login CSRF; other sites still get no referrer.
    referrerPolicy: { policy: 'same-origin' },
  });
  if (config.corsOrigins.length) {
    app.register(fastifyCors, { origin: config.corsOrigins, credentials: false, allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'if-match', 'x-request-id'], exposedHeaders: ['etag', 'location', 'x-request-id', 'retry-after'] });
  }
  const perMinute = (request: { routeOptions: { config: { public?: boolean } } }) =>
    request.routeOptions.config.public ? config.rateLimitPublicPerMinute : config.rateLimitPerMinute;
  app.register(fastifyRateLimit, {
    global: true,
    store: rateLimitStore(deps.db, deps.wallClock),
    timeWindow: 60_000,
    max: perMinute,
    allowList: (request) => perMinute(request) === 0,
    keyGenerator: (request) => `req:${request.ip}`,
    errorResponseBuilder: (_request, context) => errors.rateLimited(Math.max(1, Math.ceil(context.ttl / 1000))),
  });
}
