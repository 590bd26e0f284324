// Sign-in, sessions, tokens, user administration and the security log, over HTTP, on PGlite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { rows, verifySecurityLog } from '../../src/db/index.js';
import { startService, type TestService } from '../helpers/service.js';
import { testDbKind } from '../helpers/db.js';

let svc: TestService;

beforeAll(async () => {
  svc = await startService({ env: { SIGN_IN_MAX_FAILURES: '5', SIGN_IN_MAX_FAILURES_PER_ADDRESS: '12' } });
});
afterAll(async () => svc?.close());

type Answer = { status: number; body: any; headers: Record<string, unknown> };

let addressSerial = 0;
/** A fresh client address, so that the per-address limit of one test does not reach into the next. */
const newAddress = () => `10.9.${Math.floor(++addressSerial / 250)}.${(addressSerial % 250) + 1}`;

/** A browser: keeps the session cookie and the CSRF token, as the console's pages will. */
function browser(address = newAddress()) {
  let cookie: string | null = null;
  let csrf: string | null = null;
  async function request(method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const res = await svc.app.inject({
      method,
      url,
      payload: body as never,
      remoteAddress: address,
      headers: { ...(cookie ? { cookie: `doudi_session=${cookie}` } : {}), ...headers },
    });
    const set = res.cookies.find((c) => c.name === 'doudi_session');
    if (set) cookie = set.value || null;
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null, headers: res.headers };
  }
  return {
    address,
    get cookie() {
      return cookie;
    },
    set cookie(value: string | null) {
      cookie = value;
    },
    get csrf() {
      return csrf;
    },
    async signIn(username: string, password: string) {
      const r = await request('POST', '/auth/sign-in', { username, password });
      if (r.status === 200) csrf = r.body.csrfToken;
      return r;
    },
    get: (url: string) => request('GET', url),
    /** A change, with the CSRF token unless told otherwise. */
    post: (url: string, body?: unknown, withCsrf = true) => request('POST', url, body ?? {}, withCsrf && csrf ? { 'x-csrf-token': csrf } : {}),
    patch: (url: string, body: unknown) => request('PATCH', url, body, csrf ? { 'x-csrf-token': csrf } : {}),
    raw: request,
  };
}

async function token(username: string, password: string, address = newAddress()): Promise<Answer> {
  const res = await svc.app.inject({ method: 'POST', url: '/auth/token', payload: { username, password }, remoteAddress: address });
  return { status: res.statusCode, body: JSON.parse(res.body), headers: res.headers };
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
async function withToken(t: string, method: 'GET' | 'POST', url: string, body?: unknown) {
  const res = await svc.app.inject({ method, url, payload: body as never, headers: bearer(t) });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null };
}

let userSerial = 0;
/** An admin of 灵宝市 creates a person; returns the user and their initial password. */
async function createPerson(overrides: Record<string, unknown> = {}) {
  const username = `clerk-${++userSerial}-${testDbKind()}`;
  const r = await svc.as('admin', 'POST', '/users', { username, displayName: '王某某', roles: ['officer'], jurisdiction: '411282', ...overrides });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { id: r.body.user.id as string, username, password: r.body.initialPassword as string };
}

/** A person who has already replaced the initial password. */
async function readyPerson(overrides: Record<string, unknown> = {}) {
  const p = await createPerson(overrides);
  const b = browser();
  expect((await b.signIn(p.username, p.password)).status).toBe(200);
  const password = `Neu-Passwort-${userSerial}-x9`;
  expect((await b.post('/auth/password', { currentPassword: p.password, newPassword: password })).status).toBe(200);
  return { ...p, password, browser: b };
}

