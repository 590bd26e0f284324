// Onboarding an existing caseload (存量纳入) through POST /onboarding/households, on both databases: the Sun
// household enters active at the 苏村社区 resettlement site with its legacy approval, appears in reports, revisit
// due lists and worklists like any placed case, its genesis audit record names the import; refusals (ratio,
// resident already in an open case, jurisdiction, role, strict schema) write nothing; on PostgreSQL two
// onboardings of the same person race and one wins.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLLUP_DEFINITIONS, rollupDifferences, rows, type RollupTable } from '../../src/db/index.js';
import { onPostgres } from '../helpers/race.js';
import { idNumber, startService, sunSurvey, V, type TestService } from '../helpers/service.js';

let svc: TestService;
let site: { id: string };
beforeAll(async () => {
  svc = await startService();
  // 苏村社区集中安置点 (figures illustrative): 30 beds, 3 caregivers → at most 15 residents.
  const r = await svc.as('admin', 'POST', '/facilities', { name: '苏村社区集中安置点', type: 'resettlement_site', regionCode: '411282108000', beds: 30, caregivers: 3, medicalStaff: 0 });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  site = r.body;
});
afterAll(async () => {
  await svc?.close();
});

/** The Sun household, approved in 2019 under the paper process and placed at the resettlement site. */
function sunOnboarded(overrides: Record<string, unknown> = {}) {
  const s = sunSurvey();
  return {
    ...s,
    members: [{ ...s.members[0], categories: ['elderly'] }, { ...s.members[1], categories: ['serious_illness'] }],
    approvedOn: '2019-06-10',
    legacyReference: '灵民〔2019〕37号',
    placement: { mode: 'centralized_support', startDate: '2019-07-01', facilityId: site.id },
    lastRevisitDate: '2025-12-20',
    ...overrides,
  };
}

/** One elderly person (a household of one) for the batch tests. */
function elder(overrides: Record<string, unknown> = {}) {
  return {
    villageCode: V.mingshan, address: '灵宝市苏村乡明山村', legalSupporter: null,
    members: [{ name: '王某', idNumber: idNumber('1941-05-05'), birthDate: '1941-05-05', sex: 'male', relation: '户主', labourCapacity: 'none', categories: ['elderly'] }],
    approvedOn: '2020-01-15', legacyReference: '灵民〔2020〕5号',
    placement: { mode: 'centralized_support', startDate: '2020-02-01', facilityId: site.id },
    ...overrides,
  };
}

const onboard = (households: object[], who: Parameters<TestService['as']>[0] = 'officer') => svc.as(who, 'POST', '/onboarding/households', { households });
const caseCount = async () => Number(rows<{ n: number }>(await svc.database.db.execute(sql`select count(*)::int as n from cases`))[0].n);

async function expectRollupsExact() {
  for (const table of Object.keys(ROLLUP_DEFINITIONS) as RollupTable[]) expect(await rollupDifferences(svc.database.db, table), table).toEqual([]);
}

