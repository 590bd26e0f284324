// 通知: the menu's unread count, the list (unread ones marked), marking read (also in place for htmx), and
// nobody marks another person's notification.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertNotifications } from '../../src/db/index.js';
import { startService, type TestService } from '../helpers/service.js';
import { consoleAs, mainOf } from '../helpers/console.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

describe('通知', () => {
  it('counts the unread in the menu, lists them marked, and marks one read', async () => {
    const at = svc.clock.now();
    const [first, second] = await insertNotifications(svc.database.db, [
      { userId: svc.users.supervisor.id, kind: 'escalation', title: '乡镇审核超期已逾7日，请督办', body: '乡镇审核超期已逾7日，请督办', data: { step: 'review.township' }, createdAt: at },
      { userId: svc.users.supervisor.id, kind: 'overdue', title: '村委会审核已超期', body: '村委会审核已超期', data: { step: 'review.village' }, createdAt: at },
      { userId: svc.users.mcSupervisor.id, kind: 'overdue', title: '别人的通知', body: '别人的通知', data: {}, createdAt: at },
    ]);
    expect(await svc.engine.unreadNotificationCount(svc.principal('supervisor'))).toBe(2);

    const c = await consoleAs(svc, 'supervisor');
    const home = await c.get('/console/');
    expect(home.html).toContain('aria-label="通知（2 条未读）"');
    expect(home.html).toContain('<span class="count">2</span>');

    const list = await c.get('/console/notifications');
    const main = mainOf(list.html);
    expect(main).toContain('超期督办');
    expect(main).toContain('乡镇审核超期已逾7日，请督办');
    expect(main).not.toContain('别人的通知');
    expect(main.match(/class="notice unread"/g)?.length).toBe(2);

    // Marked read (a plain form post: back to the list); the count goes down.
    const marked = await c.post(`/console/notifications/${first.id}/read`, {});
    expect(marked.status).toBe(303);
    const after = await c.get('/console/notifications');
    expect(after.html).toContain('aria-label="通知（1 条未读）"');
    expect(mainOf(after.html).match(/class="notice unread"/g)?.length).toBe(1);
    expect(mainOf((await c.get('/console/notifications?unread=1')).html)).not.toContain('乡镇审核超期已逾7日');

    // htmx: the row comes back read, in place.
    const inPlace = await c.post(`/console/notifications/${second.id}/read`, {}, { headers: { 'hx-request': 'true' } });
    expect(inPlace.status).toBe(200);
    expect(inPlace.html).toContain(`id="n-${second.id}" class="notice"`);
    expect(inPlace.html).toContain('已读于');
    expect(await svc.engine.unreadNotificationCount(svc.principal('supervisor'))).toBe(0);
    expect((await c.get('/console/')).html).not.toContain('class="count"');
  });

  it('another person’s notification is not found, and stays unread', async () => {
    const at = svc.clock.now();
    const [theirs] = await insertNotifications(svc.database.db, [{ userId: svc.users.admin.id, kind: 'overdue', title: 't', body: 't', data: {}, createdAt: at }]);
    const c = await consoleAs(svc, 'supervisor');
    const r = await c.post(`/console/notifications/${theirs.id}/read`, {});
    expect(r.status).toBe(404);
    expect(await svc.engine.unreadNotificationCount(svc.principal('admin'))).toBe(1);
  });

  it('a post without the CSRF token is refused', async () => {
    const at = svc.clock.now();
    const [n] = await insertNotifications(svc.database.db, [{ userId: svc.users.supervisor.id, kind: 'overdue', title: 'x', body: 'x', data: {}, createdAt: at }]);
    const c = await consoleAs(svc, 'supervisor');
    expect((await c.post(`/console/notifications/${n.id}/read`, {}, { token: null })).status).toBe(403);
    expect(await svc.engine.unreadNotificationCount(svc.principal('supervisor'))).toBe(1);
  });
});
