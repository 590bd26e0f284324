// Placement, facilities, guardians, revisits and exit (三个一批) over HTTP, on both databases.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/index.js';
import { lockHolder, onPostgres, type LockHolder } from '../helpers/race.js';
import { idNumber, startService, sunSurvey, V, type TestService, type TestUser } from '../helpers/service.js';

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

const today = () => new Date(svc.clock.now().getTime() + 8 * 3600_000).toISOString().slice(0, 10);
const send = (who: TestUser, caseId: string, body: object) => svc.as(who, 'POST', `/cases/${caseId}/events`, body);
async function ok(who: TestUser, caseId: string, body: object) {
  const r = await send(who, caseId, body);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

/** One elderly person living alone, optionally with a legal supporter elsewhere; categories to confirm. */
function elder(opts: { legalSupporter?: string; categories?: string[]; seriousIllness?: string } = {}) {
  return {
    villageCode: V.sunjiagou,
    address: '孙家沟村',
    legalSupporter: opts.legalSupporter ? { name: opts.legalSupporter, relation: '子', phone: '13900000000', address: '灵宝市区' } : null,
    members: [{ name: '老人', idNumber: idNumber('1940-01-01'), birthDate: '1940-01-01', sex: 'male', relation: '户主', labourCapacity: 'none', seriousIllness: opts.seriousIllness ?? null }],
  };
}

/** Survey → evaluation → three approvals → notice ended: a case awaiting placement. */
async function approved(survey: object = elder(), categories = ['elderly']) {
  const caseId = (await svc.as('enumerator', 'POST', '/households', survey)).body.caseId as string;
  await ok('enumerator', caseId, { type: 'SUBMIT_SURVEY' });
  const c = await ok('evaluator', caseId, { type: 'START_EVALUATION' });
  for (const m of c.household.members) {
    await ok('evaluator', caseId, { type: 'RECORD_ASSESSMENT', assessment: { memberId: m.id, categories, labourCapacity: 'none', evidence: ['证明'] } });
  }
  await ok('evaluator', caseId, { type: 'SUBMIT_EVALUATION', conclusion: '符合' });
  for (const who of ['village', 'township', 'county'] as const) await ok(who, caseId, { type: 'APPROVE' });
  svc.clock.advanceDays(7);
  const r = await ok('system', caseId, { type: 'NOTICE_PERIOD_ENDED' });
  expect(r.state).toBe('awaitingPlacement');
  return caseId;
}

async function facility(body: Record<string, unknown>) {
  const r = await svc.as('admin', 'POST', '/facilities', { regionCode: '411282108000', medicalStaff: 0, ...body });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string };
}

async function guardian(body: Record<string, unknown>) {
  const r = await svc.as('officer', 'POST', '/guardians', { regionCode: V.sunjiagou, ...body });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string };
}

const agreement = () => ({ signedOn: today(), startDate: today(), termMonths: 12, signatories: { villageCommittee: true, guardian: true, beneficiary: true } });
const residents = async (id: string) => (await svc.as('officer', 'GET', '/facilities')).body.facilities.find((f: { id: string }) => f.id === id).residents;

