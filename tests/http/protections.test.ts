// Request limits, security headers, CORS, Secure cookies behind TLS, and service accounts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../helpers/service.js';

describe('request rate limits', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService({ env: { RATE_LIMIT: '5', RATE_LIMIT_PUBLIC: '3' } });
  });
  afterAll(async () => svc?.close());

  const from = (remoteAddress: string, url: string, headers: Record<string, string> = {}) =>
    svc.app.inject({ method: 'GET', url, remoteAddress, headers });

  it('limits each client address per minute; the sixth request gets 429 RATE_LIMITED with Retry-After', async () => {
    const auth = { authorization: `Bearer ${svc.token('officer')}` };
    for (let i = 0; i < 5; i++) expect((await from('10.1.0.1', '/cases', auth)).statusCode).toBe(200);
    const refused = await from('10.1.0.1', '/cases', auth);
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterSeconds: expect.any(Number) } });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await from('10.1.0.2', '/cases', auth)).statusCode).toBe(200); // another address
  });

  it('is stricter on public routes, and never limits health probes', async () => {
    for (let i = 0; i < 3; i++) expect((await svc.app.inject({ method: 'POST', url: '/auth/token', remoteAddress: '10.2.0.1', payload: { username: 'x', password: 'y' } })).statusCode).toBe(401);
    expect((await svc.app.inject({ method: 'POST', url: '/auth/token', remoteAddress: '10.2.0.1', payload: { username: 'x', password: 'y' } })).json().code).toBe('RATE_LIMITED');
    for (let i = 0; i < 20; i++) expect((await from('10.2.0.1', '/healthz')).statusCode).toBe(200);
  });
});

describe('headers, CORS and cookies', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService({ env: { CORS_ORIGINS: 'https://console.example.gov.cn', TRUST_PROXY: 'on' } });
  });
  afterAll(async () => svc?.close());

  it('sends security headers on every answer', async () => {
    const res = await svc.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(String(res.headers['content-security-policy'])).toMatch(/default-src 'self'/);
    expect(String(res.headers['content-security-policy'])).toMatch(/frame-ancestors 'none'/);
  });

  it('allows only the configured origins from a browser page', async () => {
    const preflight = (origin: string) =>
      svc.app.inject({ method: 'OPTIONS', url: '/cases', headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
    const allowed = await preflight('https://console.example.gov.cn');
    expect(allowed.headers['access-control-allow-origin']).toBe('https://console.example.gov.cn');
    expect(allowed.headers['access-control-allow-credentials']).toBeUndefined();
    const other = await preflight('https://evil.example.com');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('no CORS at all by default', async () => {
    const plain = await startService();
    const res = await plain.app.inject({ method: 'GET', url: '/healthz', headers: { origin: 'https://console.example.gov.cn' } });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    await plain.close();
  });

  it('the session cookie is Secure when the request came over https (through a trusted proxy)', async () => {
    const created = await svc.as('admin', 'POST', '/users', { username: 'tls-clerk', displayName: '某某', roles: ['officer'], jurisdiction: '411282' });
    const res = await svc.app.inject({
      method: 'POST',
      url: '/auth/sign-in',
      payload: { username: 'tls-clerk', password: created.body.initialPassword },
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.cookies.find((c) => c.name === 'doudi_session')?.secure).toBe(true);
    const log = await svc.as('admin', 'GET', `/security-log?subjectId=${created.body.user.id}`);
    expect(log.body.items[0]).toMatchObject({ action: 'sign_in.succeeded', ip: '203.0.113.9' });
  });
});

describe('service accounts', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService();
  });
  afterAll(async () => svc?.close());

  it('get a secret once, exchange it for tokens, and never get a console session', async () => {
    const created = await svc.as('admin', 'POST', '/users', { username: 'county-bi-export', displayName: '统计导出程序', kind: 'service', roles: ['supervisor'], jurisdiction: '411282' });
    expect(created.status).toBe(201);
    expect(created.body.user).toMatchObject({ kind: 'service', mustChangePassword: false });
    const secret = created.body.initialPassword as string;
    expect(secret.length).toBeGreaterThanOrEqual(30);
    expect(JSON.stringify((await svc.as('admin', 'GET', `/users/${created.body.user.id}`)).body)).not.toContain(secret);

    const token = await svc.app.inject({ method: 'POST', url: '/auth/token', payload: { username: 'county-bi-export', password: secret } });
    expect(token.statusCode).toBe(200);
    const overdue = await svc.app.inject({ method: 'GET', url: '/overdue/summary', headers: { authorization: `Bearer ${token.json().token}` } });
    expect(overdue.statusCode).toBe(200);
    const session = await svc.app.inject({ method: 'POST', url: '/auth/sign-in', payload: { username: 'county-bi-export', password: secret } });
    expect(session.statusCode).toBe(403);
    expect(session.cookies).toEqual([]);
  });
});
