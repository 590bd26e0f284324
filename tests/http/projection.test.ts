// The care staffing and funding projection over HTTP, on both databases: the article's figures on a what-if, the
// live caseload (which states count), jurisdiction, and the parameters an admin of the city changes.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUser, rows } from '../../src/db/index.js';
import { signToken } from '../../src/http/auth.js';
import { idNumber, startService, V, type TestService, type TestUser } from '../helpers/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
  for (const level of ['village', 'township'] as const) {
    const u = await insertUser(svc.database.db, { username: `mc-${level}`, displayName: `mc-${level}`, roles: ['reviewer'], reviewLevel: level, jurisdiction: '411221' });
    extra[`mc-${level}`] = signToken(svc.config, { id: u.id }, '1h');
  }
});
afterAll(async () => {
  await svc?.close();
});

const today = () => new Date(svc.clock.now().getTime() + 8 * 3600_000).toISOString().slice(0, 10);
/** Reviewers of 渑池县's village and township levels, which the shared test users lack. */
const extra: Record<string, string> = {};
async function ok(who: TestUser | string, caseId: string, body: object) {
  const r = who in extra
    ? await svc.app.inject({ method: 'POST', url: `/cases/${caseId}/events`, payload: body, headers: { authorization: `Bearer ${extra[who]}` } }).then((x) => ({ status: x.statusCode, body: JSON.parse(x.body) }))
    : await svc.as(who as TestUser, 'POST', `/cases/${caseId}/events`, body);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

/** One elderly person: surveyed, evaluated, approved at three levels, notice ended — awaiting placement. */
async function approved(villageCode: string = V.sunjiagou, as = { enumerator: 'enumerator', evaluator: 'evaluator', levels: ['village', 'township', 'county'] } as { enumerator: TestUser; evaluator: TestUser; levels: string[] }) {
  const survey = { villageCode, address: '村', legalSupporter: null, members: [{ name: '老人', idNumber: idNumber('1940-01-01', 'male', villageCode.slice(0, 6)), birthDate: '1940-01-01', sex: 'male', relation: '户主', labourCapacity: 'none' }] };
  const caseId = (await svc.as(as.enumerator, 'POST', '/households', survey)).body.caseId as string;
  await ok(as.enumerator, caseId, { type: 'SUBMIT_SURVEY' });
  const c = await ok(as.evaluator, caseId, { type: 'START_EVALUATION' });
  await ok(as.evaluator, caseId, { type: 'RECORD_ASSESSMENT', assessment: { memberId: c.household.members[0].id, categories: ['elderly'], labourCapacity: 'none', evidence: ['证明'] } });
  await ok(as.evaluator, caseId, { type: 'SUBMIT_EVALUATION', conclusion: '符合' });
  for (const who of as.levels) await ok(who, caseId, { type: 'APPROVE' });
  svc.clock.advanceDays(7);
  expect((await ok('system', caseId, { type: 'NOTICE_PERIOD_ENDED' })).state).toBe('awaitingPlacement');
  return caseId;
}

const SIX = [
  { countyCode: '411202', households: 1200 },
  { countyCode: '411203', households: 1600 },
  { countyCode: '411221', households: 2000 },
  { countyCode: '411224', households: 2400 },
  { countyCode: '411281', households: 800 },
  { countyCode: '411282', households: 4000 },
];

describe('what-if', () => {
  it('12,000 households in six counties → 3,000 workers, 144,000,000 yuan; city 57,600,000; counties 86,400,000 by caseload', async () => {
    const r = await svc.as('citySupervisor', 'POST', '/projection/what-if', { counties: SIX });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.totals).toMatchObject({ households: 12_000, workers: 3_000, wageBill: '144000000.00', cityShare: '57600000.00', countiesShare: '86400000.00' });
    expect(r.body.parameters).toEqual({ householdsPerWorker: 4, monthlyWage: '4000.00', monthlyWageFen: 400_000, citySharePercent: 40 });
    expect(r.body.parametersSource).toBe('default');
    const lingbao = r.body.counties.find((c: { countyCode: string }) => c.countyCode === '411282');
    expect(lingbao).toMatchObject({ county: '灵宝市', households: 4000, workers: 1000, wageBill: '48000000.00', countyShare: '28800000.00' });
    const sum = r.body.counties.reduce((s: number, c: { countyShareFen: number }) => s + c.countyShareFen, 0);
    expect(sum).toBe(r.body.totals.countiesShareFen);
    // The report table exports use: one row per county, then 合计 with the city's share.
    expect(r.body.table.columns.map((c: { key: string }) => c.key)).toEqual(['countyCode', 'county', 'households', 'workers', 'wageBill', 'countyShare', 'cityShare']);
    expect(r.body.table.rows.at(-1)).toMatchObject({ county: '合计', workers: 3000, wageBill: 144_000_000, countyShare: 86_400_000, cityShare: 57_600_000 });
  });

  it('refuses counties outside the jurisdiction, repeats, unknown fields, and roles that do not plan money', async () => {
    const outside = await svc.as('supervisor', 'POST', '/projection/what-if', { counties: SIX });
    expect(outside.status).toBe(400);
    expect(outside.body.details[0].path).toBe('body.counties[0].countyCode');
    const own = await svc.as('supervisor', 'POST', '/projection/what-if', { counties: [{ countyCode: '411282', households: 9 }] });
    expect(own.body.totals).toMatchObject({ workers: 3, wageBill: '144000.00', cityShare: '57600.00', countiesShare: '86400.00' });
    const twice = await svc.as('citySupervisor', 'POST', '/projection/what-if', { counties: [SIX[0], SIX[0]] });
    expect(twice.status).toBe(400);
    expect((await svc.as('citySupervisor', 'POST', '/projection/what-if', { counties: SIX, extra: 1 })).status).toBe(400);
    expect((await svc.as('citySupervisor', 'POST', '/projection/what-if', { counties: [{ countyCode: '411282', households: 1.5 }] })).status).toBe(400);
    for (const who of ['enumerator', 'evaluator', 'visitor'] as const) expect((await svc.as(who, 'POST', '/projection/what-if', { counties: [{ countyCode: '411282', households: 1 }] })).status, who).toBe(403);
    // Parameters for this what-if only.
    const alt = await svc.as('citySupervisor', 'POST', '/projection/what-if', { counties: SIX, parameters: { monthlyWage: 4500 } });
    expect(alt.body.totals.wageBill).toBe('162000000.00');
    expect(alt.body.parametersSource).toBe('what_if');
  });
});