describe('facilities', () => {
  it('admins register them; others may not; bad figures are refused with field paths', async () => {
    expect((await svc.as('officer', 'POST', '/facilities', { name: 'x', type: 'nursing_home', regionCode: '411282108000', beds: 1, caregivers: 1 })).status).toBe(403);
    const bad = await svc.as('admin', 'POST', '/facilities', { name: '', type: 'castle', regionCode: '4112', beds: -1, caregivers: 1.5 });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['body.beds', 'body.caregivers', 'body.name', 'body.regionCode', 'body.type']);
    const outside = await svc.as('admin', 'POST', '/facilities', { name: '外县', type: 'nursing_home', regionCode: '411221100000', beds: 5, caregivers: 1 });
    expect(outside.body.details[0]).toMatchObject({ path: 'body.regionCode' });
  });

  it('a centralized-support admission is refused for lack of caregivers (at most 5 residents per caregiver)', async () => {
    const home = await facility({ name: '苏村敬老院', type: 'nursing_home', beds: 20, caregivers: 1 });
    for (let i = 0; i < 5; i++) await ok('officer', await approved(), { type: 'PLACE', mode: 'centralized_support', startDate: today(), facilityId: home.id });
    expect(await residents(home.id)).toBe(5);
    const sixth = await approved();
    const r = await send('officer', sixth, { type: 'PLACE', mode: 'centralized_support', startDate: today(), facilityId: home.id });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: 'GUARD_FAILED', details: { rule: 'CAREGIVER_RATIO' } });
    // A second caregiver makes room.
    await svc.as('admin', 'PATCH', `/facilities/${home.id}`, { caregivers: 2 });
    await ok('officer', sixth, { type: 'PLACE', mode: 'centralized_support', startDate: today(), facilityId: home.id });
  });

  it('lowering the caregivers below the ratio flags the facility and notifies its supervisors once', async () => {
    const site = await facility({ name: '东寨村互助幸福中心', type: 'mutual_aid_center', beds: 12, caregivers: 2 });
    for (let i = 0; i < 6; i++) await ok('officer', await approved(), { type: 'PLACE', mode: 'centralized_support', startDate: today(), facilityId: site.id });
    const r = await svc.as('admin', 'PATCH', `/facilities/${site.id}`, { caregivers: 1 });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ residents: 6, caregivers: 1, residentsPerCaregiver: 6, breach: true, supervisorsNotified: 2 });
    const listed = (await svc.as('supervisor', 'GET', '/facilities')).body.facilities.find((f: { id: string }) => f.id === site.id);
    expect(listed.breach).toBe(true);
    const again = await svc.as('admin', 'PATCH', `/facilities/${site.id}`, { name: '东寨村互助幸福中心（一）' });
    expect(again.body.supervisorsNotified).toBe(0);
    const notes = rows<{ n: string }>(await svc.database.db.execute(sql`select count(*)::text as n from notifications where kind = 'facility_ratio_breach'`));
    expect(Number(notes[0].n)).toBe(2);
    const fewer = await svc.as('admin', 'PATCH', `/facilities/${site.id}`, { beds: 5 });
    expect(fewer.body.details).toEqual([{ path: 'body.beds', message: '6 people live here: beds cannot be fewer' }]);
  });

  it('two placements racing for the last bed: exactly one wins', async () => {
    const tiny = await facility({ name: '一床安置点', type: 'resettlement_site', beds: 1, caregivers: 1 });
    const [a, b] = [await approved(), await approved()];
    const results = await Promise.all([a, b].map((id) => send('officer', id, { type: 'PLACE', mode: 'centralized_support', startDate: today(), facilityId: tiny.id })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 422]);
    expect(results.find((r) => r.status === 422)!.body.details.rule).toBe('NO_FREE_BED');
    expect(await residents(tiny.id)).toBe(1);
  });

  it('centralized treatment only in a medical facility and only for serious illness or mental illness', async () => {
    const hospital = await facility({ name: '灵宝市精神病医院', type: 'psychiatric_hospital', beds: 100, caregivers: 0, medicalStaff: 10, patientsPerMedicalStaff: 4 });
    const home = await facility({ name: '某敬老院', type: 'nursing_home', beds: 10, caregivers: 2 });
    const elderly = await approved();
    const r = await send('officer', elderly, { type: 'PLACE', mode: 'centralized_treatment', startDate: today(), facilityId: hospital.id });
    expect(r.body.details.rule).toBe('CATEGORY_NOT_TREATABLE');
    const ill = await approved(elder({ seriousIllness: '尿毒症' }), ['serious_illness']);
    expect((await send('officer', ill, { type: 'PLACE', mode: 'centralized_treatment', startDate: today(), facilityId: home.id })).body.details.rule).toBe('FACILITY_TYPE');
    const placed = await ok('officer', ill, { type: 'PLACE', mode: 'centralized_treatment', startDate: today(), facilityId: hospital.id });
    expect(placed.placementMode).toBe('centralized_treatment');
  });
});