describe('the Sun household onboarded (孙家沟村, placed at the 苏村社区 resettlement site in 2019)', () => {
  let caseId: string;
  beforeAll(async () => {
    const r = await onboard([sunOnboarded()]);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.cases).toHaveLength(1);
    expect(r.body.cases[0]).toMatchObject({ household: 0, state: 'active.monitoring' });
    expect(r.body.cases[0].caseNumber).toMatch(/^411282-2026-\d{6}$/);
    caseId = r.body.cases[0].caseId;
  });

  it('is active with its placement, legacy approval and categories; the next revisit is due a quarter after the last', async () => {
    const c = (await svc.as('officer', 'GET', `/cases/${caseId}`)).body;
    expect(c.state).toBe('active.monitoring');
    expect(c.placement).toMatchObject({ mode: 'centralized_support', startDate: '2019-07-01', facility: { id: site.id, name: '苏村社区集中安置点' } });
    expect(c.approvedAt).toBe('2019-06-09T16:00:00.000Z');
    expect(c.onboarding).toMatchObject({ approvedOn: '2019-06-10', legacyReference: '灵民〔2019〕37号', source: 'api', fileSha256: null, jobId: null });
    expect(c.deadline).toMatchObject({ key: 'revisit' });
    // Quarterly from 2025-12-20: due by the end of 2026-03-20 (China time).
    expect(c.deadline.at).toBe('2026-03-20T16:00:00.000Z');
    expect(c.household.members.map((m: { categories: string[] }) => m.categories)).toEqual([['elderly'], ['serious_illness']]);
    expect(c.allowedEvents).toEqual(expect.arrayContaining(['REQUEST_REASSESSMENT', 'EXIT']));
    expect(c.allowedEvents).not.toContain('ONBOARD');
    // The durable timers of a placed case: the revisit reminder 3 days before, overdue and escalation after.
    const timers = rows<{ kind: string; due_at: string }>(await svc.database.db.execute(sql`select kind, to_char(due_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI') as due_at from timers where case_id = ${caseId} and status = 'pending' order by due_at`));
    expect(timers).toEqual([
      { kind: 'revisit_reminder', due_at: '2026-03-17T16:00' },
      { kind: 'overdue', due_at: '2026-03-20T16:00' },
      { kind: 'escalation', due_at: '2026-03-27T16:00' },
    ]);
  });

  it('its genesis audit record says onboarded, by whom, from where; the chain verifies', async () => {
    const audit = (await svc.as('officer', 'GET', `/cases/${caseId}/audit`)).body;
    const [first] = audit.records;
    expect(audit.records).toHaveLength(1);
    expect(first).toMatchObject({ seq: 1, eventType: 'ONBOARD', stateBefore: null, stateAfter: 'active.monitoring' });
    expect(first.payload).toMatchObject({ approvedOn: '2019-06-10', legacyReference: '灵民〔2019〕37号', imported: { source: 'api', fileSha256: null } });
    // ID numbers masked, birth dates replaced by ages, as in every audit record.
    expect(JSON.stringify(first.payload)).not.toContain(sunSurvey().members[0].birthDate);
    expect((await svc.as('officer', 'GET', `/cases/${caseId}/audit/verify`)).body).toMatchObject({ ok: true });
  });

  it('appears in the revisit due list, the visitor inbox and the reports like a placed case', async () => {
    const due = (await svc.as('visitor', 'GET', '/revisits/due?within=30d')).body.items.map((c: { id: string }) => c.id);
    expect(due).toContain(caseId);
    const inbox = (await svc.as('visitor', 'GET', '/inbox')).body.items.map((c: { id: string }) => c.id);
    expect(inbox).toContain(caseId);
    const placement = (await svc.as('supervisor', 'GET', '/reports/by-placement')).body.rows;
    expect(placement.find((r: { mode: string }) => r.mode === 'centralized_support')).toMatchObject({ households: 1, people: 2 });
    const facilities = (await svc.as('officer', 'GET', '/facilities')).body.facilities;
    expect(facilities.find((f: { id: string }) => f.id === site.id)).toMatchObject({ residents: 2 });
    await expectRollupsExact();
  });

  it('takes a revisit and then an exit through the ordinary events API', async () => {
    const rv = await svc.as('visitor', 'POST', `/cases/${caseId}/events`, { type: 'RECORD_REVISIT', date: '2026-03-02', livingConditions: '住房整洁，饮食正常', health: '稳定', problems: '', reassessmentNeeded: false });
    expect(rv.status, JSON.stringify(rv.body)).toBe(200);
    expect(rv.body.deadline.at).toBe('2026-06-02T16:00:00.000Z');
    const exit = await svc.as('officer', 'POST', `/cases/${caseId}/events`, { type: 'EXIT', reason: 'moved_away', date: '2026-03-02' });
    expect(exit.status, JSON.stringify(exit.body)).toBe(200);
    expect(exit.body.state).toBe('exitNotice');
    await expectRollupsExact();
  });
});

