// The case page: each step of the path done through its form by the right person, with the engine's rules
// (If-Match, idempotency, jurisdiction, masks) holding exactly as they do for the API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionForm, consoleAs, textOf } from '../helpers/console.js';
import { startService, sunSurvey, type TestService } from '../helpers/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => {
  await svc?.close();
});

async function newCase() {
  const survey = sunSurvey();
  const res = await svc.as('enumerator', 'POST', '/households', survey);
  expect(res.status).toBe(201);
  return { id: res.body.caseId as string, number: res.body.caseNumber as string, survey };
}

async function send(who: Parameters<typeof consoleAs>[1], number: string, event: string, fields: Record<string, string | string[]> = {}) {
  const person = await consoleAs(svc, who);
  const page = await person.get(`/console/c/${number}`);
  expect(page.status).toBe(200);
  const form = actionForm(page.html, event);
  const res = await person.post(`/console/c/${number}/events/${event}`, { ...form, ...fields }, { htmx: true });
  return { res, form, person };
}

describe('the case page', () => {
  it('walks a household from survey to public notice, each step by its own person through the forms', async () => {
    const c = await newCase();
    const ok = async (r: Awaited<ReturnType<typeof send>>) => {
      expect(r.res.status, r.res.html).toBe(204);
      expect(r.res.headers['hx-redirect']).toMatch(new RegExp(`^/console/c/${c.number}\\?done=`));
    };
    await ok(await send('enumerator', c.number, 'SUBMIT_SURVEY'));
    await ok(await send('evaluator', c.number, 'START_EVALUATION'));
    const view = (await svc.as('evaluator', 'GET', `/cases/${c.id}`)).body;
    const [father, son] = view.household.members;
    await ok(await send('evaluator', c.number, 'RECORD_ASSESSMENT', {
      'assessment.memberId': father.id, 'assessment.categories': ['elderly'], 'assessment.labourCapacity': 'none', 'assessment.evidence': '户口簿：1947年出生',
    }));
    await ok(await send('evaluator', c.number, 'RECORD_ASSESSMENT', {
      'assessment.memberId': son.id, 'assessment.categories': ['serious_illness'], 'assessment.labourCapacity': 'none', 'assessment.evidence': '诊断证明：慢性肾炎\n住院病历',
      selfCareAssessed: '1', 'assessment.selfCare.eating': '1', 'assessment.selfCare.dressing': '1',
    }));
    await ok(await send('evaluator', c.number, 'SUBMIT_EVALUATION', { conclusion: '符合兜底保障条件' }));
    await ok(await send('village', c.number, 'APPROVE', { comment: '村委会同意' }));
    await ok(await send('township', c.number, 'APPROVE'));
    await ok(await send('county', c.number, 'APPROVE'));

    const after = (await svc.as('officer', 'GET', `/cases/${c.id}`)).body;
    expect(after.state).toBe('publicity.open');
    expect(after.evaluation.assessments[son.id]).toMatchObject({ categories: ['serious_illness'], evidence: ['诊断证明：慢性肾炎', '住院病历'], selfCare: { eating: true, dressing: true, toileting: false } });
    const trail = (await svc.as('officer', 'GET', `/cases/${c.id}/audit`)).body.records.map((r: { eventType: string }) => r.eventType);
    expect(trail).toEqual(['OPEN_CASE', 'SUBMIT_SURVEY', 'START_EVALUATION', 'RECORD_ASSESSMENT', 'RECORD_ASSESSMENT', 'SUBMIT_EVALUATION', 'APPROVE', 'APPROVE', 'APPROVE']);

    // The officer's page: the timeline, the chain verified, the notice period, and the objection form.
    const page = await (await consoleAs(svc, 'officer')).get(`/console/c/${c.number}`);
    const text = textOf(page.html);
    expect(text).toContain('审计链校验通过：共 9 条记录');
    expect(text).toContain('公示期');
    expect(text).toContain('村委会同意');
    expect(page.html).toContain('data-event="FILE_OBJECTION"');
    expect(page.html).not.toContain(c.id); // no raw case id anywhere on the page
  });

  it('records a paper objection, resolves it, places the household in a facility and records a revisit', async () => {
    const c = await newCase();
    await send('enumerator', c.number, 'SUBMIT_SURVEY');
    await send('evaluator', c.number, 'START_EVALUATION');
    const [father, son] = (await svc.as('evaluator', 'GET', `/cases/${c.id}`)).body.household.members;
    await send('evaluator', c.number, 'RECORD_ASSESSMENT', { 'assessment.memberId': father.id, 'assessment.categories': ['elderly'], 'assessment.labourCapacity': 'none', 'assessment.evidence': '户口簿' });
    await send('evaluator', c.number, 'RECORD_ASSESSMENT', { 'assessment.memberId': son.id, 'assessment.categories': ['serious_illness'], 'assessment.labourCapacity': 'none', 'assessment.evidence': '诊断证明' });
    await send('evaluator', c.number, 'SUBMIT_EVALUATION', { conclusion: '符合条件' });
    for (const level of ['village', 'township', 'county'] as const) await send(level, c.number, 'APPROVE');

    const filed = await send('officer', c.number, 'FILE_OBJECTION', { lodgedBy: '村民张某', channel: 'paper', content: '该户有子女在外务工' });
    expect(filed.res.status, filed.res.html).toBe(204);
    const objectionId = filed.form.objectionId;
    expect(objectionId).toMatch(/^YY\d{8}-[0-9A-F]{4}$/);
    const page = await (await consoleAs(svc, 'officer')).get(`/console/c/${c.number}`);
    expect(textOf(page.html)).toContain('该户有子女在外务工');
    expect(textOf(page.html)).toContain('待处理');
    const resolved = await send('officer', c.number, 'RESOLVE_OBJECTION', { objectionId, outcome: 'dismissed', reason: '经核实子女已分户，无赡养能力' });
    expect(resolved.res.status, resolved.res.html).toBe(204);

    svc.clock.advance(8 * 86_400_000);
    expect((await svc.as('system', 'POST', `/cases/${c.id}/events`, { type: 'NOTICE_PERIOD_ENDED' })).status).toBe(200);
    const facility = await svc.as('admin', 'POST', '/facilities', { name: '苏村乡敬老院', type: 'nursing_home', regionCode: '411282108000', beds: 10, caregivers: 2, medicalStaff: 0 });
    expect(facility.status).toBe(201);

    const officerPage = await (await consoleAs(svc, 'officer')).get(`/console/c/${c.number}`);
    expect(textOf(officerPage.html)).toContain('苏村乡敬老院（敬老院）空床 10/10，入住后每名护理人员照护 1 人');
    const placed = await send('officer', c.number, 'PLACE', { mode: 'centralized_support', startDate: '2026-03-11', facilityId: facility.body.id, guardianId: '' });
    expect(placed.res.status, placed.res.html).toBe(204);
    const view = (await svc.as('officer', 'GET', `/cases/${c.id}`)).body;
    expect(view.state).toBe('active.monitoring');
    expect(view.placement).toMatchObject({ mode: 'centralized_support', facility: { name: '苏村乡敬老院' } });

    svc.clock.advance(5 * 86_400_000);
    const visit = await send('visitor', c.number, 'RECORD_REVISIT', { date: '2026-03-15', livingConditions: '饮食起居正常', health: '血压偏高，按时服药', problems: '' });
    expect(visit.res.status, visit.res.html).toBe(204);
    const revisits = (await svc.as('officer', 'GET', `/cases/${c.id}/revisits`)).body;
    expect(JSON.stringify(revisits)).toContain('血压偏高');
    const visitorPage = await (await consoleAs(svc, 'visitor')).get(`/console/c/${c.number}?done=RECORD_REVISIT`);
    expect(textOf(visitorPage.html)).toContain('已完成：记录回访');
    expect(textOf(visitorPage.html)).toContain('回访记录（1 次）');

    // 退出: "other" needs a text (the rule, in Chinese); moved away opens the 7-day exit notice.
    const noText = await send('officer', c.number, 'EXIT', { reason: 'other', date: '2026-03-15' });
    expect(noText.res.headers['x-doudi-status']).toBe('422');
    expect(textOf(noText.res.html)).toMatch(/[\u4e00-\u9fff]/);
    expect(noText.res.html).toContain('data-code="GUARD_FAILED"');
    const exit = await send('officer', c.number, 'EXIT', { reason: 'moved_away', date: '2026-03-15', text: '随子女迁往郑州' });
    expect(exit.res.status, exit.res.html).toBe(204);
    const exiting = await (await consoleAs(svc, 'officer')).get(`/console/c/${c.number}`);
    expect(textOf(exiting.html)).toContain('迁出（随子女迁往郑州）');
    expect(exiting.html).toContain('data-event="CANCEL_EXIT"');
  });

  it('refuses a page gone stale, applies a resent form once, and names the problem', async () => {
    const c = await newCase();
    const enumerator = await consoleAs(svc, 'enumerator');
    const page = await enumerator.get(`/console/c/${c.number}`);
    const form = actionForm(page.html, 'SUBMIT_SURVEY');
    // Someone else changes the case after the page was rendered (the survey is corrected over the API).
    expect((await svc.as('enumerator', 'POST', `/cases/${c.id}/events`, { type: 'UPDATE_SURVEY', household: c.survey }, { 'if-match': `"${form.rowVersion}"` })).status).toBe(200);
    const stale = await enumerator.post(`/console/c/${c.number}/events/SUBMIT_SURVEY`, form, { htmx: true });
    expect(stale.headers['x-doudi-status']).toBe('409');
    expect(stale.html).toContain('data-code="VERSION_CONFLICT"');
    expect(stale.html).toContain('此案件已被他人更新');
    expect(stale.html).toContain('重新加载本页');
    expect((await svc.as('enumerator', 'GET', `/cases/${c.id}`)).body.state).toBe('survey');

    // Reloaded: submit, and the same form sent again is answered from the first result.
    const fresh = actionForm((await enumerator.get(`/console/c/${c.number}`)).html, 'SUBMIT_SURVEY');
    const first = await enumerator.post(`/console/c/${c.number}/events/SUBMIT_SURVEY`, fresh, { htmx: true });
    const again = await enumerator.post(`/console/c/${c.number}/events/SUBMIT_SURVEY`, fresh, { htmx: true });
    expect(first.status).toBe(204);
    expect(again.status).toBe(204);
    const trail = (await svc.as('enumerator', 'GET', `/cases/${c.id}/audit`)).body.records;
    expect(trail.filter((r: { eventType: string }) => r.eventType === 'SUBMIT_SURVEY')).toHaveLength(1);
  });

  it('shows a rule the event breaks, with the field, and changes nothing', async () => {
    const c = await newCase();
    await send('enumerator', c.number, 'SUBMIT_SURVEY');
    await send('evaluator', c.number, 'START_EVALUATION');
    const { res } = await send('evaluator', c.number, 'SUBMIT_EVALUATION', { conclusion: '   ' });
    expect(res.headers['x-doudi-status']).toMatch(/^4/);
    expect(res.html).toMatch(/data-code="(VALIDATION_FAILED|GUARD_FAILED)"/);
    expect(textOf(res.html)).toMatch(/评定结论：.*(不能为空|必填)/);
    expect(res.html).not.toMatch(/must not be blank|is required/);
    expect((await svc.as('evaluator', 'GET', `/cases/${c.id}`)).body.state).toBe('evaluation');
  });

  it('refuses a form without the session’s CSRF token', async () => {
    const c = await newCase();
    const enumerator = await consoleAs(svc, 'enumerator');
    const form = actionForm((await enumerator.get(`/console/c/${c.number}`)).html, 'SUBMIT_SURVEY');
    const res = await enumerator.post(`/console/c/${c.number}/events/SUBMIT_SURVEY`, form, { token: null });
    expect(res.status).toBe(403);
    expect((await svc.as('enumerator', 'GET', `/cases/${c.id}`)).body.state).toBe('survey');
  });

  it('masks ID numbers for a reviewer and shows nothing of another county', async () => {
    const c = await newCase();
    const reviewer = await (await consoleAs(svc, 'village')).get(`/console/c/${c.number}`);
    expect(reviewer.status).toBe(200);
    for (const m of c.survey.members) {
      expect(reviewer.html).not.toContain(m.idNumber);
      expect(reviewer.html).toContain(m.idNumber.slice(0, 6));
    }
    const officer = await (await consoleAs(svc, 'officer')).get(`/console/c/${c.number}`);
    expect(officer.html).toContain(c.survey.members[0].idNumber);

    const other = await (await consoleAs(svc, 'mcOfficer')).get(`/console/c/${c.number}`);
    expect(other.status).toBe(404);
    expect(textOf(other.html)).not.toContain('孙某');
    const list = await (await consoleAs(svc, 'mcOfficer')).get('/console/cases?q=孙');
    expect(list.status).toBe(200);
    expect(textOf(list.html)).toContain('共 0 件');
  });

  it('sends a visitor without a session to the sign-in page, and back after it', async () => {
    const res = await svc.app.inject({ method: 'GET', url: '/console/cases?step=review' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/console/login?next=${encodeURIComponent('/console/cases?step=review')}`);
    const htmx = await svc.app.inject({ method: 'GET', url: '/console/cases', headers: { 'hx-request': 'true' } });
    expect(htmx.headers['hx-redirect']).toMatch(/^\/console\/login/);
  });
});

describe('the console’s logs', () => {
  it('never hold what a person searched for (a name, an address, ID digits)', async () => {
    const officer = await consoleAs(svc, 'officer');
    svc.logLines.length = 0;
    expect((await officer.get(`/console/cases?q=${encodeURIComponent('孙某某')}&step=review`)).status).toBe(200);
    expect((await officer.get('/console/cases?q=4112821947')).status).toBe(200);
    const logged = svc.logLines.join('\n');
    expect(logged).toContain('/console/cases?q=[redacted]&step=review');
    expect(logged).not.toContain('孙某某');
    expect(logged).not.toContain(encodeURIComponent('孙某某'));
    expect(logged).not.toContain('4112821947');
  });
});

describe('the API document', () => {
  it('lists the API, not the console’s pages', async () => {
    const doc = JSON.parse((await svc.app.inject({ method: 'GET', url: '/openapi.json' })).body) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain('/worklist');
    expect(Object.keys(doc.paths).filter((p) => p === '/' || p.startsWith('/console'))).toEqual([]);
  });
});
