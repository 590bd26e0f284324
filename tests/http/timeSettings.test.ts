// The admin's time settings over HTTP: the calendar per year (PUT/GET round trip, every problem with its path,
// admins only) and the deadline policy; both reach the next transition at once and rewrite no stored deadline.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTimeSettings } from '../../src/service.js';
import { defaultDeadlinePolicy } from '../../src/time/deadlinePolicy.js';
import { lockHolder, onPostgres, type LockHolder } from '../helpers/race.js';
import { startService, V, sunSurvey, type TestService, type TestUser } from '../helpers/service.js';

let svc: TestService;
let holder: LockHolder;
beforeAll(async () => {
  svc = await startService();
  holder = await lockHolder(svc.database);
});
afterAll(async () => {
  await holder?.close();
  await svc?.close();
});

/** PUT with If-Match: the version given, or (`'current'`) the one a GET of the same URL shows now. */
async function put(who: TestUser, url: string, body: unknown, ifMatch: string | number | null = 'current') {
  const version = ifMatch === 'current' ? await currentVersion(url) : ifMatch;
  const headers: Record<string, string> = { authorization: `Bearer ${svc.token(who)}` };
  if (version !== null) headers['if-match'] = `"${version}"`;
  const res = await svc.app.inject({ method: 'PUT', url, payload: body as never, headers });
  return { status: res.statusCode, body: JSON.parse(res.body), etag: res.headers.etag };
}
async function currentVersion(url: string): Promise<number> {
  const r = await svc.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${svc.token('provinceAdmin')}` } });
  return r.statusCode === 200 ? Number(JSON.parse(String(r.headers.etag))) : 0;
}
const get = (who: TestUser, url: string) => svc.as(who, 'GET', url);
const send = (who: TestUser, caseId: string, body: object) => svc.as(who, 'POST', `/cases/${caseId}/events`, body);

/** A new case walked to village review now; its review deadline. */
async function toVillageReview(county: 'lingbao' | 'mianchi' = 'lingbao') {
  const [enumerator, evaluator] = county === 'lingbao' ? (['enumerator', 'evaluator'] as const) : (['mcEnumerator', 'mcEvaluator'] as const);
  const c = await svc.as(enumerator, 'POST', '/households', sunSurvey(county === 'lingbao' ? V.sunjiagou : V.mianchi));
  expect(c.status, JSON.stringify(c.body)).toBe(201);
  const caseId = c.body.caseId as string;
  await send(enumerator, caseId, { type: 'SUBMIT_SURVEY' });
  const r = await send(evaluator, caseId, { type: 'START_EVALUATION' });
  for (const m of r.body.household.members) {
    await send(evaluator, caseId, { type: 'RECORD_ASSESSMENT', assessment: { memberId: m.id, categories: ['elderly'], labourCapacity: 'none', evidence: ['证明'] } });
  }
  const s = await send(evaluator, caseId, { type: 'SUBMIT_EVALUATION', conclusion: '符合' });
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
    expect(r.body).toEqual({ year: 2026, scope: 'global', holidays: [], workdays: [] });
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
    const r = await put('provinceAdmin', '/calendar/2026', {
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
    const wrongYear = await put('provinceAdmin', '/calendar/2026', { ...synthetic2026, year: 2025 });
    expect(wrongYear.status).toBe(400);
    expect(wrongYear.body.details).toContainEqual({ path: 'body.year', message: 'expected 2026, the year in the path' });
    expect((await put('provinceAdmin', '/calendar/1999', { year: 1999, holidays: [], workdays: [] })).body.details[0].path).toBe('params.year');
    expect((await get('admin', '/calendar/2026')).body.holidays).toEqual([]); // nothing stored
  });

  it('a holiday week loaded by the admin moves the next 5-working-day review deadline', async () => {
    const before = await toVillageReview(); // Monday 2 March, 09:00
    expect(before.deadline).toEqual({ key: 'review.village', at: '2026-03-09T16:00:00.000Z' }); // end of Mon 9 March

    const r = await put('provinceAdmin', '/calendar/2026', synthetic2026);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ ...synthetic2026, scope: 'global' });
    expect((await get('admin', '/calendar/2026')).body).toEqual({ ...synthetic2026, scope: 'global' });

    const after = await toVillageReview();
    expect(after.deadline.at).toBe('2026-03-16T16:00:00.000Z'); // 9–13 March off: end of Mon 16 March
    // The stored deadline of the earlier case is not rewritten.
    expect((await get('supervisor', `/cases/${before.caseId}`)).body.deadline.at).toBe('2026-03-09T16:00:00.000Z');
  });

  it('a make-up working day counts; loading the year again replaces it', async () => {
    svc.clock.set('2026-03-16T01:00:00Z'); // Monday 16 March
    expect((await toVillageReview()).deadline.at).toBe('2026-03-21T16:00:00.000Z'); // Tue–Fri, then Sat 21 is the 5th
    const r = await put('provinceAdmin', '/calendar/2026', { year: 2026, holidays: [], workdays: [] });
    expect(r.body).toEqual({ year: 2026, scope: 'global', holidays: [], workdays: [] });
    expect((await toVillageReview()).deadline.at).toBe('2026-03-23T16:00:00.000Z'); // end of Mon 23 March
    svc.clock.set('2026-03-02T01:00:00Z');
  });

  it('loads the 2025 sample file as the README shows, and gives it back', async () => {
    const file = JSON.parse(readFileSync(new URL('../../docs/calendar-2025.json', import.meta.url), 'utf8'));
    const r = await put('provinceAdmin', '/calendar/2025', file);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect((await get('admin', '/calendar/2025')).body).toEqual({ ...file, scope: 'global' });
    expect(svc.engine.deps.calendar.isWorkingDay('2025-01-26')).toBe(true);
    expect(svc.engine.deps.calendar.isWorkingDay('2025-10-08')).toBe(false);
    await put('provinceAdmin', '/calendar/2025', { year: 2025, holidays: [], workdays: [] });
  });

  it('two admins loading the same year at once from the same version: one wins whole, the other is told', async () => {
    const one = { year: 2027, holidays: [{ date: '2027-01-01', name: '元旦' }], workdays: [] };
    const two = { year: 2027, holidays: [{ date: '2027-05-03', name: '劳动节' }], workdays: [{ date: '2027-05-08', name: '调休' }] };
    // Both read version 0; the test holds the year's claim (a lock on calendar_years) until both wait for it.
    const { results, blocked } = await holder.raced(
      (t) => t`lock table calendar_years in share row exclusive mode`,
      2,
      () => [put('provinceAdmin', '/calendar/2027', one, 0), put('provinceAdmin', '/calendar/2027', two, 0)],
    );
    if (onPostgres) expect(blocked).toBe(2);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const loser = results.find((r) => r.status === 409)!;
    expect(loser.body).toMatchObject({ code: 'SETTING_VERSION_CONFLICT', details: { setting: 'calendar:2027', scope: 'global', expectedVersion: 0, currentVersion: 1 } });
    const winner = results.find((r) => r.status === 200)!;
    const stored = await get('admin', '/calendar/2027');
    expect(stored.body).toEqual(winner.body);
    expect(stored.headers.etag).toBe('"1"');
    const cal = svc.engine.deps.calendar;
    expect(cal.yearData(2027)).toEqual({ holidays: stored.body.holidays.map((d: { date: string }) => d.date), workdays: stored.body.workdays.map((d: { date: string }) => d.date) });
    // The loser reloads and tries again: accepted on the version it now read.
    const again = await put('provinceAdmin', '/calendar/2027', results.indexOf(loser) === 0 ? one : two, 1);
    expect(again.status).toBe(200);
    expect(again.etag).toBe('"2"');
    await put('provinceAdmin', '/calendar/2027', { year: 2027, holidays: [], workdays: [] });
  });

  it('a change without If-Match is refused (428), a stale one 409; county and city admins may not load it', async () => {
    const none = await put('provinceAdmin', '/calendar/2028', { year: 2028, holidays: [], workdays: [] }, null);
    expect(none.status).toBe(428);
    expect(none.body).toMatchObject({ code: 'PRECONDITION_REQUIRED', details: { header: 'If-Match', currentVersion: 0 } });
    expect((await put('provinceAdmin', '/calendar/2028', { year: 2028, holidays: [], workdays: [] }, 3)).body.code).toBe('SETTING_VERSION_CONFLICT');
    for (const who of ['admin', 'mcAdmin', 'cityAdmin'] as const) {
      const r = await put(who, '/calendar/2028', { year: 2028, holidays: [{ date: '2028-01-03', name: '某县自定假日' }], workdays: [] });
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ code: 'FORBIDDEN', details: { jurisdiction: 'global' } });
    }
    expect((await get('admin', '/calendar/2028')).body.holidays).toEqual([]);
    expect((await put('provinceAdmin', '/calendar/2028', { year: 2028, scope: '411221', holidays: [], workdays: [] })).body.details).toContainEqual({
      path: 'body.scope',
      message: 'the working-day calendar is national: its scope is global',
    });
  });

  it('the start-up load puts the stored calendar into the engine', async () => {
    await put('provinceAdmin', '/calendar/2026', synthetic2026);
    const calendar = svc.engine.deps.calendar;
    calendar.replaceYear(2026, { holidays: [], workdays: [] }); // as a fresh process would have it
    expect(calendar.isWorkingDay('2026-03-10')).toBe(true);
    const loaded = await loadTimeSettings(svc);
    expect(loaded).toEqual({ calendarYears: [2026], deadlineScopes: {} });
    expect(calendar.isWorkingDay('2026-03-10')).toBe(false);
    expect(calendar.isWorkingDay('2026-03-21')).toBe(true);
    await put('provinceAdmin', '/calendar/2026', { year: 2026, holidays: [], workdays: [] });
  });
});

describe('the deadline policy, by scope', () => {
  const D = '/settings/deadlines';

  it('shows the defaults in effect at the caller\'s own scope, with the chain above it', async () => {
    const r = await get('admin', D);
    expect(r.status).toBe(200);
    expect(r.headers.etag).toBe('"0"');
    expect(r.body).toMatchObject({ scope: '411282', level: 'county', version: 0, overrides: {}, updatedBy: null, updatedAt: null, fixedSteps: ['noticePeriod', 'exitNotice'] });
    expect(r.body.chain.map((c: { scope: string }) => c.scope)).toEqual(['global', '41', '4112', '411282']);
    expect(r.body.policy['review.village']).toEqual({ amount: 5, unit: 'working_days' });
    expect(r.body.source['review.village']).toBe('default');
    expect(r.body.policy).toEqual(r.body.defaults);
    expect((await get('cityAdmin', D)).body.scope).toBe('4112');
    expect((await get('supervisor', D)).status).toBe(403);
    expect((await put('supervisor', `${D}/411282`, {})).status).toBe(403);
  });

  it('a county admin changes their own county only: not another county, the city, the province or global', async () => {
    // The report: 渑池县's admin (411221) changed 灵宝市's (411282) deadlines.
    for (const scope of ['411282', '4112', '41', 'global']) {
      const r = await put('mcAdmin', `${D}/${scope}`, { 'review.county': { amount: 10, unit: 'working_days' } });
      expect(r.status, scope).toBe(403);
      expect(r.body).toMatchObject({ code: 'FORBIDDEN', details: { jurisdiction: scope } });
    }
    expect((await get('mcAdmin', `${D}/411282`)).status).toBe(403); // nor read it
    expect((await get('admin', `${D}/411282`)).body.overrides).toEqual({});
    expect((await get('admin', `${D}/4112`)).status).toBe(200); // what applies above one's county is readable
    // The city admin may change the city and a county inside it, not the province.
    expect((await put('cityAdmin', `${D}/41`, {})).status).toBe(403);
    expect((await put('provinceAdmin', `${D}/12`, {})).status).toBe(403); // another province
  });

  it('a county shortens a limit for its own cases only; the other county keeps the default', async () => {
    svc.clock.set('2026-03-02T01:00:00Z');
    const r = await put('mcAdmin', `${D}/411221`, { 'review.village': { amount: 2, unit: 'working_days' } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.etag).toBe('"1"');
    expect(r.body).toMatchObject({
      scope: '411221', level: 'county', version: 1, updatedBy: 'mcAdmin', updatedAt: '2026-03-02T01:00:00.000Z',
      overrides: { 'review.village': { amount: 2, unit: 'working_days' } },
      policy: { 'review.village': { amount: 2, unit: 'working_days' }, 'review.township': { amount: 5, unit: 'working_days' } },
      source: { 'review.village': '411221', 'review.township': 'default' },
    });
    expect((await toVillageReview('mianchi')).deadline.at).toBe('2026-03-04T16:00:00.000Z'); // 2 working days
    expect((await toVillageReview('lingbao')).deadline.at).toBe('2026-03-09T16:00:00.000Z'); // 5, untouched
    expect((await get('admin', D)).body.policy['review.village']).toEqual({ amount: 5, unit: 'working_days' });
    expect(svc.logLines.some((l) => l.includes('deadline policy changed') && l.includes('"scope":"411221"'))).toBe(true);
    expect((await put('mcAdmin', `${D}/411221`, {})).status).toBe(200);
  });

  it('below global a scope may only shorten a limit; the most specific scope wins', async () => {
    const longer = await put('admin', `${D}/411282`, { 'review.county': { amount: 20, unit: 'working_days' }, placement: { amount: 10, unit: 'working_days' } });
    expect(longer.status).toBe(400);
    expect(longer.body.details).toEqual([{ path: 'body["review.county"]', message: 'a county may only shorten a limit: at most 15 working days (the default)' }]);

    // The province lengthens placement to 20 working days (global is the deployment's own policy); the city
    // shortens it to 12, the county to 10 calendar days: the county's applies to its cases.
    expect((await put('provinceAdmin', `${D}/global`, { placement: { amount: 20, unit: 'working_days' } })).status).toBe(200);
    expect((await put('cityAdmin', `${D}/4112`, { placement: { amount: 12, unit: 'working_days' } })).status).toBe(200);
    const tooLong = await put('admin', `${D}/411282`, { placement: { amount: 15, unit: 'working_days' } });
    expect(tooLong.body.details).toEqual([{ path: 'body.placement', message: 'a county may only shorten a limit: at most 12 working days (set for scope 4112)' }]);
    expect((await put('admin', `${D}/411282`, { placement: { amount: 10, unit: 'calendar_days' } })).status).toBe(200);
    expect(svc.engine.deps.deadlinePolicy.for(V.sunjiagou).placement).toEqual({ amount: 10, unit: 'calendar_days' });
    expect(svc.engine.deps.deadlinePolicy.for(V.mianchi).placement).toEqual({ amount: 12, unit: 'working_days' });
    const view = await get('admin', D);
    expect(view.body.source.placement).toBe('411282');
    expect(view.body.chain.map((c: { version: number }) => c.version)).toEqual([1, 0, 1, 1]);

    // The city tightens below the county's limit afterwards: the county's looser one is ignored, and shown so.
    expect((await put('cityAdmin', `${D}/4112`, { placement: { amount: 5, unit: 'working_days' } })).status).toBe(200);
    const after = await get('admin', D);
    expect(after.body.policy.placement).toEqual({ amount: 5, unit: 'working_days' });
    expect(after.body.chain.find((c: { scope: string }) => c.scope === '411282').ignored).toEqual(['placement']);
    expect(svc.engine.deps.deadlinePolicy.for(V.sunjiagou).placement).toEqual({ amount: 5, unit: 'working_days' });

    for (const [who, scope] of [['admin', '411282'], ['cityAdmin', '4112'], ['provinceAdmin', 'global']] as const) {
      expect((await put(who, `${D}/${scope}`, {})).status).toBe(200);
    }
    expect(svc.engine.deps.deadlinePolicy.for(V.sunjiagou)).toEqual(defaultDeadlinePolicy);
  });

  it('refuses unknown steps with the list of known ones, and bad rules; a scope of another shape', async () => {
    const r = await put('admin', `${D}/411282`, {
      'review.province': { amount: 5, unit: 'working_days' },
      placement: { amount: 5, unit: 'weeks' },
      noticePeriod: { amount: 10, unit: 'calendar_days' },
    });
    expect(r.status).toBe(400);
    const byPath = Object.fromEntries(r.body.details.map((d: { path: string; message: string }) => [d.path, d.message]));
    expect(Object.keys(byPath)).toEqual(['body["review.province"]', 'body.placement.unit', 'body.noticePeriod']);
    expect(byPath['body["review.province"]']).toMatch(/^unknown step; known steps: surveySubmitted, .*review\.township.*placement/);
    expect((await get('admin', D)).body.overrides).toEqual({}); // nothing stored
    for (const scope of ['411282108', '4', 'GLOBAL', '41128']) {
      expect((await put('admin', `${D}/${scope}`, {})).body.details[0].path, scope).toBe('params.scope');
    }
    expect((await put('admin', D, {})).status).toBe(404); // a change always names its scope
  });

  it('a change without If-Match is 428; with a stale version 409, and nothing changes', async () => {
    const none = await put('admin', `${D}/411282`, { placement: { amount: 9, unit: 'working_days' } }, null);
    expect(none.status).toBe(428);
    expect(none.body).toMatchObject({ code: 'PRECONDITION_REQUIRED', details: { header: 'If-Match' } });
    const { version } = (await get('admin', D)).body;
    const stale = await put('admin', `${D}/411282`, { placement: { amount: 9, unit: 'working_days' } }, version + 5);
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: 'SETTING_VERSION_CONFLICT', details: { setting: 'deadlines', scope: '411282', expectedVersion: version + 5, currentVersion: version } });
    expect((await get('admin', D)).body.version).toBe(version);
  });

  it('two admins changing the same scope at once from the same version: one wins, the other is told (409)', async () => {
    // Both read version 0 of 渑池县 (a scope never set): two inserts race for the row.
    const fresh = await get('mcAdmin', D);
    const v = fresh.body.version;
    const a = { 'review.township': { amount: 3, unit: 'working_days' } };
    const b = { 'review.county': { amount: 10, unit: 'working_days' } };
    const { results, blocked } = await holder.raced(
      (t) => t`lock table settings in share row exclusive mode`,
      2,
      () => [put('mcAdmin', `${D}/411221`, a, v), put('provinceAdmin', `${D}/411221`, b, v)],
    );
    if (onPostgres) expect(blocked).toBe(2);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const winner = results.find((r) => r.status === 200)!;
    expect(results.find((r) => r.status === 409)!.body).toMatchObject({ code: 'SETTING_VERSION_CONFLICT', details: { scope: '411221', expectedVersion: v, currentVersion: v + 1 } });
    const stored = (await get('mcAdmin', D)).body;
    expect(stored.overrides).toEqual(winner.body.overrides);
    expect(svc.engine.deps.deadlinePolicy.get('411221').override).toEqual(winner.body.overrides);

    // And two updates of an existing row from the same version.
    const w = stored.version;
    const again = await holder.raced(
      (t) => t`select 1 from settings where key = 'deadlines' and scope = '411221' for update`,
      2,
      () => [put('mcAdmin', `${D}/411221`, a, w), put('provinceAdmin', `${D}/411221`, b, w)],
    );
    expect(again.results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect((await get('mcAdmin', D)).body.version).toBe(w + 1);
    await put('mcAdmin', `${D}/411221`, {});
  });

  it('the stored overrides are what a restarted service loads', async () => {
    expect((await put('admin', `${D}/411282`, { 'review.village': { amount: 2, unit: 'calendar_days' } })).status).toBe(200);
    const policy = svc.engine.deps.deadlinePolicy;
    policy.replaceAll([]); // as a fresh process would have it
    expect(policy.for(V.sunjiagou)['review.village']).toEqual({ amount: 5, unit: 'working_days' });
    const loaded = await loadTimeSettings(svc);
    expect(loaded.deadlineScopes).toEqual({ '411282': ['review.village'] });
    expect(policy.for(V.sunjiagou)['review.village']).toEqual({ amount: 2, unit: 'calendar_days' });
    expect(policy.for(V.mianchi)['review.village']).toEqual({ amount: 5, unit: 'working_days' });
    svc.clock.set('2026-03-02T01:00:00Z');
    expect((await toVillageReview()).deadline.at).toBe('2026-03-04T01:00:00.000Z'); // 2 calendar days
    await put('admin', `${D}/411282`, {});
  });
});