describe('a new user signs in', () => {
  it('admin creates a user; the initial password must be changed before anything else', async () => {
    const p = await createPerson();
    expect(p.password).toMatch(/^[A-Za-z0-9_-]{10,}$/);
    const b = browser();
    const signedIn = await b.signIn(p.username, p.password);
    expect(signedIn.status).toBe(200);
    expect(signedIn.body).toMatchObject({ via: 'session', user: { username: p.username, roles: ['officer'], jurisdiction: '411282', mustChangePassword: true } });
    expect(signedIn.headers['cache-control']).toBe('no-store');
    const setCookie = String(signedIn.headers['set-cookie']);
    expect(setCookie).toMatch(/doudi_session=[A-Za-z0-9_-]{40,}/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(setCookie).not.toMatch(/Secure/); // plain http here; Secure over https (COOKIE_SECURE=auto)

    expect((await b.get('/cases')).body.code).toBe('PASSWORD_CHANGE_REQUIRED');
    expect((await token(p.username, p.password)).body.code).toBe('PASSWORD_CHANGE_REQUIRED');
    expect((await b.get('/auth/session')).body.user.mustChangePassword).toBe(true);

    const weak = await b.post('/auth/password', { currentPassword: p.password, newPassword: 'short1' });
    expect(weak.status).toBe(400);
    expect(weak.body.details).toEqual([{ path: 'body.newPassword', message: expect.stringMatching(/at least 10 characters/) }]);
    const wrong = await b.post('/auth/password', { currentPassword: 'not-it-123456', newPassword: 'Ein-gutes-Passwort-42' });
    expect(wrong.body.details).toEqual([{ path: 'body.currentPassword', message: 'is not your current password' }]);
    const changed = await b.post('/auth/password', { currentPassword: p.password, newPassword: 'Ein-gutes-Passwort-42' });
    expect(changed.status).toBe(200);
    expect(changed.body.user.mustChangePassword).toBe(false);

    // The session goes on; the console can work; an API client gets a token with the new password.
    expect((await b.get('/cases')).status).toBe(200);
    expect((await token(p.username, p.password)).body.code).toBe('INVALID_CREDENTIALS');
    const t = await token(p.username, 'Ein-gutes-Passwort-42');
    expect(t.status).toBe(200);
    expect(t.body).toMatchObject({ tokenType: 'Bearer', token: expect.any(String), expiresAt: expect.any(String) });
    const viaToken = await withToken(t.body.token, 'GET', '/auth/session');
    expect(viaToken.body).toMatchObject({ via: 'token', csrfToken: null, user: { username: p.username } });
  });

  it('a new session id at every sign-in; the one sent before stops working', async () => {
    const p = await readyPerson();
    const b = p.browser;
    const before = b.cookie;
    expect((await b.signIn(p.username, p.password)).status).toBe(200);
    expect(b.cookie).not.toBe(before);
    const stale = browser();
    stale.cookie = before;
    expect((await stale.get('/cases')).body.code).toBe('SESSION_EXPIRED');
    expect((await b.get('/cases')).status).toBe(200);
  });

  it('sign-out ends the session and clears the cookie', async () => {
    const p = await readyPerson();
    const b = p.browser;
    const cookie = b.cookie;
    const out = await b.post('/auth/sign-out');
    expect(out.status).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/doudi_session=;/);
    const replay = browser();
    replay.cookie = cookie;
    expect((await replay.get('/cases')).body.code).toBe('SESSION_EXPIRED');
  });
});

describe('wrong passwords', () => {
  it('the same answer whether the username exists or not, and nothing personal in the log', async () => {
    const p = await readyPerson();
    const a = await token(p.username, 'wrong-password-1');
    const b = await token('nobody-by-this-name', 'wrong-password-1');
    expect(a.status).toBe(401);
    expect(b.status).toBe(401);
    expect(a.body).toEqual(b.body);
    expect(a.body).toEqual({ code: 'INVALID_CREDENTIALS', message: 'The username or password is wrong' });
    expect(svc.logLines.join('\n')).not.toContain('wrong-password-1');
    expect(svc.logLines.join('\n')).not.toContain('nobody-by-this-name');
  });

  it('locks an account after 5 failures, for the window, whatever the password, and frees it after', async () => {
    const p = await readyPerson();
    for (let i = 0; i < 5; i++) {
      expect((await token(p.username, `guess-${i}-abcdef`)).body.code).toBe('INVALID_CREDENTIALS');
    }
    const locked = await token(p.username, p.password); // the right password, from another address
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe('TOO_MANY_ATTEMPTS');
    expect(locked.body.details.retryAfterSeconds).toBeGreaterThan(0);
    expect(locked.headers['retry-after']).toBeDefined();
    // A username that does not exist locks the same way: the lock tells nothing.
    for (let i = 0; i < 5; i++) await token('ghost-user', `guess-${i}-abcdef`);
    expect((await token('ghost-user', 'anything-123456')).body.code).toBe('TOO_MANY_ATTEMPTS');

    svc.clock.advance(15 * 60_000 + 1000);
    expect((await token(p.username, p.password)).status).toBe(200);
  });

  it('a right password gives its attempt back: signing in often is not a failure', async () => {
    const p = await readyPerson();
    for (let i = 0; i < 8; i++) expect((await token(p.username, p.password)).status).toBe(200);
  });

  it('limits failures per address across accounts', async () => {
    const address = newAddress();
    for (let i = 0; i < 12; i++) expect((await token(`someone-${i}`, 'wrong-password-1', address)).status).toBe(401);
    expect((await token('someone-else', 'wrong-password-1', address)).body.code).toBe('TOO_MANY_ATTEMPTS');
    expect((await token('someone-else', 'wrong-password-1')).body.code).toBe('INVALID_CREDENTIALS'); // another address
  });

  it('parallel guesses cannot get past the limit: exactly 5 passwords are tried', async () => {
    const p = await readyPerson();
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => token(p.username, `parallel-${i}-guess`)));
    const codes = answers.map((a) => a.body.code);
    expect(codes.filter((c) => c === 'INVALID_CREDENTIALS')).toHaveLength(5);
    expect(codes.filter((c) => c === 'TOO_MANY_ATTEMPTS')).toHaveLength(15);
  });
});

