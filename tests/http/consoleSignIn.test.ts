// The console's sign-in form is refused when another site posts it (a login-CSRF), and accepted from our own
// page — which Chromium posts with `Origin: null` under the Referrer-Policy no-referrer every page carries
// (the browser tests found that), so Sec-Fetch-Site decides when the browser sends it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../helpers/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => {
  await svc?.close();
});

const post = (headers: Record<string, string>) =>
  svc.app.inject({
    method: 'POST',
    url: '/console/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: 'username=officer&password=not-the-password',
  });

describe('POST /console/login: whose page posted it', () => {
  it.each([
    ['Sec-Fetch-Site same-origin, Origin null (Chromium under no-referrer)', { 'sec-fetch-site': 'same-origin', origin: 'null' }],
    ['Sec-Fetch-Site same-origin, no Origin', { 'sec-fetch-site': 'same-origin' }],
    ['no Sec-Fetch-Site, Origin of this host', { origin: 'http://localhost:80' }],
    ['neither header (not a browser)', {}],
  ])('%s: the credentials are checked', async (_name, headers) => {
    const res = await post(headers);
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('data-code="INVALID_CREDENTIALS"');
  });

  it.each([
    ['Sec-Fetch-Site cross-site', { 'sec-fetch-site': 'cross-site', origin: 'null' }],
    ['Sec-Fetch-Site same-site (a sibling subdomain)', { 'sec-fetch-site': 'same-site', origin: 'https://other.example.gov.cn' }],
    ['Sec-Fetch-Site none', { 'sec-fetch-site': 'none' }],
    ['no Sec-Fetch-Site, another Origin', { origin: 'https://evil.example' }],
    ['no Sec-Fetch-Site, Origin null (a sandboxed frame)', { origin: 'null' }],
  ])('%s: refused before any password is checked', async (_name, headers) => {
    const res = await post(headers);
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('data-code="FORBIDDEN"');
  });
});
