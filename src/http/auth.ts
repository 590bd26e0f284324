/**
 * Authentication (who is calling) and the small authorization helpers routes use (may they do this, here).
 *
 * Three credentials, tried in this order:
 *   1. `Authorization: Bearer <token>` issued by Doudi (POST /auth/token): HS256 signed with JWT_SECRET,
 *      iss = JWT_ISSUER, claims sub (user id), tv (the user's token version), iat, exp. Refused: another
 *      algorithm, a missing iss/iat/exp, iat in the future, a lifetime over TOKEN_MAX_TTL, an old token version.
 *   2. `Authorization: Bearer <token>` issued by the configured OpenID Connect provider (src/auth/oidc.ts).
 *   3. The console's session cookie (`doudi_session`, HttpOnly, SameSite=Lax, Secure over https). A request
 *      that changes something must also carry the session's CSRF token (X-CSRF-Token header or `_csrf` field).
 * Whatever the credential, the user record decides roles, review level and jurisdiction (src/engine/accounts.ts):
 * a token carries none of them, so a role taken away or a user deactivated stops working at the next request.
 *
 * Every route registered through buildApp's `registerRoutes` requires a credential unless its route config
 * says `public: true`; a request that reaches such a handler has `request.principal` set.
 */
import { createHmac } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Role } from '../../machines/types.js';
import type { Oidc } from '../auth/oidc.js';
import { parseDurationSeconds, type Config } from '../config.js';
import type { Accounts } from '../engine/accounts.js';
import { errors } from '../errors.js';

/** The caller as the user record says: the engine's Principal (one definition for both layers). */
export type { Principal } from '../engine/types.js';
import type { Principal } from '../engine/types.js';

export const SESSION_COOKIE = 'doudi_session';
export const CSRF_HEADER = 'x-csrf-token';
export const CSRF_FIELD = '_csrf';

/** The claims of a Doudi token besides the registered ones (iss, iat, exp). */
export const tokenClaimsSchema = z.object({
  sub: z.string().min(1),
  tv: z.number().int().min(0).default(0),
});
export type TokenClaims = z.input<typeof tokenClaimsSchema>;

/** A signed-in browser, for the auth routes (sign-out, CSRF token). */
export interface RequestSession {
  cookie: string;
  expiresAt: Date;
  csrfToken: () => string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The authenticated caller. Set before the handler of every non-public route runs; null on public
     * routes (health checks, docs, sign-in), which must not read it.
     */
    principal: Principal;
    /** Set when the credential was the session cookie. */
    session: RequestSession | null;
  }
  interface FastifyContextConfig {
    /** Serve this route without a credential. */
    public?: boolean;
    /** Reachable by a user who must change their password first (the routes that change it, sign-out). */
    allowPasswordChange?: boolean;
  }
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: TokenClaims;
  }
}

const ALGORITHM = 'HS256';
/** Clocks of the issuer and of this service may differ a little. */
const CLOCK_SKEW_SECONDS = 30;

export interface AuthOptions {
  config: Pick<Config, 'jwtSecret' | 'jwtIssuer' | 'tokenMaxTtlSeconds' | 'cookieSecure'>;
}

/**
 * Register @fastify/jwt and @fastify/cookie on `app` (not encapsulated: visible to every route) and the
 * request slots. Call before registering routes.
 */
export function registerAuth(app: FastifyInstance, { config }: AuthOptions): void {
  app.register(fastifyJwt, {
    secret: config.jwtSecret,
    sign: { algorithm: ALGORITHM, iss: config.jwtIssuer },
    // Pin the algorithm (no "none", no RS/HS confusion), the issuer, and demand iss, iat and exp.
    verify: { algorithms: [ALGORITHM], allowedIss: config.jwtIssuer, requiredClaims: ['sub', 'iss', 'iat', 'exp'] },
  });
  // Signed cookies carry the single sign-on state between the redirect and the callback.
  app.register(fastifyCookie, { secret: createHmac('sha256', config.jwtSecret).update('doudi cookie signing').digest('base64url') });
  app.decorateRequest('principal', null as unknown as Principal);
  app.decorateRequest('session', null);
}

