// A console session for tests: a signed-in person (through the accounts module's own startSession, as the
// sign-in page does), GET pages, and POST forms with the CSRF token read from the page's hidden _csrf field.
import type { TestService, TestUser } from '../helpers/service.js';

export interface Page {
  status: number;
  html: string;
  headers: Record<string, string | string[] | number | undefined>;
}

export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no _csrf field on the page');
  return m[1];
}

/** The page's <main> (without the layout's menu and its sign-out form). */
export const mainOf = (html: string) => /<main[\s\S]*<\/main>/.exec(html)?.[0] ?? '';

export const decode = (s: string) => s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');

export async function consoleAs(svc: TestService, who: TestUser | { id: string }) {
  const user = typeof who === 'string' ? svc.users[who] : (await svc.engine.accounts.loadUser(who.id))!;
  const started = await svc.engine.accounts.startSession(user, { via: 'password' });
  const cookie = `doudi_session=${started.cookie}`;
  let csrf = '';

  async function get(url: string, headers: Record<string, string> = {}): Promise<Page> {
    const res = await svc.app.inject({ method: 'GET', url, headers: { cookie, ...headers } });
    if (res.statusCode === 200 && /name="_csrf"/.test(res.body)) csrf = csrfOf(res.body);
    return { status: res.statusCode, html: res.body, headers: res.headers };
  }

  /** POST a form (urlencoded) with the session's CSRF token (read from the last page, or `token`). */
  async function post(url: string, form: Record<string, string | string[]>, opts: { token?: string | null; headers?: Record<string, string> } = {}): Promise<Page> {
    if (!csrf && opts.token === undefined) await get('/console/');
    const params = new URLSearchParams();
    const token = opts.token === undefined ? csrf : opts.token;
    if (token) params.append('_csrf', token);
    for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) params.append(k, x);
    const res = await svc.app.inject({
      method: 'POST',
      url,
      payload: params.toString(),
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...opts.headers },
    });
    return { status: res.statusCode, html: res.body, headers: res.headers };
  }

  /** POST a multipart form (a file upload). */
  async function postMultipart(url: string, fields: Record<string, string>, file?: { name: string; filename: string; content: string }): Promise<Page> {
    if (!csrf) await get('/console/');
    const boundary = '----doudi-test-boundary';
    const parts: string[] = [];
    for (const [k, v] of Object.entries({ _csrf: csrf, ...fields })) parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
    if (file) parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="${file.filename}"\r\nContent-Type: application/json\r\n\r\n${file.content}\r\n`);
    parts.push(`--${boundary}--\r\n`);
    const res = await svc.app.inject({ method: 'POST', url, payload: Buffer.from(parts.join(''), 'utf8'), headers: { cookie, 'content-type': `multipart/form-data; boundary=${boundary}` } });
    return { status: res.statusCode, html: res.body, headers: res.headers };
  }

  return { get, post, postMultipart, cookie, user };
}
