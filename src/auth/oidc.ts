/**
 * Single sign-on through an OpenID Connect provider (Keycloak and the like), with `jose` for every signature.
 *
 *   discovery   `${issuer}/.well-known/openid-configuration`, fetched once (again after a failure); its `issuer`
 *               must equal the configured one exactly.
 *   keys        the provider's JWKS (jose's remote key set: cached, refetched when a token names a new key).
 *   tokens      RS256 or ES256 only, issuer pinned, audience pinned (the client id for ID tokens, OIDC_AUDIENCE
 *               for API bearer tokens), exp required; iat not in the future.
 *   browser     authorization code flow with PKCE (S256), `state` and `nonce`; the client authenticates at the
 *               token endpoint with client_secret_basic when a secret is configured.
 * The token decides who someone is, never what they may do: the value of OIDC_USER_CLAIM is looked up in
 * users.external_id, and that user record decides roles and jurisdiction (src/engine/accounts.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { OidcConfig } from '../config.js';
import { errors } from '../errors.js';

export const OIDC_ALGORITHMS = ['RS256', 'ES256'];

interface Metadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
}

export interface OidcLoginStart {
  url: string;
  /** Kept by the browser (a signed cookie) until the callback. */
  state: string;
  nonce: string;
  verifier: string;
}

const b64url = (bytes: Buffer) => bytes.toString('base64url');

export function createOidc(config: OidcConfig, options: { fetch?: typeof fetch } = {}) {
  const doFetch = options.fetch ?? fetch;
  let metadata: Promise<Metadata> | null = null;
  let keys: ReturnType<typeof createRemoteJWKSet> | null = null;

  async function discover(): Promise<Metadata> {
    const res = await doFetch(`${config.issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`OIDC discovery answered ${res.status}`);
    const m = (await res.json()) as Partial<Metadata>;
    if (m.issuer !== config.issuer) throw new Error('OIDC discovery names another issuer');
    for (const key of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
      if (typeof m[key] !== 'string') throw new Error(`OIDC discovery has no ${key}`);
    }
    return m as Metadata;
  }

  function meta(): Promise<Metadata> {
    metadata ??= discover().catch((err) => {
      metadata = null; // try again at the next request
      throw err;
    });
    return metadata;
  }

  async function keySet() {
    if (!keys) keys = createRemoteJWKSet(new URL((await meta()).jwks_uri), { timeoutDuration: 10_000 });
    return keys;
  }

  /** A token of the provider, verified; TOKEN_INVALID (with the reason) otherwise. */
  async function verify(token: string, audience: string): Promise<JWTPayload> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await keySet(), {
        issuer: config.issuer,
        audience,
        algorithms: OIDC_ALGORITHMS,
        requiredClaims: ['sub', 'exp', 'iat'],
        clockTolerance: 30,
      }));
    } catch (err) {
      throw errors.tokenInvalid(reasonOf(err), 'The identity provider\'s token was refused; sign in again');
    }
    if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + 30) throw errors.tokenInvalid('issued_in_future');
    return payload;
  }

  /** The value that names the Doudi user (users.external_id). */
  function externalIdOf(payload: JWTPayload): string {
    const value = payload[config.userClaim];
    if (typeof value !== 'string' || value.length === 0) throw errors.tokenInvalid('missing_user_claim', `The token has no ${config.userClaim} claim`);
    return value;
  }

  /** API clients: a bearer access token issued by the provider for our audience. */
  async function verifyBearer(token: string): Promise<string> {
    return externalIdOf(await verify(token, config.audience));
  }

  async function startLogin(redirectUrl: string): Promise<OidcLoginStart> {
    const m = await meta();
    const state = b64url(randomBytes(24));
    const nonce = b64url(randomBytes(24));
    const verifier = b64url(randomBytes(32));
    const url = new URL(m.authorization_endpoint);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: config.clientId,
      redirect_uri: redirectUrl,
      scope: 'openid profile',
      state,
      nonce,
      code_challenge: b64url(createHash('sha256').update(verifier).digest()),
      code_challenge_method: 'S256',
    }).toString();
    return { url: url.toString(), state, nonce, verifier };
  }

  /** The browser came back with `code`: exchange it, verify the ID token and its nonce, name the user. */
  async function finishLogin(input: { code: string; redirectUrl: string; verifier: string; nonce: string }): Promise<string> {
    const m = await meta();
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    const form = new URLSearchParams({ grant_type: 'authorization_code', code: input.code, redirect_uri: input.redirectUrl, code_verifier: input.verifier });
    if (config.clientSecret) {
      const basic = `${encodeURIComponent(config.clientId)}:${encodeURIComponent(config.clientSecret)}`;
      headers.authorization = `Basic ${Buffer.from(basic).toString('base64')}`;
    } else {
      form.set('client_id', config.clientId);
    }
    let body: { id_token?: unknown };
    try {
      const res = await doFetch(m.token_endpoint, { method: 'POST', headers, body: form, signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw errors.ssoFailed(`token_endpoint_${res.status}`);
      body = (await res.json()) as { id_token?: unknown };
    } catch (err) {
      if ((err as { code?: string }).code === 'SSO_FAILED') throw err;
      throw errors.ssoFailed('token_endpoint_unreachable');
    }
    if (typeof body.id_token !== 'string') throw errors.ssoFailed('no_id_token');
    let payload: JWTPayload;
    try {
      payload = await verify(body.id_token, config.clientId);
    } catch {
      throw errors.ssoFailed('id_token_invalid');
    }
    if (payload.nonce !== input.nonce) throw errors.ssoFailed('nonce_mismatch');
    return externalIdOf(payload);
  }

  return { verifyBearer, startLogin, finishLogin, issuer: config.issuer };
}

export type Oidc = ReturnType<typeof createOidc>;

function reasonOf(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `claim_${err.claim}`;
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm_not_allowed';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'unknown_key';
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) return 'malformed';
  return 'provider_unreachable';
}