export interface AuthenticateDeps {
  config: Pick<Config, 'jwtIssuer' | 'tokenMaxTtlSeconds'>;
  accounts: Accounts;
  oidc?: Oidc | null;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The onRequest hook: find the credential, verify it, set `request.principal` (and `request.session`). */
export function createAuthenticate(app: FastifyInstance, deps: AuthenticateDeps) {
  const { accounts, config } = deps;

  async function bearer(request: FastifyRequest, header: string): Promise<void> {
    const match = /^Bearer ([A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]*)$/.exec(header);
    if (!match) throw errors.unauthenticated('The Authorization header must be "Bearer <token>"');
    const token = match[1];
    const issuer = unverifiedIssuer(token);
    const allowPasswordChange = !!request.routeOptions.config.allowPasswordChange;

    if (deps.oidc && issuer === deps.oidc.issuer) {
      const externalId = await deps.oidc.verifyBearer(token);
      const user = await accounts.userForExternalId(externalId);
      request.principal = (await accounts.authenticateUser(user.id, { allowPasswordChange })).principal;
      return;
    }
    if (issuer === undefined) throw errors.tokenInvalid('missing_issuer', 'The token names no issuer');
    if (issuer !== config.jwtIssuer) throw errors.tokenInvalid('untrusted_issuer', 'The token was issued by an issuer Doudi does not trust');

    let payload: Record<string, unknown>;
    try {
      payload = app.jwt.verify(token) as unknown as Record<string, unknown>;
    } catch (err) {
      throw errors.tokenInvalid(ownTokenProblem(err), 'The token is not valid; sign in again');
    }
    const iat = payload.iat as number;
    const exp = payload.exp as number;
    const nowSeconds = Date.now() / 1000;
    if (iat > nowSeconds + CLOCK_SKEW_SECONDS) throw errors.tokenInvalid('issued_in_future', 'The token says it was issued in the future');
    if (exp - iat > config.tokenMaxTtlSeconds) throw errors.tokenInvalid('lifetime_too_long', 'The token lives longer than this service allows');
    const claims = tokenClaimsSchema.safeParse(payload);
    if (!claims.success) throw errors.tokenInvalid('bad_claims', 'The token does not carry the claims Doudi needs; sign in again');
    request.principal = (await accounts.authenticateUser(claims.data.sub, { tokenVersion: claims.data.tv, allowPasswordChange })).principal;
  }

  async function session(request: FastifyRequest, cookie: string): Promise<void> {
    const live = await accounts.resumeSession(cookie);
    const { principal } = await accounts.authenticateUser(live.userId, { allowPasswordChange: !!request.routeOptions.config.allowPasswordChange });
    request.principal = principal;
    request.session = { cookie, expiresAt: live.expiresAt, csrfToken: live.csrfToken };
    if (!SAFE_METHODS.has(request.method)) {
      // The form field is only readable after the body is parsed; the header is the API's way (htmx sends it).
      const header = request.headers[CSRF_HEADER];
      (request as CsrfPending).csrfCheck = (fromBody) => live.verifyCsrf(typeof header === 'string' ? header : fromBody);
    }
  }

  return async function authenticate(request: FastifyRequest): Promise<void> {
    if (request.routeOptions.config.public) return;
    const header = request.headers.authorization;
    if (header) return bearer(request, header);
    const cookie = request.cookies?.[SESSION_COOKIE];
    if (cookie) return session(request, cookie);
    throw errors.unauthenticated('Sign in, or send a token as Authorization: Bearer <token>');
  };
}

type CsrfPending = FastifyRequest & { csrfCheck?: (fromBody: string | undefined) => boolean };

/**
 * preValidation hook: a state-changing request authenticated by the session cookie must carry the session's
 * CSRF token. The form field is removed before validation so that strict body schemas do not see it.
 */
export async function checkCsrf(request: FastifyRequest): Promise<void> {
  const pending = (request as CsrfPending).csrfCheck;
  if (!pending) return;
  let fromBody: string | undefined;
  const body = request.body as Record<string, unknown> | undefined;
  if (body && typeof body === 'object' && !Array.isArray(body) && CSRF_FIELD in body) {
    fromBody = typeof body[CSRF_FIELD] === 'string' ? (body[CSRF_FIELD] as string) : undefined;
    delete body[CSRF_FIELD];
  }
  if (!pending(fromBody)) throw errors.csrfTokenInvalid();
}

/** The `iss` of a JWT before its signature is checked: only to pick which verifier to use. */
function unverifiedIssuer(token: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { iss?: unknown };
    return typeof payload.iss === 'string' ? payload.iss : undefined;
  } catch {
    throw errors.tokenInvalid('malformed', 'The token is not a JWT');
  }
}

