// The admin's time settings over HTTP: the calendar per year (PUT/GET round trip, every problem with its path,
// admins only) and the deadline policy; both reach the next transition at once and rewrite no stored deadline.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTimeSettings } from '../../src/service.js';
import { startService, sunSurvey, type TestService, type TestUser } from '../helpers/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

async function put(who: TestUser, url: string, body: unknown) {
  const res = await svc.app.inject({ method: 'PUT', url, payload: body as never, headers: { authorization: `Bearer ${svc.token(who)}` } });
  return { status: res.statusCode, body: JSON.parse(res.body) };
}
const get = (who: TestUser, url: string) => svc.as(who, 'GET', url);
const send = (who: TestUser, caseId: string, body: object) => svc.as(who, 'POST', `/cases/${caseId}/events`, body);

/** A new case walked to village review now; its review deadline. */
async function toVillageReview() {
  const c = await svc.as('enumerator', 'POST', '/households', sunSurvey());
  const caseId = c.body.caseId as string;
  await send('enumerator', caseId, { type: 'SUBMIT_SURVEY' });
  const r = await send('evaluator', caseId, { type: 'START_EVALUATION' });
  for (const m of r.body.household.members) {
    await send('evaluator', caseId, { type: 'RECORD_ASSESSMENT', assessment: { memberId: m.id, categories: ['elderly'], labourCapacity: 'none', evidence: ['证明'] } });
  }
  const s = await send('evaluator', caseId, { type: 'SUBMIT_EVALUATION', conclusion: '符合' });
  expect(s.body, JSON.stringify(s.body)).toMatchObject({ state: 'review', reviewLevel: 'village' });
  return { caseId, deadline: s.body.deadline as { key: string; at: string } };
}

// A synthetic calendar (not the real 2026 schedule): the week of 9 March off, Saturday 21 March a working day.
const synthetic2026 = {
  year: 2026,
  holidays: ['2026-03-09', '2026-03-10', '2026-03-11', '2026-03-12', '2026-03-13'].map((date) => ({ date, name: '测试假期' })),
  workdays: [{ date: '2026-03-21', name: '测试调休上班' }],
};

describe('the calendar', () => {
  it('is empty for a year nobody loaded', async () => {
    const r = await get('admin', '/calendar/2026');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ year: 2026, holidays: [], workdays: [] });
  });

  it('only admins read or load it', async () => {
    for (const who of ['supervisor', 'officer', 'citySupervisor'] as const) {
      expect((await get(who, '/calendar/2026')).status).toBe(403);
      const r = await put(who, '/calendar/2026', synthetic2026);
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ code: 'FORBIDDEN', details: { roles: ['admin'] } });
      // The role is checked before the body: no validation details for someone who may not ask.
      expect((await put(who, '/calendar/2026', { year: 'x' })).status).toBe(403);
    }
  });

  it('refuses a bad file with every problem and its path', async () => {
    const r = await put('admin', '/calendar/2026', {
      year: 2026,
      holidays: [{ date: '2026-02-29', name: '不存在' }, { date: '2027-01-01', name: '明年' }, { date: '2026-05-01' }],
      workdays: [{ date: '2026-05-01', name: '冲突' }, { date: '2026-05-06', name: '周三' }],
    });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('VALIDATION_FAILED');
    expect(r.body.details).toEqual(
      expect.arrayContaining([
        { path: 'body.holidays[0].date', message: 'expected a real calendar date' },
        { path: 'body.holidays[1].date', message: '2027-01-01 is not in 2026' },
        { path: 'body.workdays[0].date', message: '2026-05-01 is both a holiday and a make-up working day (also holidays[2])' },
        { path: 'body.workdays[1].date', message: '2026-05-06 is a Wednesday: a make-up working day (调休上班) falls on a Saturday or Sunday' },
      ]),
    );
    const wrongYear = await put('admin', '/calendar/2026', { ...synthetic2026, year: 2025 });
    expect(wrongYear.status).toBe(400);
    expect(wrongYear.body.details).toContainEqual({ path: 'body.year', message: 'expected 2026, the year in the path' });
    expect((await put('admin', '/calendar/1999', { year: 1999, holidays: [], workdays: [] })).body.details[0].path).toBe('params.year');
    expect((await get('admin', '/calendar/2026')).body.holidays).toEqual([]); // nothing stored
  });

  it('a holiday week loaded by the admin moves the next 5-working-day review deadline', async () => {
    const before = await toVillageReview(); // Monday 2 March, 09:00
    expect(before.deadline).toEqual({ key: 'review.village', at: '2026-03-09T16:00:00.000Z' }); // end of Mon 9 March

    const r = await put('admin', '/calendar/2026', synthetic2026);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual(synthetic2026);
    expect((await get('admin', '/calendar/2026')).body).toEqual(synthetic2026);

    const after = await toVillageReview();
    expect(after.deadline.at).toBe('2026-03-16T16:00:00.000Z'); // 9–13 March off: end of Mon 16 March
    // The stored deadline of the earlier case is not rewritten.
    expect((await get('supervisor', `/cases/${before.caseId}`)).body.deadline.at).toBe('2026-03-09T16:00:00.000Z');
  });

  it('a make-up working day counts; loading the year again replaces it', async () => {
    svc.clock.set('2026-03-16T01:00:00Z'); // Monday 16 March
    expect((await toVillageReview()).deadline.at).toBe('2026-03-21T16:00:00.000Z'); // Tue–Fri, then Sat 21 is the 5th
    const r = await put('admin', '/calendar/2026', { year: 2026, holidays: [], workdays: [] });
    expect(r.body).toEqual({ year: 2026, holidays: [], workdays: [] });
    expect((await toVillageReview()).deadline.at).toBe('2026-03-23T16:00:00.000Z'); // end of Mon 23 March
    svc.clock.set('2026-03-02T01:00:00Z');
  });

  it('loads the 2025 sample file as the README shows, and gives it back', async () => {
    const file = JSON.parse(readFileSync(new URL('../../docs/calendar-2025.json', import.meta.url), 'utf8'));
    const r = await put('admin', '/calendar/2025', file);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect((await get('admin', '/calendar/2025')).body).toEqual(file);
    expect(svc.engine.deps.calendar.isWorkingDay('2025-01-26')).toBe(true);
    expect(svc.engine.deps.calendar.isWorkingDay('2025-10-08')).toBe(false);
    await put('admin', '/calendar/2025', { year: 2025, holidays: [], workdays: [] });
  });

  it('two admins loading the same year at once: both succeed, one of them wins whole', async () => {
    const one = { year: 2027, holidays: [{ date: '2027-01-01', name: '元旦' }], workdays: [] };
    const two = { year: 2027, holidays: [{ date: '2027-05-03', name: '劳动节' }], workdays: [{ date: '2027-05-08', name: '调休' }] };
    const results = await Promise.all([put('admin', '/calendar/2027', one), put('admin', '/calendar/2027', two), put('admin', '/calendar/2027', one)]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    const stored = (await get('admin', '/calendar/2027')).body;
    expect([one, two]).toContainEqual(stored);
    const cal = svc.engine.deps.calendar;
    expect(cal.yearData(2027)).toEqual({ holidays: stored.holidays.map((d: { date: string }) => d.date), workdays: stored.workdays.map((d: { date: string }) => d.date) });
    await put('admin', '/calendar/2027', { year: 2027, holidays: [], workdays: [] });
  });

  it('the start-up load puts the stored calendar into the engine', async () => {
    await put('admin', '/calendar/2026', synthetic2026);
    const calendar = svc.engine.deps.calendar;
    calendar.replaceYear(2026, { holidays: [], workdays: [] }); // as a fresh process would have it
    expect(calendar.isWorkingDay('2026-03-10')).toBe(true);
    const loaded = await loadTimeSettings(svc);
    expect(loaded).toEqual({ calendarYears: [2026], overriddenSteps: [] });
    expect(calendar.isWorkingDay('2026-03-10')).toBe(false);
    expect(calendar.isWorkingDay('2026-03-21')).toBe(true);
    await put('admin', '/calendar/2026', { year: 2026, holidays: [], workdays: [] });
  });
});

