/**
 * Signing in and out: password sign-in with a console session (cookie), tokens for API clients, the
 * password change an initial or reset password requires, and single sign-on through OpenID Connect.
 *
 * Sign-in attempts are limited twice with @fastify/rate-limit, counted in the database (src/http/rateLimitStore.ts)
 * so that every process sees them: SIGN_IN_MAX_FAILURES per account and SIGN_IN_MAX_FAILURES_PER_ADDRESS per
 * client address within SIGN_IN_WINDOW. Past either, every attempt gets TOO_MANY_ATTEMPTS until the window ends —
 * for a username that exists or not, with a right password or not, so the answer tells nothing.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Oidc } from '../../auth/oidc.js';
import type { Config } from '../../config.js';
import type { UserRow } from '../../db/index.js';
import type { Engine } from '../../engine/index.js';
import { errors } from '../../errors.js';
import type { App } from '../app.js';
import { cookieIsSecure, setSessionCookie, signToken } from '../auth.js';
import { createPasswordSignIn } from '../signIn.js';
import { errorResponse } from '../schemas/common.js';

const SSO_COOKIE = 'doudi_sso';
/** Where the browser goes after single sign-on. */
const AFTER_SIGN_IN = '/';

const credentials = z.strictObject({
  username: z.string().trim().min(1, 'username is required').max(64, 'at most 64 characters'),
  password: z.string().min(1, 'password is required').max(1024, 'at most 1024 characters'),
});

const me = z.strictObject({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  roles: z.array(z.string()),
  reviewLevel: z.string().nullable(),
  jurisdiction: z.string(),
  mustChangePassword: z.boolean(),
});

const sessionAnswer = z.strictObject({
  user: me,
  via: z.enum(['session', 'token']),
  csrfToken: z.string().nullable().describe('send as X-CSRF-Token (or the form field _csrf) with every change made through the session'),
  expiresAt: z.string().nullable().describe('when the session ends at the latest (it also ends after SESSION_IDLE without a request)'),
});

const errorsDoc = { 400: errorResponse, 401: errorResponse, 403: errorResponse, 429: errorResponse };

const meOf = (u: Pick<UserRow, 'id' | 'username' | 'displayName' | 'roles' | 'reviewLevel' | 'jurisdiction' | 'mustChangePassword'>) => ({
  id: u.id,
  username: u.username,
  displayName: u.displayName,
  roles: u.roles,
  reviewLevel: u.reviewLevel ?? null,
  jurisdiction: u.jurisdiction,
  mustChangePassword: u.mustChangePassword,
});

const origin = (request: FastifyRequest) => ({ ip: request.ip, requestId: request.id });