describe('guardians and dispersed care', () => {
  it('the household’s legal supporter is the guardian unless a written reason says otherwise', async () => {
    const son = await guardian({ name: '孙建国', kind: 'legal_supporter' });
    const stranger = await guardian({ name: '王某', kind: 'legal_supporter' });
    const neighbour = await guardian({ name: '邻居李某', kind: 'neighbour' });
    const caseId = await approved(elder({ legalSupporter: '孙建国' }));
    const place = (extra: object) => send('officer', caseId, { type: 'PLACE', mode: 'dispersed_care', startDate: today(), agreement: agreement(), ...extra });

    expect((await place({ guardianId: neighbour.id, appointedByTownship: true })).body.details.rule).toBe('LEGAL_SUPPORTER_EXPECTED');
    expect((await place({ guardianId: stranger.id })).body.details.rule).toBe('NOT_THE_LEGAL_SUPPORTER');
    expect((await place({ guardianId: neighbour.id })).body.details.violations.map((v: { rule: string }) => v.rule)).toEqual(['LEGAL_SUPPORTER_EXPECTED', 'TOWNSHIP_APPOINTMENT_REQUIRED']);
    expect((await place({ guardianId: son.id, agreement: undefined })).body.details.rule).toBe('AGREEMENT_REQUIRED');
    const r = await ok('officer', caseId, { type: 'PLACE', mode: 'dispersed_care', startDate: today(), agreement: agreement(), guardianId: son.id });
    expect(r.placement.guardian).toMatchObject({ id: son.id, name: '孙建国', kind: 'legal_supporter' });

    // Another household, whose supporter lives far away: a township-appointed neighbour with the reason.
    const other = await approved(elder({ legalSupporter: '远方儿子' }));
    await ok('officer', other, {
      type: 'PLACE', mode: 'dispersed_care', startDate: today(), agreement: agreement(),
      guardianId: neighbour.id, appointedByTownship: true, reasonNotLegalSupporter: '赡养人在外省务工，无法照料',
    });
  });

  it('a guardian has at most their maximum of wards; an exit frees the slot', async () => {
    const g = await guardian({ name: '党员张某', kind: 'party_member', maxWards: 1 });
    const [a, b] = [await approved(), await approved()];
    const place = (id: string) => send('officer', id, { type: 'PLACE', mode: 'dispersed_care', startDate: today(), agreement: agreement(), guardianId: g.id, appointedByTownship: true });
    expect((await place(a)).status).toBe(200);
    const full = await place(b);
    expect(full.body.details.rule).toBe('GUARDIAN_FULL');
    const listed = (await svc.as('officer', 'GET', '/guardians')).body.guardians.find((x: { id: string }) => x.id === g.id);
    expect(listed).toMatchObject({ wards: 1, maxWards: 1, freeSlots: 0 });
    await ok('officer', a, { type: 'EXIT', reason: 'deceased', date: today() });
    expect((await place(b)).status).toBe(200);
  });

  it('lowering maxWards races a placement: the guardian never ends with more wards than their maximum', async () => {
    const g = await guardian({ name: '邻居赵某', kind: 'neighbour', maxWards: 3 });
    const [a, b] = [await approved(), await approved()];
    const place = (id: string) => send('officer', id, { type: 'PLACE', mode: 'dispersed_care', startDate: today(), agreement: agreement(), guardianId: g.id, appointedByTownship: true });
    expect((await place(a)).status).toBe(200); // one ward
    // On PostgreSQL: the test holds back the placement's write (a lock on the audit trail's table) after it
    // locked the guardian and counted one ward; the PATCH is sent only then, and waits too. Released, the
    // placement commits its second ward first; the PATCH must count it.
    const lock = await holder.hold((t) => t`lock table audit_records in share mode`);
    let placing: ReturnType<typeof place>;
    let lowering: ReturnType<typeof svc.as>;
    try {
      placing = place(b);
      if (onPostgres) expect(await lock.waitFor(1)).toBe(1);
      else await placing;
      lowering = svc.as('officer', 'PATCH', `/guardians/${g.id}`, { maxWards: 1 });
      if (onPostgres) expect(await lock.waitFor(2)).toBe(2); // the PATCH waits for the guardian's row
    } finally {
      await lock.release();
    }
    const [placed, lowered] = await Promise.all([placing!, lowering!]);
    expect(placed.status, JSON.stringify(placed.body)).toBe(200);
    expect(lowered.status, JSON.stringify(lowered.body)).toBe(400);
    expect(lowered.body.details).toEqual([{ path: 'body.maxWards', message: 'the guardian has 2 wards now: the maximum cannot be lower' }]);
    const listed = (await svc.as('officer', 'GET', '/guardians')).body.guardians.find((x: { id: string }) => x.id === g.id);
    expect(listed).toMatchObject({ wards: 2, maxWards: 3 });
  });
});