describe('CSRF', () => {
  it('a change through the session needs the session\'s own token; nothing changes without it', async () => {
    const p = await readyPerson();
    const b = p.browser;
    const missing = await b.post('/notifications/999/read', {}, false);
    expect(missing.status).toBe(403);
    expect(missing.body.code).toBe('CSRF_TOKEN_INVALID');
    // A token of another session does not do either.
    const other = await readyPerson();
    const foreign = await b.raw('POST', '/auth/password', { currentPassword: p.password, newPassword: 'Ganz-neues-Passwort-7' }, { 'x-csrf-token': other.browser.csrf! });
    expect(foreign.body.code).toBe('CSRF_TOKEN_INVALID');
    expect((await token(p.username, p.password)).status).toBe(200); // the password did not change
    // The form field works as well as the header, and is not seen by the route's strict schema.
    const form = await b.raw('POST', '/auth/password', { currentPassword: p.password, newPassword: 'Ganz-neues-Passwort-7', _csrf: b.csrf });
    expect(form.status).toBe(200);
    // Reading needs no token.
    expect((await b.get('/cases')).status).toBe(200);
  });

  it('bearer tokens need none (a cross-site page cannot attach them)', async () => {
    const p = await readyPerson();
    const t = (await token(p.username, p.password)).body.token;
    const r = await withToken(t, 'POST', '/auth/password', { currentPassword: p.password, newPassword: 'Noch-ein-Passwort-8' });
    expect(r.status).toBe(200);
  });
});

describe('session lifetime', () => {
  it('ends after 30 minutes without a request', async () => {
    const p = await readyPerson();
    svc.clock.advance(29 * 60_000);
    expect((await p.browser.get('/cases')).status).toBe(200);
    svc.clock.advance(29 * 60_000); // 29 minutes since the last request: still alive
    expect((await p.browser.get('/cases')).status).toBe(200);
    svc.clock.advance(31 * 60_000);
    const r = await p.browser.get('/cases');
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('SESSION_EXPIRED');
  });

  it('ends 12 hours after sign-in however busy', async () => {
    const p = await readyPerson();
    for (let minutes = 0; minutes < 12 * 60 - 20; minutes += 20) {
      svc.clock.advance(20 * 60_000);
      expect((await p.browser.get('/cases')).status).toBe(200);
    }
    svc.clock.advance(25 * 60_000);
    expect((await p.browser.get('/cases')).body.code).toBe('SESSION_EXPIRED');
  });
});