function ownTokenProblem(err: unknown): string {
  switch ((err as { code?: string }).code) {
    case 'FAST_JWT_EXPIRED':
      return 'expired';
    case 'FAST_JWT_INVALID_SIGNATURE':
      return 'bad_signature';
    case 'FAST_JWT_INVALID_ALGORITHM':
      return 'algorithm_not_allowed';
    case 'FAST_JWT_MISSING_REQUIRED_CLAIM':
      return 'missing_claim';
    case 'FAST_JWT_INACTIVE':
      return 'not_yet_valid';
    case 'FAST_JWT_INVALID_CLAIM_VALUE':
      return 'bad_claims';
    default:
      return 'malformed';
  }
}

/** The Secure flag for this request's cookies: COOKIE_SECURE, where 'auto' means "the request came over https". */
export function cookieIsSecure(request: FastifyRequest, setting: Config['cookieSecure']): boolean {
  return setting === 'on' || (setting === 'auto' && request.protocol === 'https');
}

/** Sets or clears the session cookie. */
export function setSessionCookie(reply: FastifyReply, request: FastifyRequest, secure: Config['cookieSecure'], value: string | null, maxAgeSeconds = 0): void {
  const options = { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: cookieIsSecure(request, secure) };
  if (value === null) reply.clearCookie(SESSION_COOKIE, options);
  else reply.setCookie(SESSION_COOKIE, value, { ...options, maxAge: maxAgeSeconds });
}

/** preHandler: the caller must hold at least one of `allowed`. */
export function requireRole(...allowed: Role[]) {
  return async function requireRoleHook(request: FastifyRequest): Promise<void> {
    if (!hasRole(request.principal, ...allowed)) throw errors.forbidden({ roles: allowed });
  };
}

export function hasRole(principal: Principal | null | undefined, ...allowed: Role[]): boolean {
  return !!principal && principal.roles.some((role) => allowed.includes(role));
}

/** May this principal act on a case in `regionCode`? (Its village code starts with their jurisdiction.) */
export function inJurisdiction(principal: Pick<Principal, 'region'>, regionCode: string): boolean {
  return regionCode.startsWith(principal.region);
}

export function assertInJurisdiction(principal: Pick<Principal, 'region'>, regionCode: string): void {
  if (!inJurisdiction(principal, regionCode)) throw errors.forbidden({ jurisdiction: regionCode });
}

export type TokenSigner = FastifyInstance | Pick<Config, 'jwtSecret' | 'jwtIssuer'>;

export interface SignTokenOptions {
  /** Issue time in ms since the epoch; tests use it to make expired tokens. Default: now. */
  now?: number;
  /** The user's token version (users.token_version); default 0, a user whose password was never reset. */
  tokenVersion?: number;
}

/**
 * Sign a token for the user `who` (only the id counts: the user record supplies the rest), valid for `ttl`
 * (seconds, or a duration such as '12h'). `signer` is either a built app (signs with its @fastify/jwt settings)
 * or the config (for `npm run token`, which has no app): both produce the same HS256 token.
 */
export function signToken(signer: TokenSigner, who: Pick<Principal, 'id'>, ttl: number | string, options: SignTokenOptions = {}): string {
  const ttlSeconds = typeof ttl === 'number' ? ttl : parseDurationSeconds(ttl);
  if (!ttlSeconds || ttlSeconds <= 0) throw new Error(`invalid token ttl ${JSON.stringify(ttl)}`);

  const claims = { sub: who.id, tv: options.tokenVersion ?? 0 };
  const now = options.now ?? Date.now();

  if ('jwt' in signer) {
    return signer.jwt.sign(claims, { expiresIn: ttlSeconds, clockTimestamp: now });
  }
  return signHs256(signer.jwtSecret, { ...claims, iss: signer.jwtIssuer }, now, ttlSeconds);
}

/** A compact HS256 JWT (RFC 7519), so the CLI can mint tokens without building an app. */
function signHs256(secret: string, claims: Record<string, unknown>, now: number, ttlSeconds: number): string {
  const iat = Math.floor(now / 1000);
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: ALGORITHM, typ: 'JWT' })}.${encode({ ...claims, iat, exp: iat + ttlSeconds })}`;
  const signature = createHmac('sha256', secret).update(unsigned).digest('base64url');
  return `${unsigned}.${signature}`;
}
