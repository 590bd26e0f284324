/**
 * Authentication (who is calling) and the small authorization helpers routes use (may they do this, here).
 *
 * Tokens are HS256 JWTs signed with JWT_SECRET and issued by JWT_ISSUER. Claims:
 *   sub       user id
 *   username  login name, for audit lines
 *   roles     Role[] (machines/types.ts)
 *   level     review level for reviewers ('village' | 'township' | 'county'), else null
 *   region    jurisdiction: a region prefix (2, 4, 6, 9 or 12 digits); the user acts on cases whose village
 *             code starts with it
 * Every route registered through buildApp's `registerRoutes` requires a token unless its route config
 * says `public: true`; a request that reaches such a handler has `request.principal` set.
 */
import { createHmac } from 'node:crypto';
import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { reviewLevels, roles, type ReviewLevel, type Role } from '../../machines/types.js';
import { parseDurationSeconds, type Config } from '../config.js';
import { errors } from '../errors.js';
import { regionPrefix } from './schemas/common.js';

/** The caller as the token says: the engine's Principal (one definition for both layers). */
export type { Principal } from '../engine/types.js';
import type { Principal } from '../engine/types.js';

/** The claims Doudi puts in a token, besides the registered ones (iss, iat, exp). */
export const tokenClaimsSchema = z.object({
  sub: z.string().min(1),
  username: z.string().min(1),
  roles: z.array(z.enum(roles)),
  level: z.enum(reviewLevels).nullable(),
  region: regionPrefix,
});
export type TokenClaims = z.infer<typeof tokenClaimsSchema>;

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The authenticated caller. Set before the handler of every non-public route runs; null on public
     * routes (health checks, docs), which must not read it.
     */
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** Serve this route without a token. */
    public?: boolean;
  }
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: TokenClaims;
  }
}

const ALGORITHM = 'HS256';

export interface AuthOptions {
  secret: string;
  issuer: string;
}

/**
 * Register @fastify/jwt on `app` (not encapsulated: `app.jwt` and `request.jwtVerify` are visible to every
 * route) and the `request.principal` slot. Call before registering routes.
 */
export function registerAuth(app: FastifyInstance, { secret, issuer }: AuthOptions): void {
  app.register(fastifyJwt, {
    secret,
    sign: { algorithm: ALGORITHM, iss: issuer },
    // Pin the algorithm (no "none", no RS/HS confusion), the issuer, and demand an expiry.
    verify: { algorithms: [ALGORITHM], allowedIss: issuer, requiredClaims: ['sub', 'exp'] },
  });
  app.decorateRequest('principal', null as unknown as Principal);
}

/** onRequest hook: verify the bearer token and set `request.principal`, or refuse with UNAUTHENTICATED. */
export async function authenticate(request: FastifyRequest): Promise<void> {
  if (request.routeOptions.config.public) return;

  let payload: unknown;
  try {
    payload = await request.jwtVerify();
  } catch (err) {
    throw errors.unauthenticated(tokenProblem(err));
  }
  const claims = tokenClaimsSchema.safeParse(payload);
  if (!claims.success) throw errors.unauthenticated('The token does not carry the claims Doudi needs; sign in again');

  const { sub, username, roles, level, region } = claims.data;
  request.principal = { id: sub, username, roles, level, region };
}

function tokenProblem(err: unknown): string {
  switch ((err as { code?: string }).code) {
    case 'FST_JWT_NO_AUTHORIZATION_IN_HEADER':
      return 'Send a token as Authorization: Bearer <token>';
    case 'FST_JWT_BAD_REQUEST':
      return 'The Authorization header must be "Bearer <token>"';
    case 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED':
      return 'The token has expired; sign in again';
    default:
      return 'The token is invalid';
  }
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
}

/**
 * Sign a token for `principal`, valid for `ttl` (seconds, or a duration such as '12h').
 * `signer` is either a built app (signs with its @fastify/jwt settings) or the config (for `npm run token`,
 * which has no app): both produce the same HS256 token.
 */
export function signToken(signer: TokenSigner, principal: Principal, ttl: number | string, options: SignTokenOptions = {}): string {
  const ttlSeconds = typeof ttl === 'number' ? ttl : parseDurationSeconds(ttl);
  if (!ttlSeconds || ttlSeconds <= 0) throw new Error(`invalid token ttl ${JSON.stringify(ttl)}`);

  const claims: TokenClaims = {
    sub: principal.id,
    username: principal.username,
    roles: principal.roles,
    level: principal.level,
    region: principal.region,
  };
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