describe('live caseload', () => {
  it('counts placed households and those in the exit notice, per county, inside the jurisdiction', async () => {
    const home = (await svc.as('admin', 'POST', '/facilities', { name: '苏村社区安置点', type: 'resettlement_site', regionCode: '411282108000', beds: 20, caregivers: 4 })).body;
    const placed: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = await approved();
      await ok('officer', id, { type: 'PLACE', mode: 'centralized_support', startDate: today(), facilityId: home.id });
      placed.push(id);
    }
    await ok('officer', placed[0], { type: 'EXIT', reason: 'moved_away', date: today() }); // exit notice: still counted
    await ok('officer', placed[1], { type: 'EXIT', reason: 'deceased', date: today() }); // exited: not counted
    await approved(); // awaiting placement: not counted
    const mcHome = (await svc.as('mcAdmin', 'POST', '/facilities', { name: '洪阳镇敬老院', type: 'nursing_home', regionCode: '411221100000', beds: 10, caregivers: 2 })).body;
    const mc = await approved(V.mianchi, { enumerator: 'mcEnumerator', evaluator: 'mcEvaluator', levels: ['mc-village', 'mc-township', 'mcCounty'] });
    await ok('mcOfficer', mc, { type: 'PLACE', mode: 'centralized_support', startDate: today(), facilityId: mcHome.id });

    const city = await svc.as('citySupervisor', 'GET', '/projection');
    expect(city.status, JSON.stringify(city.body)).toBe(200);
    const by = Object.fromEntries(city.body.counties.map((c: { countyCode: string }) => [c.countyCode, c]));
    expect(by['411282']).toMatchObject({ county: '灵宝市', households: 4, workers: 1, wageBill: '48000.00' });
    expect(by['411221']).toMatchObject({ county: '渑池县', households: 1, workers: 1, wageBill: '48000.00' });
    expect(city.body.totals).toMatchObject({ households: 5, workers: 2, wageBill: '96000.00', cityShare: '38400.00', countiesShare: '57600.00' });
    // 57,600 split 4 : 1.
    expect(by['411282'].countyShare).toBe('46080.00');
    expect(by['411221'].countyShare).toBe('11520.00');

    // A county's reader sees their county alone.
    const county = await svc.as('supervisor', 'GET', '/projection');
    expect(county.body.counties.map((c: { countyCode: string }) => c.countyCode)).toEqual(['411282']);
    expect(county.body.totals).toMatchObject({ households: 4, workers: 1, cityShare: '19200.00', countiesShare: '28800.00' });
    expect(JSON.stringify(county.body)).not.toContain('411221');
    expect((await svc.as('visitor', 'GET', '/projection')).status).toBe(403);
  });
});

