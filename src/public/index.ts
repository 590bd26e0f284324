/**
 * The public pages (公示查询与网上异议), under /public: anyone, no sign-in, zh-CN HTML rendered on the server
 * (Eta, the console's renderer; views in src/console/views/public), no script at all, usable on a phone.
 *
 *   GET  /public                              enter the code printed on a paper
 *   GET  /public/documents/:code              the posted notice (公示) for the code: households as posted, period, open?
 *   GET  /public/documents/:code/objection    the online objection form for one household (?case=<case number>)
 *   POST /public/documents/:code/objection    lodge it → the confirmation with a receipt number
 *   GET  /public/check                        check a printed copy by code and/or typed SHA-256
 *   POST /public/check                        the same by uploading the PDF (hash computed here)
 *
 * This scope has no session and reaches only the engine's public functions (publicNotice, checkDocument,
 * lodgeOnlineObjection): nothing else of the service is behind these routes. Every route is rate limited per
 * client address (RATE_LIMIT_PUBLIC a minute), the objection more strictly (PUBLIC_OBJECTIONS_PER_HOUR), and
 * per household and day in the database (PUBLIC_OBJECTIONS_PER_CASE_PER_DAY).
 */
import { join } from 'node:path';
import fastifyFormbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { Engine } from '../engine/index.js';
import { errors } from '../errors.js';
import { errorHandler } from '../http/errorHandler.js';
import { consoleDir, createRenderer, sendHtml, type Renderer } from '../console/render.js';
import { shownError } from '../console/messages.js';
import { createFormTokens } from './formToken.js';
import { publicPages } from './pages.js';

export const PUBLIC = '/public';
export const PUBLIC_FORM_BYTES = 48 * 1024;

export interface PublicDeps {
  engine: Engine;
  config: Config;
}

export interface PublicContext extends PublicDeps {
  renderer: Renderer;
  tokens: ReturnType<typeof createFormTokens>;
}

/** Field names of the public forms, in Chinese (for error lists). */
export const publicFieldLabels: Record<string, string> = {
  code: '查询码', caseNumber: '户编号', name: '姓名', contact: '联系方式', text: '异议内容', sha256: 'SHA-256', file: '文件', case: '户编号',
};

export function registerPublicPages(app: FastifyInstance, deps: PublicDeps): void {
  const renderer = createRenderer({ production: deps.config.nodeEnv === 'production' });
  const ctx: PublicContext = { ...deps, renderer, tokens: createFormTokens(deps.config.jwtSecret) };
  app.register(
    async (scope) => {
      scope.addHook('onRoute', (route) => {
        route.schema = { ...(route.schema ?? {}), hide: true };
        // Every route here is public: the stricter per-address limit of routes without authentication.
        route.config = { ...(route.config ?? {}), public: true } as typeof route.config;
      });
      // A form is small: 2,000 Chinese characters of text are 18 KiB percent-encoded. Beyond 48 KiB: 413.
      await scope.register(fastifyFormbody, { bodyLimit: PUBLIC_FORM_BYTES });
      await scope.register(fastifyStatic, { root: join(consoleDir(), 'assets'), prefix: '/assets/', decorateReply: false, allowedPath: (path) => path === '/public.css', maxAge: deps.config.nodeEnv === 'production' ? '1h' : 0 });
      scope.setErrorHandler(async (error, request, reply) => renderPublicError(ctx, error, request, reply));
      // Pages answer a page; the JSON API under /public/api (src/http/routes/publicNotice.ts) answers JSON, as the API does.
      scope.setNotFoundHandler(async (request, reply) =>
        request.url.startsWith(`${PUBLIC}/api/`)
          ? errorHandler(errors.notFound(`No route ${request.method} ${request.url.split('?')[0]}`), request, reply)
          : renderPublicError(ctx, errors.notFound(), request, reply),
      );
      await publicPages(scope, ctx);
    },
    { prefix: PUBLIC },
  );
}

/** A refusal as a page: what went wrong in plain Chinese, each bad field named, and the way back. */
export function renderPublicError(ctx: PublicContext, error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const shown = shownError(error, request.id);
  // Logged like every refusal: the code, never the body (a lodger's name and contact).
  if (shown.code === 'INTERNAL') request.log.error({ err: error, code: shown.code }, 'public page failed');
  else request.log.info({ code: shown.code, statusCode: shown.status }, 'public request refused: %s', shown.code);
  if (shown.code === 'RATE_LIMITED') {
    const retry = (error as { details?: { retryAfterSeconds?: number } }).details?.retryAfterSeconds;
    if (retry) reply.header('retry-after', String(retry));
  }
  const fields = Object.entries(shown.fields).map(([name, message]) => ({ label: publicFieldLabels[name] ?? name, message }));
  return sendHtml(reply, ctx.renderer.render('public/error', { title: '无法完成', base: PUBLIC, error: shown, fields }), shown.status);
}