describe('refusals write nothing', () => {
  it('a batch whose last household would put the site over 5 residents per caregiver is refused whole', async () => {
    const before = await caseCount();
    // The site has 15 places by its caregivers; the Sun pair left (exit notice still running: they count): 13 left.
    const batch = Array.from({ length: 14 }, () => elder());
    const r = await onboard(batch);
    expect(r.status, JSON.stringify(r.body)).toBe(422);
    expect(r.body.code).toBe('ONBOARDING_REFUSED');
    expect(r.body.details.households).toEqual([expect.objectContaining({ household: 13, code: 'GUARD_FAILED', details: expect.objectContaining({ rule: 'CAREGIVER_RATIO' }) })]);
    expect(await caseCount()).toBe(before);
    // In Chinese for a Chinese client: which household, which rule.
    const zh = await svc.as('officer', 'POST', '/onboarding/households', { households: batch }, { 'accept-language': 'zh-CN' });
    expect(zh.body.message).toContain('第 14 户');
    expect(zh.body.message).toContain('每名护理人员照护人数将超过 5 人');
  });

  it('a resident already in an open case refuses the household (and with it the batch)', async () => {
    const survey = sunSurvey(V.mingshan);
    const opened = await svc.as('enumerator', 'POST', '/households', survey);
    expect(opened.status).toBe(201);
    const before = await caseCount();
    const taken = elder({ members: [{ ...survey.members[0], categories: ['elderly'] }] });
    const r = await onboard([elder(), taken]);
    expect(r.status).toBe(422);
    expect(r.body.details.households).toEqual([expect.objectContaining({ household: 1, code: 'DUPLICATE_RESIDENT', details: { caseId: opened.body.caseId } })]);
    expect(await caseCount()).toBe(before);
  });

  it('a person held by a case in another county: refused naming no case, and that county\'s supervisors are told', async () => {
    const survey = sunSurvey(V.mianchi);
    expect((await svc.as('mcEnumerator', 'POST', '/households', survey)).status).toBe(201);
    const before = await caseCount();
    const r = await onboard([elder({ members: [{ ...survey.members[0], categories: ['elderly'] }] })]);
    expect(r.status).toBe(422);
    expect(r.body.details.households).toEqual([expect.objectContaining({ household: 0, code: 'DUPLICATE_RESIDENT', details: { reported: true } })]);
    expect(await caseCount()).toBe(before);
    const told = (await svc.as('mcSupervisor', 'GET', '/notifications')).body.items.filter((n: { kind: string }) => n.kind === 'duplicate_resident');
    expect(told).toHaveLength(1);
    expect(told[0].body).not.toContain(survey.members[0].idNumber);
  });

  it('the same person twice in one batch, a village outside the jurisdiction, an unknown facility', async () => {
    const one = elder();
    const r = await onboard([one, { ...elder(), members: one.members }, elder({ villageCode: V.mianchi }), elder({ placement: { mode: 'centralized_support', startDate: '2020-02-01', facilityId: '00000000-0000-4000-8000-000000000000' } })]);
    expect(r.status).toBe(422);
    expect(r.body.details.households.map((h: { household: number; code: string }) => [h.household, h.code])).toEqual([[1, 'VALIDATION_FAILED'], [2, 'FORBIDDEN'], [3, 'VALIDATION_FAILED']]);
    expect(r.body.details.households[0].details[0].path).toBe('body.households[1].members[0].idNumber');
    expect(r.body.details.households[2].details[0].path).toBe('body.households[3].placement.facilityId');
  });

  it('roles: enumerators and visitors may not onboard; an admin of the county may', async () => {
    expect((await onboard([elder({ placement: null })], 'enumerator')).status).toBe(403);
    expect((await onboard([elder({ placement: null })], 'visitor')).status).toBe(403);
    const r = await onboard([elder({ placement: null })], 'admin');
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.cases[0].state).toBe('awaitingPlacement');
  });

  it('a strict schema: an unknown field is named, a bad date and a wrong check character too', async () => {
    const bad = elder({ approvedOn: '2019-02-30', extra: 1 });
    const r = await onboard([bad]);
    expect(r.status).toBe(400);
    expect(r.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['body.households[0].approvedOn', 'body.households[0].extra']);
    const wrongCheck = elder();
    wrongCheck.members[0].idNumber = wrongCheck.members[0].idNumber.slice(0, 17) + (wrongCheck.members[0].idNumber.endsWith('0') ? '1' : '0');
    const c = await onboard([wrongCheck]);
    expect(c.status).toBe(422);
    expect(c.body.details.households[0]).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: 'body.households[0].members[0].idNumber' }] });
  });
});

describe.runIf(onPostgres)('races on PostgreSQL', () => {
  it('two onboardings of the same resident at once: one wins, the other is refused naming the winner', async () => {
    const person = elder({ placement: null });
    const results = await Promise.all([onboard([person]), onboard([person])]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 422]);
    const lost = results.find((r) => r.status === 422)!;
    const won = results.find((r) => r.status === 201)!;
    expect(lost.body.details.households[0]).toMatchObject({ code: 'DUPLICATE_RESIDENT', details: { caseId: won.body.cases[0].caseId } });
  });

  it('two batches filling the last places of a facility at once: one wins, the other is refused by the ratio', async () => {
    const r = await svc.as('admin', 'POST', '/facilities', { name: '苏村敬老院', type: 'nursing_home', regionCode: '411282108000', beds: 10, caregivers: 1, medicalStaff: 0 });
    const home = r.body.id as string;
    const batch = () => Array.from({ length: 3 }, () => elder({ placement: { mode: 'centralized_support', startDate: '2020-02-01', facilityId: home } }));
    const results = await Promise.all([onboard(batch()), onboard(batch())]);
    expect(results.map((x) => x.status).sort()).toEqual([201, 422]);
    const facilities = (await svc.as('officer', 'GET', '/facilities')).body.facilities;
    expect(facilities.find((f: { id: string }) => f.id === home)).toMatchObject({ residents: 3 });
    await expectRollupsExact();
  });
});
