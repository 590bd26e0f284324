/**
 * Who is looking at a console page: the session cookie, resumed through the engine's accounts module (the
 * same code the API's cookie credential runs), and the CSRF check for every form the page posts.
 *
 * A page is not the API: a request without a live session is sent to the sign-in page (htmx requests get an
 * `HX-Redirect`, so the whole page goes there, not a fragment), and a user who must change their password is
 * sent to the password page first. Bearer tokens are not accepted here: the console is for people.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Accounts } from '../engine/accounts.js';
import { AppError, errors } from '../errors.js';
import { CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE } from '../http/auth.js';
import type { Principal } from '../engine/types.js';

export const CONSOLE = '/console';

export interface ConsoleUser {
  principal: Principal;
  displayName: string;
  username: string;
  mustChangePassword: boolean;
  csrfToken: string;
  verifyCsrf: (token: string | undefined) => boolean;
  /** DEMO_CLOCK is on: admins get the 演示时钟 page. */
  demoClock: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in person on a console route (null on the sign-in page and assets). */
    consoleUser: ConsoleUser | null;
    /** The signed-in person's unread notifications, for the menu badge (full page loads only). */
    consoleUnread: number;
  }
  interface FastifyContextConfig {
    /** A console route anyone may open (sign-in page). */
    consolePublic?: boolean;
    /**
     * A console route that takes a multipart form (a file upload): its body is parsed only in the route's own
     * scope, after this check, so the route checks the CSRF field itself (consoleMultipartCsrf).
     */
    consoleMultipart?: boolean;
  }
}

const SAFE = new Set(['GET', 'HEAD']);

export const isHtmx = (request: FastifyRequest) => request.headers['hx-request'] === 'true';

/** Send the browser to `url`: a redirect, or for htmx an HX-Redirect the client follows as a full page load. */
export function redirect(request: FastifyRequest, reply: FastifyReply, url: string): FastifyReply {
  if (isHtmx(request)) return reply.code(204).header('hx-redirect', url).send();
  return reply.code(303).header('location', url).send();
}

/**
 * A form posted from one of our own pages, not from another site (a login-CSRF): the browser says so in
 * Sec-Fetch-Site (every current browser sends it); without it, Origin must name this host. Origin alone cannot
 * decide: under the Referrer-Policy no-referrer that every page is sent with, Chromium posts a same-origin form
 * with `Origin: null` (found by the browser tests). A request with neither header is no browser's cross-site post.
 */
export function fromOwnPage(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'same-origin';
  const origin = request.headers.origin;
  return typeof origin !== 'string' || origin === `${request.protocol}://${request.host}`;
}

/** Only paths inside the console are followed after sign-in: no open redirect to another site. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/console(\/[A-Za-z0-9\-/._?=&%]*)?$/.test(next) && !next.startsWith('//') ? next : `${CONSOLE}/`;
}

export function createConsoleAuth(accounts: Accounts, opts: { demoClock?: boolean } = {}) {
  return async function consoleAuth(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | void> {
    request.consoleUser = null;
    if (request.routeOptions.config.consolePublic) return;
    const cookie = request.cookies?.[SESSION_COOKIE];
    const toSignIn = () => redirect(request, reply, `${CONSOLE}/login?next=${encodeURIComponent(SAFE.has(request.method) ? request.url : `${CONSOLE}/`)}`);
    if (!cookie) return toSignIn();
    try {
      const live = await accounts.resumeSession(cookie);
      const { principal, user } = await accounts.authenticateUser(live.userId, { allowPasswordChange: true });
      request.consoleUser = {
        principal,
        displayName: user.displayName,
        username: user.username,
        mustChangePassword: user.mustChangePassword,
        csrfToken: live.csrfToken(),
        verifyCsrf: (token) => live.verifyCsrf(token),
        demoClock: !!opts.demoClock,
      };
    } catch (err) {
      if (err instanceof AppError && err.statusCode === 401) return toSignIn();
      throw err;
    }
    if (request.consoleUser.mustChangePassword && !request.routeOptions.config.allowPasswordChange) {
      return redirect(request, reply, `${CONSOLE}/password`);
    }
  };
}

/** preValidation: a form posted from a console page carries the session's CSRF token (field or header). */
export async function consoleCsrf(request: FastifyRequest): Promise<void> {
  const user = request.consoleUser;
  if (!user || SAFE.has(request.method)) return;
  if (request.routeOptions.config.consoleMultipart && isMultipartRequest(request) && request.headers[CSRF_HEADER] === undefined) return;
  checkCsrf(request, user);
}

function checkCsrf(request: FastifyRequest, user: ConsoleUser): void {
  const header = request.headers[CSRF_HEADER];
  const body = request.body as Record<string, unknown> | undefined;
  let fromBody: string | undefined;
  if (body && typeof body === 'object' && CSRF_FIELD in body) {
    fromBody = typeof body[CSRF_FIELD] === 'string' ? (body[CSRF_FIELD] as string) : undefined;
    delete body[CSRF_FIELD];
  }
  if (!user.verifyCsrf(typeof header === 'string' ? header : fromBody)) throw errors.csrfTokenInvalid();
}

const isMultipartRequest = (request: FastifyRequest) => String(request.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/form-data');

/** preValidation of a consoleMultipart route, after the multipart body is parsed: the same CSRF check. */
export async function consoleMultipartCsrf(request: FastifyRequest): Promise<void> {
  if (!isMultipartRequest(request) || request.headers[CSRF_HEADER] !== undefined) return; // checked by consoleCsrf
  checkCsrf(request, who(request));
}

/** The principal of a console route that requires sign-in (set by consoleAuth). */
export function who(request: FastifyRequest): ConsoleUser {
  if (!request.consoleUser) throw errors.unauthenticated();
  return request.consoleUser;
}
