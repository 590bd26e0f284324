// Single sign-on against an OpenID Connect provider this test runs (tests/helpers/oidcProvider.ts): real keys,
// real JWKS, real authorization-code flow with PKCE. The user record still decides roles and jurisdiction.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { startTestProvider, type TestProvider } from '../helpers/oidcProvider.js';
import { startService, type TestService } from '../helpers/service.js';

let idp: TestProvider;
let svc: TestService;
const REDIRECT = 'http://doudi.test/auth/oidc/callback';

beforeAll(async () => {
  idp = await startTestProvider();
  svc = await startService({
    env: { OIDC_ISSUER: idp.issuer, OIDC_CLIENT_ID: idp.clientId, OIDC_CLIENT_SECRET: idp.clientSecret, OIDC_AUDIENCE: 'doudi-api', OIDC_REDIRECT_URL: REDIRECT },
  });
  // Link two Doudi users to identities at the provider (the admin's work).
  expect((await svc.as('admin', 'PATCH', `/users/${svc.users.officer.id}`, { externalId: 'kc-officer-0001' })).status).toBe(200);
  expect((await svc.as('admin', 'PATCH', `/users/${svc.users.supervisor.id}`, { externalId: 'kc-supervisor-0002' })).status).toBe(200);
});
afterAll(async () => {
  await svc?.close();
  await idp?.close();
});

async function call(token: string, url = '/auth/session') {
  const res = await svc.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

describe('API clients with the provider\'s bearer tokens', () => {
  it('a token for our audience signs in the linked user, whose record decides the roles', async () => {
    for (const alg of ['RS256', 'ES256'] as const) {
      const token = await idp.sign({ sub: 'kc-officer-0001', aud: 'doudi-api', roles: ['admin'], region: '41' }, { alg });
      const r = await call(token);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.user).toMatchObject({ username: 'officer', roles: ['officer'], jurisdiction: '411282' });
    }
    const cases = await call(await idp.sign({ sub: 'kc-officer-0001', aud: 'doudi-api' }), '/cases');
    expect(cases.status).toBe(200);
  });

  it('refuses another audience, an expired token, a foreign key, a forged issuer and HS256 confusion', async () => {
    const refused = async (token: string, reason: string) => {
      const r = await call(token);
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ code: 'TOKEN_INVALID', details: { reason } });
    };
    await refused(await idp.sign({ sub: 'kc-officer-0001', aud: 'some-other-app' }), 'claim_aud');
    const past = Math.floor(Date.now() / 1000) - 3600;
    await refused(await idp.sign({ sub: 'kc-officer-0001', aud: 'doudi-api', iat: past - 600, exp: past }), 'expired');
    await refused(await idp.sign({ sub: 'kc-officer-0001', aud: 'doudi-api' }, { key: 'foreign' }), 'bad_signature');
    // The provider's issuer, but signed with HMAC over its public key material: algorithm pinning refuses it.
    const hs = await new SignJWT({ iss: idp.issuer, sub: 'kc-officer-0001', aud: 'doudi-api', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 300 })
      .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
      .sign(new TextEncoder().encode('public-key-material-used-as-hmac-secret'));
    await refused(hs, 'algorithm_not_allowed');
    // Another provider altogether.
    const other = await idp.sign({ iss: 'http://127.0.0.1:1/realms/evil', sub: 'kc-officer-0001', aud: 'doudi-api' });
    await refused(other, 'untrusted_issuer');
  });

  it('an identity linked to nobody is refused; so is a linked but deactivated user', async () => {
    const nobody = await call(await idp.sign({ sub: 'kc-stranger', aud: 'doudi-api' }));
    expect(nobody.status).toBe(403);
    expect(nobody.body.code).toBe('EXTERNAL_USER_UNKNOWN');
    await svc.as('admin', 'POST', `/users/${svc.users.supervisor.id}/deactivate`);
    const inactive = await call(await idp.sign({ sub: 'kc-supervisor-0002', aud: 'doudi-api' }));
    expect(inactive.body.code).toBe('ACCOUNT_INACTIVE');
    await svc.as('admin', 'POST', `/users/${svc.users.supervisor.id}/reactivate`);
  });
});

describe('the console\'s sign-on (authorization code with PKCE)', () => {
  /** The browser's round: Doudi → provider → Doudi callback. Returns the callback's answer. */
  async function signOn(tamper?: (callbackUrl: URL) => void) {
    const start = await svc.app.inject({ method: 'GET', url: '/auth/oidc/login' });
    expect(start.statusCode).toBe(302);
    const authorize = new URL(start.headers.location as string);
    expect(authorize.origin + authorize.pathname).toBe(`${idp.issuer}/authorize`);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    const ssoCookie = start.cookies.find((c) => c.name === 'doudi_sso')!;
    expect(ssoCookie.httpOnly).toBe(true);

    const atProvider = await fetch(authorize, { redirect: 'manual' });
    expect(atProvider.status).toBe(302);
    const back = new URL(atProvider.headers.get('location')!);
    expect(back.origin + back.pathname).toBe(REDIRECT);
    tamper?.(back);
    return svc.app.inject({ method: 'GET', url: `/auth/oidc/callback${back.search}`, cookies: { doudi_sso: ssoCookie.value } });
  }

  it('signs the linked user in with a session', async () => {
    idp.nextSubject = { sub: 'kc-officer-0001' };
    const done = await signOn();
    expect(done.statusCode, done.body).toBe(302);
    expect(done.headers.location).toBe('/');
    const session = done.cookies.find((c) => c.name === 'doudi_session')!;
    expect(session.httpOnly).toBe(true);
    const me = await svc.app.inject({ method: 'GET', url: '/auth/session', cookies: { doudi_session: session.value } });
    expect(JSON.parse(me.body)).toMatchObject({ via: 'session', user: { username: 'officer', roles: ['officer'] } });
    const log = await svc.as('admin', 'GET', `/security-log?subjectId=${svc.users.officer.id}`);
    expect(log.body.items[0]).toMatchObject({ action: 'sign_in.succeeded', details: { via: 'sso', session: true } });
  });

  it('refuses a tampered state, a callback without the login cookie, and an unlinked identity', async () => {
    idp.nextSubject = { sub: 'kc-officer-0001' };
    const tampered = await signOn((u) => u.searchParams.set('state', 'forged-state'));
    expect(tampered.statusCode).toBe(401);
    expect(JSON.parse(tampered.body)).toMatchObject({ code: 'SSO_FAILED', details: { reason: 'state_mismatch' } });
    expect(tampered.cookies.find((c) => c.name === 'doudi_session')).toBeUndefined();

    const noCookie = await svc.app.inject({ method: 'GET', url: '/auth/oidc/callback?code=abc&state=def' });
    expect(JSON.parse(noCookie.body)).toMatchObject({ code: 'SSO_FAILED', details: { reason: 'no_login_in_progress' } });

    idp.nextSubject = { sub: 'kc-unknown-person' };
    const unknown = await signOn();
    expect(JSON.parse(unknown.body).code).toBe('EXTERNAL_USER_UNKNOWN');
  });
});
