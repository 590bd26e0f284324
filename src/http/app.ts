/**
 * The HTTP shell: buildApp(deps) assembles a Fastify instance and returns it without listening (main.ts
 * listens; tests use app.inject). Everything it needs arrives in `deps`; it never reaches for the database.
 *
 * Layout:
 *   root scope   request ids, error/404 handlers, OpenAPI (/openapi.json, /docs), JWT, /healthz, /readyz
 *   api scope    the routes from deps.registerRoutes, behind the authentication hook (opt out per route
 *                with `config: { public: true }`)
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, {
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
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { authenticate, registerAuth, type Principal } from './auth.js';
import { errorHandler, registerErrorHandlers } from './errorHandler.js';
import { healthRoutes } from './routes/health.js';
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
  /**
   * Checks that a token's user still exists and is active (throws UNAUTHENTICATED otherwise), so that a
   * deactivated or deleted user loses access before their token expires.
   */
  verifyPrincipal?: (principal: Principal) => Promise<void>;
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
    // Every line logged for a request carries the caller's own id beside ours (reqId), when it sent one.
    childLoggerFactory(logger, bindings, opts, rawReq) {
      const clientRequestId = clientRequestIdFor(rawReq as IncomingMessage);
      return logger.child(clientRequestId ? { ...bindings, clientRequestId } : bindings, opts);
    },
    frameworkErrors: errorHandler, // a bad URL (e.g. broken percent-encoding) or an over-long path parameter: BAD_REQUEST, not Fastify's own body
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // First hook, so the id is on the response even when a later hook (authentication) refuses the request.
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    const clientRequestId = clientRequestIdFor(request.raw);
    if (clientRequestId) reply.header('x-client-request-id', clientRequestId);
  });
  registerErrorHandlers(app);
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

  registerAuth(app, { secret: deps.config.jwtSecret, issuer: deps.config.jwtIssuer });
  app.register(healthRoutes, { ready: deps.ready });

  // An encapsulated scope: the hook applies to the routes registered in it and nowhere else.
  app.register(async (api) => {
    api.addHook('onRequest', authenticate);
    if (deps.verifyPrincipal) {
      const verify = deps.verifyPrincipal;
      api.addHook('onRequest', async (request) => {
        if (request.principal) await verify(request.principal);
      });
    }
    await deps.registerRoutes?.(api);
  });

  return app;
}