describe('revisits', () => {
  it('dispersed care is revisited monthly, centralized quarterly; the history and the due list follow', async () => {
    const g = await guardian({ name: '邻居周某', kind: 'neighbour', maxWards: 5 });
    const home = await facility({ name: '季度回访敬老院', type: 'nursing_home', beds: 10, caregivers: 2 });
    const dispersed = await approved();
    const centralized = await approved();
    const d0 = await ok('officer', dispersed, { type: 'PLACE', mode: 'dispersed_care', startDate: today(), agreement: agreement(), guardianId: g.id, appointedByTownship: true });
    const c0 = await ok('officer', centralized, { type: 'PLACE', mode: 'centralized_support', startDate: today(), facilityId: home.id });
    const days = (a: string, b: string) => Math.round((Date.parse(b) - Date.parse(a)) / 86_400_000);
    expect(days(svc.clock.now().toISOString(), d0.deadline.at)).toBeGreaterThanOrEqual(28);
    expect(days(svc.clock.now().toISOString(), d0.deadline.at)).toBeLessThanOrEqual(32);
    expect(days(svc.clock.now().toISOString(), c0.deadline.at)).toBeGreaterThanOrEqual(89);

    svc.clock.advanceDays(25);
    const due = (await svc.as('visitor', 'GET', '/revisits/due?within=7d')).body.items.map((c: { id: string }) => c.id);
    expect(due).toContain(dispersed);
    expect(due).not.toContain(centralized);
    expect((await svc.as('mcCounty', 'GET', '/revisits/due?within=7d')).body.items).toEqual([]);

    for (const n of [1, 2]) {
      const r = await svc.as('visitor', 'POST', `/cases/${dispersed}/revisits`, { date: today(), livingConditions: `第${n}次：住房安全`, health: '稳定', reassessmentNeeded: false });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.body.revisit).toMatchObject({ date: today(), placementMode: 'dispersed_care' });
      svc.clock.advanceDays(30);
    }
    const history = (await svc.as('supervisor', 'GET', `/cases/${dispersed}/revisits`)).body.revisits;
    expect(history.map((h: { livingConditions: string }) => h.livingConditions)).toEqual(['第1次：住房安全', '第2次：住房安全']);
    expect((await svc.as('visitor', 'POST', `/cases/${dispersed}/revisits`, { date: '2099-01-01', livingConditions: 'x', health: 'y', reassessmentNeeded: false })).body.details.rule).toBe('DATE_IN_FUTURE');
    expect((await svc.as('visitor', 'POST', `/cases/${dispersed}/revisits`, { date: today(), livingConditions: '', health: 'y' })).status).toBe(400);

    // Idempotency-Key is checked as on POST /cases/:id/events: a bad one is refused before anything is recorded.
    const visit = { date: today(), livingConditions: '第3次：住房安全', health: '稳定', reassessmentNeeded: false };
    for (const key of ['x'.repeat(201), 'a b', '键', 'a/b', '']) {
      const r = await svc.as('visitor', 'POST', `/cases/${dispersed}/revisits`, visit, { 'idempotency-key': key });
      expect(r.status, key).toBe(400);
      expect(r.body).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: 'headers.idempotency-key' }] });
    }
    expect((await svc.as('supervisor', 'GET', `/cases/${dispersed}/revisits`)).body.revisits).toHaveLength(2);
    const once = await svc.as('visitor', 'POST', `/cases/${dispersed}/revisits`, visit, { 'idempotency-key': 'revisit-3' });
    expect(once.status).toBe(201);
    const again = await svc.as('visitor', 'POST', `/cases/${dispersed}/revisits`, visit, { 'idempotency-key': 'revisit-3' });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect((await svc.as('supervisor', 'GET', `/cases/${dispersed}/revisits`)).body.revisits).toHaveLength(3);
  });

  it('a revisit asking for reassessment puts the case in the officers’ inbox; a transfer moves the bed in one transaction', async () => {
    const first = await facility({ name: '转出敬老院', type: 'nursing_home', beds: 10, caregivers: 2 });
    const second = await facility({ name: '转入医养中心', type: 'nursing_home', beds: 10, caregivers: 2 });
    const caseId = await approved();
    await ok('officer', caseId, { type: 'PLACE', mode: 'centralized_support', startDate: today(), facilityId: first.id });
    svc.clock.advanceDays(20);
    const r = await svc.as('visitor', 'POST', `/cases/${caseId}/revisits`, { date: today(), livingConditions: '失能加重', health: '需专业护理', problems: '夜间无人照护', reassessmentNeeded: true });
    expect(r.body.case.state).toBe('active.reassessmentDue');
    // Stored as sent (the boolean parameter once went as text 'true' and was stored false).
    expect(r.body.revisit).toMatchObject({ reassessmentNeeded: true });
    const inbox = (await svc.as('officer', 'GET', '/inbox?limit=200')).body.items.map((c: { id: string }) => c.id);
    expect(inbox).toContain(caseId);

    await ok('officer', caseId, { type: 'REQUEST_REASSESSMENT', reason: '回访建议：转入医养结合机构' });
    // During reassessment the person still lives in the first facility.
    expect(await residents(first.id)).toBe(1);
    await ok('evaluator', caseId, { type: 'SUBMIT_EVALUATION', conclusion: '转医养结合' });
    for (const who of ['village', 'township', 'county'] as const) await ok(who, caseId, { type: 'APPROVE' });
    svc.clock.advanceDays(7);
    await ok('system', caseId, { type: 'NOTICE_PERIOD_ENDED' });
    await ok('officer', caseId, { type: 'PLACE', mode: 'centralized_support', startDate: today(), facilityId: second.id });
    expect([await residents(first.id), await residents(second.id)]).toEqual([0, 1]);
  });

  it('an exit with its 7-day notice frees the bed when it ends', async () => {
    const home = await facility({ name: '退出测试敬老院', type: 'nursing_home', beds: 5, caregivers: 1 });
    const caseId = await approved(sunSurvey(), ['elderly']);
    await ok('officer', caseId, { type: 'PLACE', mode: 'centralized_support', startDate: today(), facilityId: home.id });
    expect(await residents(home.id)).toBe(2);
    expect((await ok('officer', caseId, { type: 'EXIT', reason: 'moved_away', date: today() })).state).toBe('exitNotice');
    expect(await residents(home.id)).toBe(2);
    svc.clock.advanceDays(7);
    const done = await ok('system', caseId, { type: 'NOTICE_PERIOD_ENDED' });
    expect(done).toMatchObject({ state: 'exited', closed: true, facilityId: null });
    expect(await residents(home.id)).toBe(0);
  });
});
