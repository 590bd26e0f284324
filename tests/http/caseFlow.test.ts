// The Sun household walked over HTTP from survey to placement, with its deadlines, masking and audit trail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertFacility } from '../../src/db/index.js';
import { startService, sunSurvey, type TestService, type TestUser } from '../helpers/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

async function send(who: TestUser, caseId: string, body: object, headers: Record<string, string> = {}) {
  svc.clock.advanceHours(1);
  return svc.as(who, 'POST', `/cases/${caseId}/events`, body, headers);
}

describe('the Sun household over HTTP', () => {
  it('goes from survey to placement in centralized support', async () => {
    const survey = sunSurvey();
    const idNumbers = survey.members.map((m) => m.idNumber);
    const created = await svc.as('enumerator', 'POST', '/households', survey);
    expect(created.status).toBe(201);
    const caseId = created.body.caseId;
    expect(created.headers.location).toBe(`/cases/${caseId}`);
    expect(created.body).toMatchObject({ state: 'survey', stateLabel: '入户普查', rowVersion: 1, allowedEvents: ['UPDATE_SURVEY', 'SUBMIT_SURVEY'] });
    // Survey deadline: 15 working days from Monday 2026-03-02 → end of Monday 2026-03-23 (China time).
    expect(created.body.deadline).toEqual({ key: 'surveySubmitted', at: '2026-03-23T16:00:00.000Z' });
    // The enumerator works with identities and sees full ID numbers.
    expect(created.body.household.members[0].idNumber).toMatch(/^\d{17}[\dX]$/);

    let r = await send('enumerator', caseId, { type: 'SUBMIT_SURVEY' });
    expect(r.status).toBe(200);
    expect(r.body.state).toBe('preliminary');
    expect(r.body.household.members.map((m: { categories: string[] }) => m.categories)).toEqual([['elderly'], ['serious_illness']]);
    expect(r.body.applicationDeadlineAt).not.toBeNull();

    r = await send('evaluator', caseId, { type: 'START_EVALUATION' });
    expect(r.body.state).toBe('evaluation');
    const [head, son] = r.body.household.members;
    for (const [m, cats, evidence] of [[head, ['elderly'], '户籍证明，年满60周岁'], [son, ['serious_illness'], '灵宝市第一人民医院诊断证明']] as const) {
      r = await send('evaluator', caseId, { type: 'RECORD_ASSESSMENT', assessment: { memberId: m.id, categories: cats, labourCapacity: 'none', evidence: [evidence] } });
      expect(r.status).toBe(200);
    }
    r = await send('evaluator', caseId, { type: 'SUBMIT_EVALUATION', conclusion: '符合兜底保障条件，建议集中供养' });
    expect(r.body).toMatchObject({ state: 'review', reviewLevel: 'village', deadline: { key: 'review.village' } });

    // A reviewer sees ID numbers masked.
    const asReviewer = await svc.as('village', 'GET', `/cases/${caseId}`);
    expect(asReviewer.body.household.members[0].idNumber).toMatch(/^411282\*{10}\d[\dX]$/);
    expect(asReviewer.body.allowedEvents).toEqual(['APPROVE', 'RETURN', 'REJECT']);
    expect(asReviewer.headers.etag).toBe(`"${asReviewer.body.rowVersion}"`);

    // The inbox of each level holds the case only while it waits on that level.
    expect((await svc.as('village', 'GET', '/inbox')).body.items.map((c: { id: string }) => c.id)).toEqual([caseId]);
    expect((await svc.as('township', 'GET', '/inbox')).body.items).toEqual([]);

    for (const who of ['village', 'township', 'county'] as const) {
      r = await send(who, caseId, { type: 'APPROVE', comment: `${who} 同意` });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    expect(r.body.state).toBe('publicity.open');
    expect(r.body.deadline.key).toBe('noticePeriod');

    svc.clock.advanceDays(7);
    r = await send('system', caseId, { type: 'NOTICE_PERIOD_ENDED' });
    expect(r.status).toBe(200);
    expect(r.body.state).toBe('awaitingPlacement');
    expect(r.body.applicationDeadlineAt).toBeNull();

    const site = await insertFacility(svc.database.db, { name: '苏村社区安置点', type: 'resettlement_site', regionCode: '411282108000', beds: 60, caregivers: 8 });
    r = await send('officer', caseId, { type: 'PLACE', mode: 'centralized_support', startDate: svc.clock.now().toISOString().slice(0, 10), facilityId: site.id });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ state: 'active.monitoring', placementMode: 'centralized_support', facilityId: site.id, deadline: { key: 'revisit' } });
    expect(r.body.placement.facility.name).toBe('苏村社区安置点');
    // Occupancy is derived from the placement, not typed in: the household's two members take two beds.
    const facilities = (await svc.as('officer', 'GET', '/facilities')).body.facilities;
    expect(facilities).toEqual([expect.objectContaining({ id: site.id, beds: 60, residents: 2, freeBeds: 58, residentsPerCaregiver: 0.25 })]);
    expect((await svc.as('mcOfficer', 'GET', '/facilities')).body.facilities).toEqual([]);
    const villages = (await svc.as('enumerator', 'GET', '/regions?prefix=411282108&level=village')).body.regions;
    expect(villages.map((v: { name: string }) => v.name)).toEqual(['孙家沟村', '明山村']);

    const audit = await svc.as('supervisor', 'GET', `/cases/${caseId}/audit`);
    expect(audit.body.records.map((a: { eventType: string }) => a.eventType)).toEqual([
      'OPEN_CASE', 'SUBMIT_SURVEY', 'START_EVALUATION', 'RECORD_ASSESSMENT', 'RECORD_ASSESSMENT', 'SUBMIT_EVALUATION',
      'APPROVE', 'APPROVE', 'APPROVE', 'NOTICE_PERIOD_ENDED', 'PLACE',
    ]);
    expect(audit.body.records[0].payload.members[0].idNumber).toMatch(/^411282\*{10}/);
    // Exactly the household's numbers (a pattern of 18 digits also turns up inside SHA-256 hashes now and then).
    for (const id of idNumbers) expect(JSON.stringify(audit.body)).not.toContain(id);
    expect((await svc.as('supervisor', 'GET', `/cases/${caseId}/audit/verify`)).body).toEqual({ ok: true, count: 11 });
    // The machine definition is served for clients that draw the path.
    const machine = await svc.as('supervisor', 'GET', '/machines/case');
    expect(machine.body).toMatchObject({ id: 'case', version: 2 });
    expect(machine.body.mermaid).toContain('stateDiagram-v2');
    // No ID number in any log line.
    for (const id of idNumbers) expect(svc.logLines.join('\n')).not.toContain(id);
  });
});
