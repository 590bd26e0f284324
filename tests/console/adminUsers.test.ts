// 管理 · 用户: an admin creates a user (the initial password shown once), who signs in on the console and must
// change it first; bad input re-renders the form with Chinese messages and creates nothing; a county admin
// neither sees nor edits a user of another county; deactivation and password reset ask first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUser } from '../../src/db/index.js';
import { startService, type TestService } from '../helpers/service.js';
import { consoleAs, csrfOf, mainOf } from '../helpers/console.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

const secretOf = (html: string) => /<code class="secret" data-secret>([^<]+)<\/code>/.exec(html)?.[1] ?? null;

async function signInOnConsole(username: string, password: string) {
  const login = await svc.app.inject({ method: 'GET', url: '/console/login' });
  expect(login.statusCode).toBe(200);
  const res = await svc.app.inject({
    method: 'POST',
    url: '/console/login',
    payload: new URLSearchParams({ username, password, next: '/console/' }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  const setCookie = ([] as string[]).concat((res.headers['set-cookie'] as string | string[] | undefined) ?? []);
  const cookie = setCookie.map((c) => c.split(';')[0]).find((c) => c.startsWith('doudi_session=')) ?? null;
  return { status: res.statusCode, location: res.headers.location, cookie, html: res.body };
}

describe('管理 · 用户', () => {
  it('creates a user, shows the initial password once; the new user signs in and must change it', async () => {
    const c = await consoleAs(svc, 'admin');
    const form = await c.get('/console/admin/users/new');
    expect(form.status).toBe(200);
    expect(form.html).toContain('name="_csrf"');
    const created = await c.post('/console/admin/users', { username: 'lb-new-enumerator', displayName: '新普查员', roles: 'enumerator', jurisdiction: '411282108' });
    expect(created.status).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const password = secretOf(created.html);
    expect(password).toMatch(/^[A-Za-z0-9_-]{10,}$/);
    expect(mainOf(created.html)).toContain('此密码只显示这一次');
    // Not shown again: the user's page has no password.
    const page = await c.get('/console/admin/users/lb-new-enumerator');
    expect(page.status).toBe(200);
    expect(page.html).not.toContain(password!);
    expect(page.html).toContain('待修改初始密码');

    const signed = await signInOnConsole('lb-new-enumerator', password!);
    expect(signed.status).toBe(303);
    expect(signed.location).toBe('/console/password');
    // Every page sends them to change the password first.
    const inbox = await svc.app.inject({ method: 'GET', url: '/console/', headers: { cookie: signed.cookie! } });
    expect(inbox.statusCode).toBe(303);
    expect(inbox.headers.location).toBe('/console/password');
    const pw = await svc.app.inject({ method: 'GET', url: '/console/password', headers: { cookie: signed.cookie! } });
    expect(pw.body).toContain('请先设置新密码');
  });

  it('bad input: the form again with Chinese messages beside the fields; nothing is created', async () => {
    const c = await consoleAs(svc, 'admin');
    const r = await c.post('/console/admin/users', { username: 'X', displayName: '', jurisdiction: '411282' });
    expect(r.status).toBe(400);
    const main = mainOf(r.html);
    expect(main).toContain('id="username-error">用户名为 3～64 位小写字母');
    expect(main).toMatch(/id="username"[^>]*aria-invalid="true" aria-describedby="username-error"/);
    expect(main).toContain('id="displayName-error">请输入姓名');
    expect(main).toContain('id="roles-error">请至少选择一个角色');
    // A reviewer without a level: refused by the engine, shown in Chinese at the field.
    const noLevel = await c.post('/console/admin/users', { username: 'lb-rev-x', displayName: '审核', roles: 'reviewer', jurisdiction: '411282' });
    expect(noLevel.status).toBe(400);
    expect(mainOf(noLevel.html)).toContain('id="reviewLevel-error">审核人员须');
    // Jurisdiction outside the admin's own.
    const wide = await c.post('/console/admin/users', { username: 'lb-wide', displayName: '越权', roles: 'enumerator', jurisdiction: '411221' });
    expect(wide.status).toBe(403);
    expect(mainOf(wide.html)).toContain('id="jurisdiction-error">只能授予您管辖范围内的地区');
    // A username taken.
    const dup = await c.post('/console/admin/users', { username: 'supervisor', displayName: '重名', roles: 'enumerator', jurisdiction: '411282' });
    expect(dup.status).toBe(409);
    expect(mainOf(dup.html)).toContain('该用户名已被使用');
    const all = await svc.engine.accounts.listUsers(svc.principal('admin'), { limit: 200 });
    expect(all.items.map((u) => u.username)).not.toEqual(expect.arrayContaining(['lb-rev-x']));
    expect(all.items.map((u) => u.username)).not.toContain('lb-wide');
  });

  it('edits roles, review level, jurisdiction and name', async () => {
    const c = await consoleAs(svc, 'admin');
    await c.get('/console/admin/users/village2');
    const r = await c.post('/console/admin/users/village2', { displayName: '孙家沟村审核', roles: 'reviewer', reviewLevel: 'township', jurisdiction: '411282108' });
    expect(r.status).toBe(200);
    expect(mainOf(r.html)).toContain('已保存');
    const u = await svc.engine.accounts.getUserByUsername(svc.principal('admin'), 'village2');
    expect(u).toMatchObject({ displayName: '孙家沟村审核', reviewLevel: 'township', jurisdiction: '411282108' });
  });

  it('a county admin of 渑池县 neither sees nor edits a user of 灵宝市', async () => {
    const mc = await consoleAs(svc, 'mcAdmin');
    const list = await mc.get('/console/admin/users');
    expect(list.status).toBe(200);
    expect(mainOf(list.html)).toContain('mcAdmin');
    expect(mainOf(list.html)).not.toContain('>supervisor<');
    expect(mainOf(list.html)).not.toContain('>admin<');
    expect((await mc.get('/console/admin/users/supervisor')).status).toBe(404);
    const edit = await mc.post('/console/admin/users/supervisor', { displayName: '改名', roles: 'admin', jurisdiction: '411221' });
    expect(edit.status).toBe(404);
    expect((await mc.post('/console/admin/users/supervisor/deactivate', {})).status).toBe(404);
    expect((await mc.post('/console/admin/users/supervisor/reset-password', {})).status).toBe(404);
    const u = await svc.engine.accounts.getUserByUsername(svc.principal('admin'), 'supervisor');
    expect(u).toMatchObject({ displayName: 'supervisor', roles: ['supervisor'], active: true });
  });

  it('deactivation and password reset ask on a page first; the reset password is shown once', async () => {
    const c = await consoleAs(svc, 'admin');
    const edit = await c.get('/console/admin/users/visitor');
    expect(edit.html).toContain('href="/console/admin/users/visitor/deactivate"');
    const ask = await c.get('/console/admin/users/visitor/deactivate');
    expect(ask.status).toBe(200);
    expect(mainOf(ask.html)).toContain('确定停用吗');
    expect(csrfOf(ask.html)).toBeTruthy();
    // Still active until the confirmation is posted.
    expect((await svc.engine.accounts.getUserByUsername(svc.principal('admin'), 'visitor')).active).toBe(true);
    const done = await c.post('/console/admin/users/visitor/deactivate', {});
    expect(done.status).toBe(303);
    expect((await svc.engine.accounts.getUserByUsername(svc.principal('admin'), 'visitor')).active).toBe(false);
    expect(mainOf((await c.get(done.headers.location as string)).html)).toContain('该用户已停用');
    await c.post('/console/admin/users/visitor/reactivate', {});
    expect((await svc.engine.accounts.getUserByUsername(svc.principal('admin'), 'visitor')).active).toBe(true);

    const reset = await c.post('/console/admin/users/visitor/reset-password', {});
    expect(reset.status).toBe(200);
    const temp = secretOf(reset.html);
    expect(temp).toBeTruthy();
    const signed = await signInOnConsole('visitor', temp!);
    expect(signed.location).toBe('/console/password');
    // One's own account cannot be deactivated (the engine says no; shown in Chinese).
    const self = await c.post('/console/admin/users/admin/deactivate', {});
    expect(self.status).toBe(403);
    expect(mainOf(self.html)).toContain('不能停用您自己的账号');
  });

  it('lists users in pages, by username, without ids', async () => {
    for (let i = 0; i < 35; i++) {
      await insertUser(svc.database.db, { username: `zz-extra-${String(i).padStart(2, '0')}`, displayName: `用户${i}`, roles: ['visitor'], jurisdiction: '411282108' });
    }
    const c = await consoleAs(svc, 'provinceAdmin');
    const first = await c.get('/console/admin/users');
    expect(first.status).toBe(200);
    const usernames = (html: string) => [...mainOf(html).matchAll(/<a href="\/console\/admin\/users\/([^"/?]+)">/g)].map((m) => m[1]);
    expect(usernames(first.html)).toHaveLength(30);
    expect(first.html).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
    const next = /<a href="([^"]+)" rel="next">下一页<\/a>/.exec(first.html)?.[1];
    expect(next).toBeTruthy();
    const second = await c.get(next!.replace(/&amp;/g, '&'));
    const both = [...usernames(first.html), ...usernames(second.html)];
    expect(new Set(both).size).toBe(both.length);
    expect(both).toContain('zz-extra-34');
  });
});