describe('parameters', () => {
  it('an admin of the city changes them, with If-Match, into the history; a county admin may not', async () => {
    const own = await svc.as('cityAdmin', 'GET', '/settings/projection');
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ scope: '4112', version: 0, own: null, source: 'default', mayChange: true });
    const body = { householdsPerWorker: 5, monthlyWage: '4500', citySharePercent: 50 };
    expect((await svc.as('cityAdmin', 'PUT', '/settings/projection/4112', body)).status).toBe(428);
    const county = await svc.as('admin', 'PUT', '/settings/projection/4112', body, { 'if-match': '"0"' });
    expect(county.status).toBe(403);
    expect((await svc.as('admin', 'GET', '/settings/projection')).body.mayChange).toBe(false);
    expect((await svc.as('admin', 'PUT', '/settings/projection/411282', body, { 'if-match': '"0"' })).status).toBe(400);
    expect((await svc.as('cityAdmin', 'PUT', '/settings/projection/global', body, { 'if-match': '"0"' })).status).toBe(403);
    const bad = await svc.as('cityAdmin', 'PUT', '/settings/projection/4112', { ...body, citySharePercent: 140, extra: true }, { 'if-match': '"0"' });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(['body.citySharePercent']));

    const set = await svc.as('cityAdmin', 'PUT', '/settings/projection/4112', body, { 'if-match': '"0"' });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.headers.etag).toBe('"1"');
    expect(set.body).toMatchObject({ version: 1, source: '4112', inEffect: { householdsPerWorker: 5, monthlyWage: '4500.00', citySharePercent: 50 } });
    const stale = await svc.as('provinceAdmin', 'PUT', '/settings/projection/4112', body, { 'if-match': '"0"' });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: 'SETTING_VERSION_CONFLICT', details: { setting: 'care_projection', scope: '4112', currentVersion: 1 } });

    // In effect at once: 10 households per county of 5 per worker, 4,500 a month, half by the city.
    const r = await svc.as('citySupervisor', 'POST', '/projection/what-if', { counties: [{ countyCode: '411282', households: 10 }] });
    expect(r.body.parametersSource).toBe('4112');
    expect(r.body.totals).toMatchObject({ workers: 2, wageBill: '108000.00', cityShare: '54000.00' });
    // A province-wide default does not override the city's own.
    expect((await svc.as('provinceAdmin', 'PUT', '/settings/projection/global', { householdsPerWorker: 3, monthlyWage: 1, citySharePercent: 0 }, { 'if-match': '"0"' })).status).toBe(200);
    expect((await svc.as('citySupervisor', 'GET', '/projection')).body.parametersSource).toBe('4112');

    const hist = rows<{ scope: string; version: number; actor_username: string; value: unknown }>(
      await svc.database.db.execute(sql`select scope, version, actor_username, value from setting_history where setting = 'care_projection' order by id`),
    );
    expect(hist).toEqual([
      { scope: '4112', version: 1, actor_username: 'cityAdmin', value: { householdsPerWorker: 5, monthlyWageFen: 450_000, citySharePercent: 50 } },
      { scope: 'global', version: 1, actor_username: 'provinceAdmin', value: { householdsPerWorker: 3, monthlyWageFen: 100, citySharePercent: 0 } },
    ]);
    expect(svc.logLines.some((l) => l.includes('projection parameters changed'))).toBe(true);
  });
});
