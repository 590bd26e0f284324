// GET /overdue and GET /overdue/summary: cases left past their step's deadline show up for the supervisors of
// their county (and the city), never for another county's, most overdue first, with filters, keyset pages
// and counts by county and step.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { insertUser } from '../../src/db/index.js';
import { signToken } from '../../src/http/auth.js';
import { overduePageSchema, overdueSummarySchema } from '../../src/http/routes/overdue.js';
import { startService, sunSurvey, V, type TestService, type TestUser } from '../helpers/service.js';
import { walker } from '../helpers/walk.js';

let svc: TestService;
let mcSupervisorToken: string;

beforeAll(async () => {
  svc = await startService();
  // A supervisor of 渑池县 (the shared helper has only a reviewer and an officer there).
  const u = await insertUser(svc.database.db, { username: 'mcSupervisor', displayName: '渑池县分管领导', roles: ['supervisor'], jurisdiction: '411221' });
  mcSupervisorToken = signToken(svc.app, u, '1h');
});
afterAll(async () => svc?.close());

type Who = TestUser | 'mcSupervisor';

async function get(who: Who, url: string) {
  if (who !== 'mcSupervisor') return svc.as(who, 'GET', url);
  const res = await svc.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${mcSupervisorToken}` } });
  return { status: res.statusCode, body: JSON.parse(res.body), headers: res.headers };
}

const walk = () => walker(svc);
const send: ReturnType<typeof walker>['send'] = (...a) => walk().send(...a);
const newCase: ReturnType<typeof walker>['newCase'] = (...a) => walk().newCase(...a);
const walkToReview: ReturnType<typeof walker>['walkToReview'] = (...a) => walk().walkToReview(...a);

const ids = (body: { items: { caseId: string }[] }) => body.items.map((i) => i.caseId);

// Timeline (ManualClock, China time = UTC+8):
//   Mon 2 Mar 09:00   A walked to township review: due end of Mon 9 Mar (5 working days) = 2026-03-09T16:00Z
//                     C surveyed in 灵宝市, D in 渑池县: survey due end of Mon 23 Mar
//   Tue 3 Mar 09:00   B to village review, E to township review (明山村): both due end of Tue 10 Mar
//   Thu 12 Mar 09:00  A is 2 whole days overdue, B and E 1 day
//   Wed 25 Mar 09:00  C and D are overdue too
let A: string, B: string, C: string, D: string, E: string;

describe('overdue cases', () => {
  beforeAll(async () => {
    const a = await walkToReview('township');
    A = a.caseId;
    expect(a.deadline).toEqual({ key: 'review.township', at: '2026-03-09T16:00:00.000Z' });
    C = await newCase();
    D = await newCase('mcEnumerator', V.mianchi);
    svc.clock.advanceDays(1);
    B = (await walkToReview('village')).caseId;
    const e = await walkToReview('township', V.mingshan);
    E = e.caseId;
    expect(e.deadline.at).toBe('2026-03-10T16:00:00.000Z');
  });

  it('nothing is overdue before the deadlines', async () => {
    svc.clock.set('2026-03-09T15:59:59Z');
    const r = await get('supervisor', '/overdue');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ asOf: '2026-03-09T15:59:59.000Z', items: [], nextAfter: null });
  });

  it('a case left in township review past its deadline shows up for the 灵宝市 supervisor, not for 渑池县', async () => {
    svc.clock.set('2026-03-12T01:00:00Z'); // Thursday 09:00 in China
    const r = await get('supervisor', '/overdue');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.items[0]).toEqual({
      caseId: A,
      state: 'review',
      step: 'review.township',
      reviewLevel: 'township',
      villageCode: V.sunjiagou,
      townshipCode: '411282108',
      countyCode: '411282',
      deadlineAt: '2026-03-09T16:00:00.000Z',
      daysOverdue: 2,
    });
    // Most overdue first; B and E share a deadline and come in case-id order.
    expect(ids(r.body)).toEqual([A, ...[B, E].sort()]);
    expect(r.body.items.slice(1).map((i: { daysOverdue: number }) => i.daysOverdue)).toEqual([1, 1]);
    expect(r.body.nextAfter).toBeNull();

    const mc = await get('mcSupervisor', '/overdue');
    expect(mc.status).toBe(200);
    expect(mc.body.items).toEqual([]);
    // A filter outside the jurisdiction finds nothing; it never widens what the caller sees.
    expect((await get('mcSupervisor', '/overdue?county=411282')).body.items).toEqual([]);
    expect((await get('mcSupervisor', '/overdue?township=411282108')).body.items).toEqual([]);
    expect((await get('mcSupervisor', '/overdue/summary?county=411282')).body).toMatchObject({ total: 0, counties: [] });
    expect((await get('supervisor', '/overdue?county=411221')).body.items).toEqual([]);
  });

  it('the city supervisor, officers and admins see them too; other roles may not ask', async () => {
    expect(ids((await get('citySupervisor', '/overdue')).body)).toEqual([A, ...[B, E].sort()]);
    expect(ids((await get('officer', '/overdue')).body)).toEqual([A, ...[B, E].sort()]);
    expect((await get('admin', '/overdue')).status).toBe(200);
    for (const who of ['enumerator', 'county', 'system'] as const) {
      const r = await get(who, '/overdue');
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ code: 'FORBIDDEN', details: { roles: ['supervisor', 'admin', 'officer'] } });
      expect((await get(who, '/overdue/summary')).status).toBe(403);
      expect((await get(who, '/overdue?county=x')).status).toBe(403); // the role before the query
    }
    expect((await svc.as(null, 'GET', '/overdue')).status).toBe(401);
  });

  it('filters by step, review level, township, county and days overdue', async () => {
    expect(ids((await get('supervisor', '/overdue?step=review.township')).body)).toEqual([A, E]);
    expect(ids((await get('supervisor', '/overdue?level=village')).body)).toEqual([B]);
    expect(ids((await get('supervisor', '/overdue?minDaysOverdue=2')).body)).toEqual([A]);
    expect(ids((await get('supervisor', '/overdue?minDaysOverdue=3')).body)).toEqual([]);
    expect(ids((await get('supervisor', '/overdue?township=411282108&county=411282')).body)).toEqual([A, ...[B, E].sort()]);
    expect(ids((await get('citySupervisor', '/overdue?county=411282&step=review.village')).body)).toEqual([B]);
    expect(ids((await get('citySupervisor', '/overdue?township=411282108&minDaysOverdue=1')).body)).toHaveLength(3);
    expect(ids((await get('supervisor', '/overdue?step=placement')).body)).toEqual([]);
  });

  it('pages with a keyset cursor, also across a tie on the deadline', async () => {
    for (const who of ['supervisor', 'citySupervisor'] as const) {
      const seen: string[] = [];
      let url = '/overdue?limit=1';
      for (let page = 0; page < 5; page++) {
        const r = await get(who, url);
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        seen.push(...ids(r.body));
        if (!r.body.nextAfter) break;
        expect(r.body.nextAfter).toMatch(/^2026-03-\d\dT16:00:00\.000Z_[0-9a-f-]{36}$/);
        url = `/overdue?limit=1&after=${encodeURIComponent(r.body.nextAfter)}`;
      }
      expect(seen).toEqual([A, ...[B, E].sort()]);
    }
    const two = await get('supervisor', '/overdue?limit=2');
    expect(ids(two.body)).toHaveLength(2);
    const rest = await get('supervisor', `/overdue?limit=2&after=${encodeURIComponent(two.body.nextAfter)}`);
    expect(rest.body.nextAfter).toBeNull();
    expect([...ids(two.body), ...ids(rest.body)]).toEqual([A, ...[B, E].sort()]);
  });

  it('refuses malformed filters with field paths', async () => {
    const r = await get('supervisor', '/overdue?county=4112&level=province&minDaysOverdue=-1&limit=0');
    expect(r.status).toBe(400);
    expect(r.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['query.county', 'query.level', 'query.limit', 'query.minDaysOverdue']);
    const c = await get('supervisor', '/overdue?after=yesterday');
    expect(c.status).toBe(400);
    expect(c.body.details).toEqual([{ path: 'query.after', message: 'expected the nextAfter of the previous page' }]);
  });

  it('counts overdue cases by county and step', async () => {
    const r = await get('supervisor', '/overdue/summary');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({
      asOf: '2026-03-12T01:00:00.000Z',
      total: 3,
      counties: [{ countyCode: '411282', total: 3, steps: [{ step: 'review.township', count: 2 }, { step: 'review.village', count: 1 }] }],
    });
    expect((await get('mcSupervisor', '/overdue/summary')).body).toMatchObject({ total: 0, counties: [] });
    expect((await get('supervisor', '/overdue/summary?minDaysOverdue=2')).body.total).toBe(1);
  });

  it('replies are exactly what their schemas say (they are serialized without a second zod pass)', async () => {
    // Strict copies of the documented schemas: an extra field (one the engine started sending by mistake) fails
    // here, since no serializer strips it any more.
    const strictItem = overduePageSchema.shape.items.element.strict();
    const page = overduePageSchema.extend({ items: z.array(strictItem) }).strict();
    const summary = overdueSummarySchema.strict();
    for (const url of ['/overdue', '/overdue?limit=1', '/overdue?county=411282&step=review.township']) {
      const r = await get('supervisor', url);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.items.length).toBeGreaterThan(0);
      expect(page.parse(r.body)).toEqual(r.body);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
    }
    const s = await get('supervisor', '/overdue/summary');
    expect(summary.parse(s.body)).toEqual(s.body);
    const bad = await get('supervisor', '/overdue?limit=0');
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body).sort()).toEqual(['code', 'details', 'message']);
  });

  it('later, both counties have overdue surveys; each supervisor counts only their own', async () => {
    svc.clock.set('2026-03-25T01:00:00Z'); // Wednesday; surveys were due by the end of Monday 23 March
    const city = await get('citySupervisor', '/overdue/summary');
    expect(city.body).toMatchObject({
      total: 5,
      counties: [
        { countyCode: '411221', total: 1, steps: [{ step: 'surveySubmitted', count: 1 }] },
        {
          countyCode: '411282',
          total: 4,
          steps: [
            { step: 'review.township', count: 2 },
            { step: 'review.village', count: 1 },
            { step: 'surveySubmitted', count: 1 },
          ],
        },
      ],
    });
    expect((await get('mcSupervisor', '/overdue/summary')).body).toMatchObject({
      total: 1,
      counties: [{ countyCode: '411221', total: 1, steps: [{ step: 'surveySubmitted', count: 1 }] }],
    });
    const mc = await get('mcSupervisor', '/overdue');
    expect(mc.body.items).toEqual([expect.objectContaining({ caseId: D, step: 'surveySubmitted', countyCode: '411221', daysOverdue: 1 })]);
    const all = await get('citySupervisor', '/overdue');
    expect(ids(all.body)).toEqual([A, ...[B, E].sort(), ...[C, D].sort()]);
    expect(ids((await get('citySupervisor', '/overdue?step=surveySubmitted')).body)).toEqual([C, D].sort());
  });

  it('a case that moves on is no longer overdue', async () => {
    const r = await send('township', A, { type: 'APPROVE', comment: '同意' });
    expect(r.body, JSON.stringify(r.body)).toMatchObject({ state: 'review', reviewLevel: 'county' });
    const after = await get('supervisor', '/overdue');
    expect(ids(after.body)).not.toContain(A);
    expect(ids(after.body)).toHaveLength(3);
  });
});
