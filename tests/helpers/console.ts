/**
 * A person using the console in a test: a real session (started through the accounts module, as the sign-in
 * page does), its cookie on every request, and the CSRF token read from the page the way a browser form
 * carries it. Forms are posted url-encoded, as a browser posts them.
 */
import type { TestService, TestUser } from './service.js';

export interface ConsoleResponse {
  status: number;
  html: string;
  headers: Record<string, unknown>;
}

export async function consoleAs(svc: TestService, who: TestUser) {
  const started = await svc.engine.accounts.startSession(svc.users[who], { via: 'password' });
  const cookie = `doudi_session=${started.cookie}`;
  let csrf = started.csrfToken;

  async function get(url: string, headers: Record<string, string> = {}): Promise<ConsoleResponse> {
    const res = await svc.app.inject({ method: 'GET', url, headers: { cookie, ...headers } });
    const token = /name="_csrf" value="([^"]+)"/.exec(res.body)?.[1];
    if (token) csrf = token;
    return { status: res.statusCode, html: res.body, headers: res.headers };
  }

  /** Post a form; `htmx` adds the headers htmx sends (then errors come back as a fragment for #alerts). */
  async function post(url: string, fields: Record<string, string | string[]>, opts: { htmx?: boolean; csrf?: string | null } = {}): Promise<ConsoleResponse> {
    const form = new URLSearchParams();
    const token = opts.csrf === undefined ? csrf : opts.csrf;
    if (token) form.append('_csrf', token);
    for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) form.append(k, x);
    const res = await svc.app.inject({
      method: 'POST',
      url,
      payload: form.toString(),
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...(opts.htmx ? { 'hx-request': 'true' } : {}) },
    });
    return { status: res.statusCode, html: res.body, headers: res.headers };
  }

  return { get, post, cookie, csrf: () => csrf };
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

/** Text of the page without tags, for assertions on what a person reads. */
export function textOf(html: string): string {
  return html.replace(/<script[\s\S]*?<\/script>/g, '').replace(/<[^>]+>/g, ' ').replace(/&[a-z#0-9]+;/g, ' ').replace(/\s+/g, ' ');
}