describe('administration takes effect at the next request', () => {
  it('a deactivated user is refused at once: session, token and sign-in', async () => {
    const p = await readyPerson();
    const t = (await token(p.username, p.password)).body.token;
    expect((await withToken(t, 'GET', '/cases')).status).toBe(200); // cached now
    expect((await p.browser.get('/cases')).status).toBe(200);

    const off = await svc.as('admin', 'POST', `/users/${p.id}/deactivate`);
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    expect((await withToken(t, 'GET', '/cases')).body.code).toBe('ACCOUNT_INACTIVE');
    expect((await p.browser.get('/cases')).body.code).toBe('SESSION_EXPIRED');
    expect((await token(p.username, p.password)).body.code).toBe('INVALID_CREDENTIALS');

    expect((await svc.as('admin', 'POST', `/users/${p.id}/reactivate`)).body.active).toBe(true);
    expect((await token(p.username, p.password)).status).toBe(200);
    // The old token stays dead: deactivation bumped the token version.
    expect((await withToken(t, 'GET', '/cases')).body.details).toEqual({ reason: 'revoked' });
  });

  it('a role taken away stops working with the same token', async () => {
    const p = await readyPerson({ roles: ['officer', 'supervisor'] });
    const t = (await token(p.username, p.password)).body.token;
    expect((await withToken(t, 'GET', '/overdue')).status).toBe(200);
    expect((await svc.as('admin', 'PATCH', `/users/${p.id}`, { roles: ['visitor'] })).status).toBe(200);
    const r = await withToken(t, 'GET', '/overdue');
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('FORBIDDEN');
  });

  it('a password reset ends sessions and tokens, and the temporary password must be changed', async () => {
    const p = await readyPerson();
    const t = (await token(p.username, p.password)).body.token;
    const reset = await svc.as('admin', 'POST', `/users/${p.id}/password-reset`);
    expect(reset.status).toBe(200);
    expect(reset.body.user.mustChangePassword).toBe(true);
    expect((await withToken(t, 'GET', '/cases')).body.details).toEqual({ reason: 'revoked' });
    expect((await p.browser.get('/cases')).body.code).toBe('SESSION_EXPIRED');
    const b = browser();
    expect((await b.signIn(p.username, reset.body.temporaryPassword)).body.user.mustChangePassword).toBe(true);
    expect((await b.get('/cases')).body.code).toBe('PASSWORD_CHANGE_REQUIRED');
  });
});

describe('privilege escalation', () => {
  it('a county admin cannot grant a jurisdiction wider than their own, nor the system role', async () => {
    const cityWide = await svc.as('admin', 'POST', '/users', { username: 'city-clerk', displayName: '某某', roles: ['supervisor'], jurisdiction: '4112' });
    expect(cityWide.status).toBe(403);
    expect(cityWide.body).toMatchObject({ code: 'FORBIDDEN', details: { jurisdiction: '4112' } });
    const otherCounty = await svc.as('admin', 'POST', '/users', { username: 'mc-clerk', displayName: '某某', roles: ['officer'], jurisdiction: '411221' });
    expect(otherCounty.status).toBe(403);
    const system = await svc.as('admin', 'POST', '/users', { username: 'robot', displayName: '某某', roles: ['system'], jurisdiction: '411282' });
    expect(system.status).toBe(400);
    expect(system.body.details[0].path).toMatch(/^body\.roles/);
    // Widening an existing user, or the admin themself, is refused too.
    const p = await createPerson();
    expect((await svc.as('admin', 'PATCH', `/users/${p.id}`, { jurisdiction: '41' })).status).toBe(403);
    expect((await svc.as('admin', 'PATCH', `/users/${svc.users.admin.id}`, { jurisdiction: '4112' })).status).toBe(403);
    const users = await svc.as('admin', 'GET', '/users?limit=200');
    expect(users.body.items.find((u: { username: string }) => u.username === 'city-clerk')).toBeUndefined();
  });

  it('users of another county do not exist for a county admin', async () => {
    const p = await createPerson();
    for (const [method, url, body] of [
      ['GET', `/users/${p.id}`, undefined],
      ['PATCH', `/users/${p.id}`, { displayName: '改名' }],
      ['POST', `/users/${p.id}/deactivate`, undefined],
      ['POST', `/users/${p.id}/password-reset`, undefined],
    ] as const) {
      const r = await svc.as('mcAdmin', method, url, body);
      expect(r.status, url).toBe(404);
      expect(r.body.code).toBe('USER_NOT_FOUND');
    }
    const list = await svc.as('mcAdmin', 'GET', '/users?limit=200');
    expect(list.body.items.every((u: { jurisdiction: string }) => u.jurisdiction.startsWith('411221'))).toBe(true);
    expect((await svc.as('mcAdmin', 'GET', '/users?within=411282')).status).toBe(403);
  });

  it('only admins manage users; unknown fields are refused', async () => {
    expect((await svc.as('officer', 'GET', '/users')).status).toBe(403);
    expect((await svc.as('supervisor', 'POST', '/users', { username: 'x-y-z', displayName: 'x', roles: ['officer'], jurisdiction: '411282' })).status).toBe(403);
    const extra = await svc.as('admin', 'POST', '/users', { username: 'extra-field', displayName: 'x', roles: ['officer'], jurisdiction: '411282', isRoot: true });
    expect(extra.status).toBe(400);
    expect(extra.body.details).toEqual([{ path: 'body.isRoot', message: 'unknown field' }]);
    const noLevel = await svc.as('admin', 'POST', '/users', { username: 'reviewer-x', displayName: 'x', roles: ['reviewer'], jurisdiction: '411282' });
    expect(noLevel.body.details).toEqual([{ path: 'body.reviewLevel', message: expect.stringMatching(/review level/) }]);
  });

  it('twenty parallel creations of one username: one user, nineteen USER_CONFLICT', async () => {
    const body = { username: `race-${testDbKind()}`, displayName: '某某', roles: ['officer'], jurisdiction: '411282' };
    const answers = await Promise.all(Array.from({ length: 20 }, () => svc.as('admin', 'POST', '/users', body)));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    const refused = answers.filter((a) => a.status !== 201);
    expect(refused.every((a) => a.status === 409 && a.body.code === 'USER_CONFLICT' && a.body.details.field === 'username')).toBe(true);
  });
});

