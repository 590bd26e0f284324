// The in-app inbox of reminders: each user lists (newest first, keyset pages, unread filter) and marks read only
// their own; anyone else's notification, or an unknown one, is 404 as if it did not exist.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertNotifications } from '../../src/db/index.js';
import { startService, type TestService, type TestUser } from '../helpers/service.js';

let svc: TestService;
const ids: Record<'township' | 'village', number[]> = { township: [], village: [] };

beforeAll(async () => {
  svc = await startService();
  for (const who of ['township', 'village'] as const) {
    for (let n = 1; n <= (who === 'township' ? 5 : 2); n++) {
      const [row] = await insertNotifications(svc.database.db, [
        {
          userId: svc.users[who].id,
          kind: 'overdue',
          title: `乡镇审核已超期 ${n}`,
          body: `第 ${n} 条`,
          data: { step: 'review.township', n },
          createdAt: svc.clock.advance(60_000),
        },
      ]);
      ids[who].push(row.id);
    }
  }
});
afterAll(async () => svc?.close());

const list = async (who: TestUser, query = '') => {
  const r = await svc.as(who, 'GET', `/notifications${query}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body as { items: { id: number; title: string; readAt: string | null; data: Record<string, unknown> }[]; nextBefore: number | null };
};

describe('GET /notifications', () => {
  it('lists the caller’s own, newest first, with their fields', async () => {
    const page = await list('township');
    expect(page.items.map((n) => n.id)).toEqual([...ids.township].reverse());
    expect(page.nextBefore).toBeNull();
    expect(page.items[0]).toMatchObject({ kind: 'overdue', title: '乡镇审核已超期 5', body: '第 5 条', caseId: null, readAt: null, data: { step: 'review.township', n: 5 } });
    expect((page.items[0] as unknown as { createdAt: string }).createdAt).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    expect((await list('village')).items.map((n) => n.id)).toEqual([...ids.village].reverse());
    expect((await list('county')).items).toEqual([]);
  });

  it('pages by id: nextBefore of one page is before of the next', async () => {
    const seen: number[] = [];
    let query = '?limit=2';
    for (let pages = 0; pages < 10; pages++) {
      const page = await list('township', query);
      seen.push(...page.items.map((n) => n.id));
      if (page.nextBefore === null) break;
      expect(page.items).toHaveLength(2);
      query = `?limit=2&before=${page.nextBefore}`;
    }
    expect(seen).toEqual([...ids.township].reverse());
  });

  it('refuses a bad limit or cursor, and a caller without a token', async () => {
    for (const q of ['?limit=0', '?limit=201', '?before=abc', '?unread=maybe']) {
      const r = await svc.as('township', 'GET', `/notifications${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.code).toBe('VALIDATION_FAILED');
    }
    expect((await svc.as(null, 'GET', '/notifications')).status).toBe(401);
  });
});

describe('POST /notifications/:id/read', () => {
  it('marks the caller’s own read, once: reading again keeps the first time; unread=true leaves it out', async () => {
    const id = ids.township[1];
    const readAt = svc.clock.advance(60_000).toISOString();
    const r = await svc.as('township', 'POST', `/notifications/${id}/read`);
    expect(r.status).toBe(204);
    expect(r.body).toBeNull();
    svc.clock.advance(60_000);
    expect((await svc.as('township', 'POST', `/notifications/${id}/read`)).status).toBe(204);

    const all = await list('township');
    expect(all.items.find((n) => n.id === id)?.readAt).toBe(readAt);
    const unread = await list('township', '?unread=true');
    expect(unread.items.map((n) => n.id)).toEqual(ids.township.filter((x) => x !== id).reverse());
    expect((await list('township', '?unread=true&limit=1')).nextBefore).toBe(ids.township[4]);
  });

  it('someone else’s notification is 404 NOT_FOUND and stays unread; so is an unknown one; a bad id is 400', async () => {
    const theirs = ids.village[0];
    const r = await svc.as('township', 'POST', `/notifications/${theirs}/read`);
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('NOT_FOUND');
    expect((await list('village')).items.find((n) => n.id === theirs)?.readAt).toBeNull();

    expect((await svc.as('township', 'POST', '/notifications/999999999/read')).body.code).toBe('NOT_FOUND');
    expect((await svc.as('county', 'POST', `/notifications/${theirs}/read`)).status).toBe(404);
    // The scheduler's own principal (id `system`, not a stored user) has none, and reads none.
    const system = { id: 'system', username: 'system', roles: ['system' as const], level: null, region: '' };
    expect(await svc.engine.notifications(system, { limit: 10 })).toEqual({ items: [], nextBefore: null });
    await expect(svc.engine.readNotification(system, theirs)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const bad = await svc.as('township', 'POST', '/notifications/abc/read');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
  });
});
