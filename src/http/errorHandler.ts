/**
 * The one place where failures become HTTP responses. Every non-2xx body is `{ code, message, details? }`
 * with a code from src/errors.ts.
 *
 * Invariants:
 * - 5xx bodies are generic (`Internal error; quote request id <id>`): no stack, no SQL, no driver message.
 *   The real error is logged with the request id, so the id a user quotes finds it.
 * - Refusals (4xx) are logged as one line with the code, never with the request body.
 * - A message from a non-Doudi error is shown only when Fastify wrote it (codes FST_*); anything else
 *   gets the catalogue's default message, since third-party messages may carry internals.
 * - The language follows Accept-Language: Simplified Chinese when the request prefers zh (q-values honoured),
 *   English otherwise. Only the human-readable texts change (`message`, and the messages inside `details`);
 *   codes, paths and the body's shape do not. Error responses say `Vary: Accept-Language`.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, errorCatalogue, errors, unknownFieldIssues, type ErrorCode, type FieldIssue } from '../errors.js';
import { localizeIssue, preferredLanguage, type Lang } from './i18n.js';

export { localizeIssue, parseAcceptLanguage, preferredLanguage, type Lang } from './i18n.js';

/** `/members/0/idNumber` (JSON pointer) in `body` → `body.members[0].idNumber`. */
export function pointerToPath(root: string, pointer: string): string {
  const segments = pointer
    .split('/')
    .filter((s) => s !== '')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  return formatPath(root, segments);
}

/** ['members', 0, 'idNumber'] under `body` → `body.members[0].idNumber`. */
export function formatPath(root: string, segments: readonly PropertyKey[]): string {
  let path = root;
  for (const segment of segments) {
    const text = String(segment);
    if (/^\d+$/.test(text)) path += `[${text}]`;
    else path += path ? `.${text}` : text;
  }
  return path;
}

/** Fastify names the request parts after the schema keys; say them the way handlers read them. */
const partNames: Record<string, string> = { body: 'body', querystring: 'query', params: 'params', headers: 'headers' };

/** A ZodError thrown by code (not by the route schema), e.g. an event payload parsed in the engine. */
export function fromZodError(error: z.core.$ZodError, root = ''): AppError<'VALIDATION_FAILED'> {
  return errors.validationFailed(
    error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? unknownFieldIssues(formatPath(root, issue.path), issue.keys)
        : [{ path: formatPath(root, issue.path) || '(root)', message: issue.message }],
    ),
  );
}

/** Map anything thrown while serving a request to an AppError. */
/** Network errors and PostgreSQL's connection-class SQLSTATEs (08xxx; 57P01–03: shutdown, crash, cannot connect). */
const unavailableCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT', '57P01', '57P02', '57P03']);