describe('the security log', () => {
  it('records who changed what, when, from where; an admin reads their jurisdiction only', async () => {
    const p = await createPerson();
    await svc.as('admin', 'PATCH', `/users/${p.id}`, { roles: ['visitor'], displayName: '李某某' });
    await svc.as('admin', 'POST', `/users/${p.id}/deactivate`);
    const log = await svc.as('admin', 'GET', `/security-log?subjectId=${p.id}`);
    expect(log.status).toBe(200);
    expect(log.body.items.map((e: { action: string }) => e.action)).toEqual(['user.deactivated', 'user.updated', 'user.created']);
    const updated = log.body.items[1];
    expect(updated).toMatchObject({ actorUsername: 'admin', subjectUsername: p.username, scope: '411282', ip: '127.0.0.1', requestId: expect.any(String) });
    expect(updated.details).toEqual({ roles: { from: ['officer'], to: ['visitor'] }, displayName: true });
    expect(JSON.stringify(log.body)).not.toContain('李某某'); // names are personal data
    expect(JSON.stringify(log.body)).not.toContain('王某某');
    expect((await svc.as('mcAdmin', 'GET', `/security-log?subjectId=${p.id}`)).body.items).toEqual([]);
  });

  // Last in the file: it breaks the chain on purpose.
  it('is append-only and hash-chained', async () => {
    await createPerson();
    const db = svc.database.db;
    const refusal = (statement: ReturnType<typeof sql>) =>
      db.execute(statement).then(
        () => 'accepted',
        (err: { message: string; cause?: { message?: string } }) => err.cause?.message ?? err.message,
      );
    expect(await refusal(sql`update security_log set action = 'sign_out'`)).toMatch(/append-only: UPDATE refused/);
    expect(await refusal(sql`delete from security_log`)).toMatch(/append-only: DELETE refused/);
    expect(await refusal(sql`truncate security_log`)).toMatch(/append-only: TRUNCATE refused/);
    const verified = await verifySecurityLog(db);
    expect(verified.ok).toBe(true);
    const viaApi = await svc.as('provinceAdmin', 'GET', '/security-log/verify');
    expect(viaApi.body).toEqual({ ok: true, count: verified.count });
    expect((await svc.as('admin', 'GET', '/security-log/verify')).status).toBe(403); // a county admin sees part of the chain only

    // Someone with the owner's rights switches the trigger off and rewrites an entry: the chain says where.
    await db.execute(sql`alter table security_log disable trigger security_log_append_only`);
    await db.execute(sql`update security_log set actor_username = 'someone-else' where seq = 2`);
    await db.execute(sql`alter table security_log enable trigger security_log_append_only`);
    expect((await svc.as('provinceAdmin', 'GET', '/security-log/verify')).body).toEqual({ ok: false, count: 1, brokenAtSeq: 2 });
    const [{ n }] = rows<{ n: number }>(await db.execute(sql`select count(*)::int as n from security_log`));
    expect(verified.count).toBe(n);
  });
});