export function authRoutes(engine: Engine, config: Config, oidc: Oidc | null) {
  const accounts = engine.accounts;

  return async function register(app: App) {
    const passwordSignIn = createPasswordSignIn(app, engine, config);

    app.post(
      '/auth/sign-in',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          summary: 'Sign in with a username and password: starts a console session (cookie doudi_session)',
          description:
            'The answer sets an HttpOnly, SameSite=Lax session cookie (Secure over https) and gives the CSRF token that every change made through the session must carry. A user whose password is an initial or reset one can then only change it (POST /auth/password) or sign out.',
          security: [],
          body: credentials,
          response: { 200: sessionAnswer, ...errorsDoc },
        },
      },
      async (request, reply) => {
        const user = await passwordSignIn(request, request.body);
        const started = await accounts.startSession(user, { ...origin(request), previous: request.cookies?.doudi_session, via: 'password' });
        setSessionCookie(reply, request, config.cookieSecure, started.cookie, config.sessionTtlSeconds);
        reply.header('cache-control', 'no-store');
        return { user: meOf(user), via: 'session' as const, csrfToken: started.csrfToken, expiresAt: started.expiresAt.toISOString() };
      },
    );

    app.post(
      '/auth/token',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          summary: 'A bearer token for an API client: a person (username, password) or a service account (its secret)',
          description: `The token lives TOKEN_TTL (now ${config.tokenTtlSeconds} s). It names only the user: roles and jurisdiction are read from the user record at every request, and a password reset or deactivation ends it at once.`,
          security: [],
          body: credentials,
          response: {
            200: z.strictObject({ token: z.string(), tokenType: z.literal('Bearer'), expiresAt: z.string() }),
            ...errorsDoc,
          },
        },
      },
      async (request, reply) => {
        const user = await passwordSignIn(request, request.body);
        if (user.mustChangePassword) throw errors.passwordChangeRequired();
        const token = signToken(app, user, config.tokenTtlSeconds, { tokenVersion: user.tokenVersion });
        await accounts.recordTokenIssued(user, { ...origin(request), via: 'password' });
        reply.header('cache-control', 'no-store');
        return { token, tokenType: 'Bearer' as const, expiresAt: new Date(Date.now() + config.tokenTtlSeconds * 1000).toISOString() };
      },
    );

    app.get(
      '/auth/session',
      {
        config: { allowPasswordChange: true },
        schema: {
          tags: ['auth'],
          summary: 'Who is signed in, and (for a session) the CSRF token and when the session ends',
          response: { 200: sessionAnswer, ...errorsDoc },
        },
      },
      async (request, reply) => {
        const user = await accounts.loadUser(request.principal.id);
        if (!user) throw errors.accountInactive();
        reply.header('cache-control', 'no-store');
        const s = request.session;
        return { user: meOf(user), via: s ? ('session' as const) : ('token' as const), csrfToken: s ? s.csrfToken() : null, expiresAt: s ? s.expiresAt.toISOString() : null };
      },
    );

    app.post(
      '/auth/password',
      {
        config: { allowPasswordChange: true },
        schema: {
          tags: ['auth'],
          summary: 'Change your own password (required after an initial or reset one)',
          description: 'Policy: 10–128 characters, letters and digits, not containing the username, at least 4 different characters. Your other sessions end and your tokens stop working; this session stays.',
          body: z.strictObject({
            currentPassword: z.string().min(1, 'currentPassword is required').max(1024),
            newPassword: z.string().min(1, 'newPassword is required').max(1024),
          }),
          response: { 200: z.strictObject({ user: me }), ...errorsDoc },
        },
      },
      async (request) => {
        const user = await accounts.changePassword(request.principal.id, request.body, { ...origin(request), keepSession: request.session?.cookie });
        return { user: meOf(user) };
      },
    );

    app.post(
      '/auth/sign-out',
      {
        config: { allowPasswordChange: true },
        schema: { tags: ['auth'], summary: 'End this console session (a bearer token simply expires)', response: { 204: z.null(), ...errorsDoc } },
      },
      async (request, reply) => {
        if (request.session) await accounts.endSession(request.session.cookie, request.principal, origin(request));
        setSessionCookie(reply, request, config.cookieSecure, null);
        reply.code(204);
        return null;
      },
    );

    // ---- single sign-on ------------------------------------------------------------------------------------

    const redirectUrl = (request: FastifyRequest) => config.oidc?.redirectUrl ?? `${request.protocol}://${request.host}/auth/oidc/callback`;

    app.get(
      '/auth/oidc/login',
      {
        config: { public: true },
        schema: { tags: ['auth'], summary: 'Start single sign-on: redirects to the identity provider', security: [], response: { 302: z.null(), 404: errorResponse } },
      },
      async (request, reply) => {
        if (!oidc) throw errors.notFound('Single sign-on is not configured (OIDC_ISSUER)');
        const start = await oidc.startLogin(redirectUrl(request));
        reply.setCookie(SSO_COOKIE, JSON.stringify({ state: start.state, nonce: start.nonce, verifier: start.verifier }), {
          path: '/auth/oidc',
          httpOnly: true,
          sameSite: 'lax',
          secure: cookieIsSecure(request, config.cookieSecure),
          signed: true,
          maxAge: 600,
        });
        return reply.redirect(start.url, 302);
      },
    );

    app.get(
      '/auth/oidc/callback',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          summary: 'The identity provider sends the browser back here; on success a session starts',
          security: [],
          querystring: z.strictObject({
            code: z.string().max(4096).optional(),
            state: z.string().max(512).optional(),
            error: z.string().max(256).optional(),
            error_description: z.string().max(2048).optional(),
            session_state: z.string().max(512).optional(),
            iss: z.string().max(2048).optional(),
          }),
          response: { 302: z.null(), ...errorsDoc, 404: errorResponse },
        },
      },
      async (request, reply) => {
        if (!oidc) throw errors.notFound('Single sign-on is not configured (OIDC_ISSUER)');
        const raw = request.cookies?.[SSO_COOKIE];
        reply.clearCookie(SSO_COOKIE, { path: '/auth/oidc' });
        const unsigned = raw ? request.unsignCookie(raw) : null;
        if (!unsigned?.valid || !unsigned.value) throw errors.ssoFailed('no_login_in_progress');
        const pending = JSON.parse(unsigned.value) as { state: string; nonce: string; verifier: string };
        const { code, state, error } = request.query;
        if (error) throw errors.ssoFailed(`provider_error_${error.replace(/[^a-z_]/gi, '').slice(0, 40)}`);
        if (!code || !state || !sameText(state, pending.state)) throw errors.ssoFailed('state_mismatch');
        const externalId = await oidc.finishLogin({ code, redirectUrl: redirectUrl(request), verifier: pending.verifier, nonce: pending.nonce });
        const user = await accounts.userForExternalId(externalId);
        const started = await accounts.startSession(user, { ...origin(request), previous: request.cookies?.doudi_session, via: 'sso' });
        setSessionCookie(reply, request, config.cookieSecure, started.cookie, config.sessionTtlSeconds);
        return reply.redirect(AFTER_SIGN_IN, 302);
      },
    );
  };
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
