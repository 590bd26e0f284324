// A signed-in browser for console tests: a session started through the engine's accounts module (the same
// call the sign-in page makes), its cookie on every request, the CSRF token read from the page's form.
import type { UserRow } from '../../src/db/index.js';
import { isUuid } from '../../src/db/uuid.js';
import type { TestService } from '../helpers/service.js';

export type Fields = [string, string][];

export const encode = (fields: Fields) => fields.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');

/** The value of a hidden or text input on a page. */
export function inputValue(html: string, name: string): string {
  const re = new RegExp(`name="${name.replace(/[[\].]/g, (c) => `\\${c}`)}"[^>]*value="([^"]*)"`);
  const m = re.exec(html);
  if (!m) throw new Error(`no input ${name} on the page`);
  return m[1];
}

export async function browser(svc: TestService, user: UserRow) {
  const started = await svc.engine.accounts.startSession(user, { via: 'password' });
  const cookie = `doudi_session=${started.cookie}`;
  async function get(url: string) {
    const res = await svc.app.inject({ method: 'GET', url, headers: { cookie } });
    return { status: res.statusCode, html: res.body, headers: res.headers };
  }
  async function post(url: string, fields: Fields) {
    const res = await svc.app.inject({ method: 'POST', url, payload: encode(fields), headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' } });
    return { status: res.statusCode, html: res.body, headers: res.headers, location: String(res.headers.location ?? '') };
  }
  return { get, post, cookie };
}

/** The case a console URL names (/console/survey/<number or id>): its id, for checking through the engine. */
export async function caseIdOf(svc: TestService, principal: Parameters<TestService['engine']['worklist']>[0], location: string): Promise<string> {
  const ref = decodeURIComponent(location.split('?')[0].split('/').at(-1) ?? '');
  if (isUuid(ref)) return ref;
  const found = await svc.engine.worklist(principal, { view: 'all', includeClosed: true, page: 1, pageSize: 100 });
  const hit = found.items.find((c) => (c as { caseNumber?: string }).caseNumber === ref);
  if (!hit) throw new Error(`no case ${ref}`);
  return hit.id;
}