/**
 * The database is away (down, restarting, unreachable): the request may succeed later, so the answer is 503
 * NOT_READY rather than 500. Drizzle wraps driver errors, so the chain of causes is searched.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (unavailableCodes.has(code) || /^08/.test(code))) return true;
  }
  return false;
}

export function toAppError(error: unknown, request?: FastifyRequest): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof z.core.$ZodError) return fromZodError(error);
  if (typeof error !== 'object' || error === null) return errors.internal(error);

  const err = error as Partial<FastifyError> & { validationContext?: string };

  // Route schema validation: zod via the type provider, or a plain JSON schema (both fill `validation`).
  if (Array.isArray(err.validation) && err.validation.length > 0) {
    const root = partNames[err.validationContext ?? ''] ?? err.validationContext ?? 'request';
    const issues: FieldIssue[] = err.validation.flatMap((v) => {
      const path = pointerToPath(root, v.instancePath ?? '');
      // zod names the object, not the field: one issue per unknown field, each with its own path.
      const keys = (v.params as { keys?: unknown } | undefined)?.keys;
      if (v.keyword === 'unrecognized_keys' && Array.isArray(keys)) return unknownFieldIssues(path, keys.map(String));
      return [{ path, message: v.message ?? 'is invalid' }];
    });
    return errors.validationFailed(issues);
  }
  if (isResponseSerializationError(error)) return errors.internal(error);
  if (isDatabaseUnavailable(error)) return errors.notReady(error);

  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return errors.validationFailed([{ path: 'body', message: 'expected valid JSON' }]);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errors.validationFailed([
        { path: 'body', message: 'expected a JSON body (Content-Type is application/json but the body is empty)' },
      ]);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errors.payloadTooLarge(request?.routeOptions.bodyLimit ?? 0);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errors.unsupportedMediaType();
  }
  if (typeof err.code === 'string' && err.code.startsWith('FST_JWT_')) return errors.unauthenticated();

  const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
  const fastifyMessage = typeof err.code === 'string' && err.code.startsWith('FST_') ? err.message : undefined;
  if (status === 401) return errors.unauthenticated(fastifyMessage);
  if (status === 403) return errors.forbidden({}, fastifyMessage);
  if (status === 404) return errors.notFound(fastifyMessage);
  if (status === 413) return errors.payloadTooLarge(request?.routeOptions.bodyLimit ?? 0);
  if (status === 415) return errors.unsupportedMediaType(fastifyMessage);
  if (status >= 400 && status < 500) return errors.badRequest(fastifyMessage);
  return errors.internal(error);
}

/** An error body as a client sees it: `{ code, message, details }` in the language asked for. */
export interface LocalizedError {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/**
 * The body of an error in `lang`, exactly as the error handler sends it (the console renders the same text).
 * `requestId` goes into the INTERNAL message, the only place a 5xx says anything specific.
 */
export function localizedError(err: unknown, lang: Lang, requestId?: string): LocalizedError {
  const e = toAppError(err);
  const { code } = e;
  let message: string;
  let details: unknown = e.details;
  if (code === 'INTERNAL') {
    message = lang === 'zh'
      ? requestId ? `系统内部错误，请将请求编号 ${requestId} 提供给技术支持人员` : errorCatalogue.INTERNAL.messageZh
      : requestId ? `Internal error; quote request id ${requestId}` : errorCatalogue.INTERNAL.message;
  } else if (lang === 'zh') {
    message = e.messageZh ?? errorCatalogue[code].messageZh;
    if (e.detailsZh !== undefined) details = e.detailsZh;
    else if (code === 'VALIDATION_FAILED' && Array.isArray(details)) {
      details = (details as FieldIssue[]).map((i) => ({ path: i.path, message: localizeIssue(i) }));
    }
  } else {
    message = e.message;
  }
  if (code === 'VALIDATION_FAILED' && Array.isArray(details)) {
    // Only { path, message } leave the service, whoever built the issue.
    details = (details as FieldIssue[]).map(({ path, message: m }) => ({ path, message: m }));
  }
  return details === undefined ? { code, message } : { code, message, details };
}

/** The language of a request's answer, from its Accept-Language header (default English). */
export const requestLanguage = (request: FastifyRequest): Lang => preferredLanguage(request.headers['accept-language']);

export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const appError = toAppError(error, request);
  const { code, statusCode, details } = appError;

  if (code === 'INTERNAL') {
    request.log.error({ err: error, code }, 'request failed');
  } else if (statusCode >= 500) {
    request.log.warn({ code, cause: appError.cause }, 'request refused: %s', code);
  } else {
    // Authentication and authorization refusals are worth a look; the rest are ordinary client mistakes.
    const level = statusCode === 401 || statusCode === 403 ? 'warn' : 'info';
    request.log[level]({ code, statusCode, details }, 'request refused: %s', code);
  }

  reply.header('x-request-id', request.id);
  const vary = reply.getHeader('vary');
  const varies = (Array.isArray(vary) ? vary.join(',') : String(vary ?? '')).split(',').map((v) => v.trim().toLowerCase());
  if (!varies.includes('accept-language') && !varies.includes('*')) {
    reply.header('vary', vary ? `${Array.isArray(vary) ? vary.join(', ') : vary}, Accept-Language` : 'Accept-Language');
  }
  const retryAfter = (details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
  return reply
    .code(statusCode)
    .type('application/json; charset=utf-8')
    .send(localizedError(appError, requestLanguage(request), request.id));
}

/** Install the error handler and a 404 handler that answers in the same format. */
export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(async (request) => {
    throw errors.notFound(`No route ${request.method} ${request.url.split('?')[0]}`);
  });
}
