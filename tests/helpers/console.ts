/**
 * A person using the console in a test: a real session (started through the accounts module, as the sign-in
 * page does), its cookie on every request, and the CSRF token read from the page the way a browser form
 * carries it. Forms are posted url-encoded (or multipart for an upload), as a browser posts them.
 */
import type { TestService, TestUser } from './service.js';

export interface ConsolePage {
  status: number;
  html: string;
  headers: Record<string, string | string[] | number | undefined>;
  /** The Location header of a redirect ('' when none). */
  location: string;
}

/** Form fields: an object (repeated names as arrays) or name/value pairs in order. */
export type Fields = Record<string, string | string[]> | [string, string][];

export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no _csrf field on the page');
  return m[1];
}

/** The value of a hidden or text input on a page. */
export function inputValue(html: string, name: string): string {
  const re = new RegExp(`name="${name.replace(/[[\].]/g, (c) => `\\${c}`)}"[^>]*value="([^"]*)"`);
  const m = re.exec(html);
  if (!m) throw new Error(`no input ${name} on the page`);
  return m[1];
}

/** The page's <main> (without the layout's menu and its sign-out form). */
export const mainOf = (html: string) => /<main[\s\S]*<\/main>/.exec(html)?.[0] ?? '';

export const decode = (s: string) => s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');

/** Text of the page without tags, for assertions on what a person reads. */
export function textOf(html: string): string {
  return html.replace(/<script[\s\S]*?<\/script>/g, '').replace(/<[^>]+>/g, ' ').replace(/&[a-z#0-9]+;/g, ' ').replace(/\s+/g, ' ');
}

/** The hidden fields of the action form for `event` on a rendered case page. */
export function actionForm(html: string, event: string): Record<string, string> {
  const at = html.indexOf(`data-event="${event}"`);
  if (at < 0) throw new Error(`no ${event} form on the page`);
  const form = html.slice(at, html.indexOf('</form>', at));
  const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(form)?.[1];
  const objectionId = field('objectionId');
  return { rowVersion: field('rowVersion')!, idempotencyKey: field('idempotencyKey')!, ...(objectionId ? { objectionId } : {}) };
}

/** The case a console URL names (/console/survey/<number>, /console/c/<number>): its id, to check through the engine. */
export async function caseIdOf(svc: TestService, who: TestUser, url: string): Promise<string> {
  const number = decodeURIComponent(url.split('?')[0].split('/').at(-1) ?? '');
  return (await svc.engine.getCaseByNumber(svc.principal(who), number)).id;
}

export async function consoleAs(svc: TestService, who: TestUser | { id: string }) {
  const user = typeof who === 'string' ? svc.users[who] : (await svc.engine.accounts.loadUser(who.id))!;
  const started = await svc.engine.accounts.startSession(user, { via: 'password' });
  const cookie = `doudi_session=${started.cookie}`;
  let csrf = started.csrfToken;
  const answer = (res: { statusCode: number; body: string; headers: ConsolePage['headers'] }): ConsolePage => ({
    status: res.statusCode,
    html: res.body,
    headers: res.headers,
    location: String(res.headers.location ?? ''),
  });

  async function get(url: string, headers: Record<string, string> = {}): Promise<ConsolePage> {
    const res = await svc.app.inject({ method: 'GET', url, headers: { cookie, ...headers } });
    if (res.statusCode === 200 && /name="_csrf" value="[^"]+"/.test(res.body)) csrf = csrfOf(res.body);
    return answer(res);
  }

  /**
   * POST a form with the session's CSRF token (unless the fields carry their own `_csrf`, or `token` says
   * otherwise: null sends none). `htmx` adds the header htmx sends (errors then come back as a fragment).
   */
  async function post(url: string, fields: Fields, opts: { token?: string | null; htmx?: boolean; headers?: Record<string, string> } = {}): Promise<ConsolePage> {
    const pairs = Array.isArray(fields) ? fields : Object.entries(fields).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => [k, x] as [string, string]));
    const params = new URLSearchParams();
    const token = opts.token === undefined ? csrf : opts.token;
    if (token && !pairs.some(([k]) => k === '_csrf')) params.append('_csrf', token);
    for (const [k, v] of pairs) params.append(k, v);
    const res = await svc.app.inject({
      method: 'POST',
      url,
      payload: params.toString(),
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...(opts.htmx ? { 'hx-request': 'true' } : {}), ...opts.headers },
    });
    return answer(res);
  }

  /** POST a multipart form (a file upload). */
  async function postMultipart(url: string, fields: Record<string, string>, file?: { name: string; filename: string; content: string | Buffer }): Promise<ConsolePage> {
    const boundary = '----doudi-test-boundary';
    const parts: Buffer[] = [];
    for (const [k, v] of Object.entries({ _csrf: csrf, ...fields })) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`, 'utf8'));
    if (file) {
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="${file.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`, 'utf8'));
      parts.push(Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content, 'utf8'), Buffer.from('\r\n'));
    }
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    const res = await svc.app.inject({ method: 'POST', url, payload: Buffer.concat(parts), headers: { cookie, 'content-type': `multipart/form-data; boundary=${boundary}` } });
    return answer(res);
  }

  return { get, post, postMultipart, cookie, user, csrf: () => csrf };
}