describe('the deadline policy', () => {
  it('shows the defaults in effect', async () => {
    const r = await get('admin', '/settings/deadlines');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ overrides: {}, updatedBy: null, updatedAt: null, fixedSteps: ['noticePeriod', 'exitNotice'] });
    expect(r.body.policy['review.village']).toEqual({ amount: 5, unit: 'working_days' });
    expect(r.body.policy).toEqual(r.body.defaults);
    expect((await get('supervisor', '/settings/deadlines')).status).toBe(403);
    expect((await put('supervisor', '/settings/deadlines', {})).status).toBe(403);
  });

  it('refuses unknown steps with the list of known ones, and bad rules', async () => {
    const r = await put('admin', '/settings/deadlines', {
      'review.province': { amount: 5, unit: 'working_days' },
      placement: { amount: 5, unit: 'weeks' },
      noticePeriod: { amount: 10, unit: 'calendar_days' },
    });
    expect(r.status).toBe(400);
    const byPath = Object.fromEntries(r.body.details.map((d: { path: string; message: string }) => [d.path, d.message]));
    expect(Object.keys(byPath)).toEqual(['body["review.province"]', 'body.placement.unit', 'body.noticePeriod']);
    expect(byPath['body["review.province"]']).toMatch(/^unknown step; known steps: surveySubmitted, .*review\.township.*placement/);
    expect((await get('admin', '/settings/deadlines')).body.overrides).toEqual({}); // nothing stored
  });

  it('a change reaches the next computed deadline at once; {} restores the defaults', async () => {
    svc.clock.set('2026-03-02T01:00:00Z');
    const r = await put('admin', '/settings/deadlines', { 'review.village': { amount: 2, unit: 'calendar_days' } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({
      overrides: { 'review.village': { amount: 2, unit: 'calendar_days' } },
      policy: { 'review.village': { amount: 2, unit: 'calendar_days' }, 'review.township': { amount: 5, unit: 'working_days' } },
      updatedBy: 'admin',
      updatedAt: '2026-03-02T01:00:00.000Z',
    });
    expect((await toVillageReview()).deadline.at).toBe('2026-03-04T01:00:00.000Z'); // 2 calendar days

    // The stored override is what a restarted service loads.
    const policy = svc.engine.deps.deadlinePolicy;
    policy['review.village'] = { amount: 5, unit: 'working_days' };
    expect(await loadTimeSettings(svc)).toEqual({ calendarYears: [], overriddenSteps: ['review.village'] });
    expect(policy['review.village']).toEqual({ amount: 2, unit: 'calendar_days' });

    const reset = await put('admin', '/settings/deadlines', {});
    expect(reset.body.overrides).toEqual({});
    expect((await toVillageReview()).deadline.at).toBe('2026-03-09T16:00:00.000Z'); // 5 working days again
  });
});
