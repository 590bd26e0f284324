// 回访 in the console: the visitor's due list and the record form (RECORD_REVISIT through engine.sendEvent).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUser } from '../../src/db/index.js';
import { startService, V, idNumber, type TestService, type TestUser } from '../helpers/service.js';
import { consoleAs, inputValue } from '../helpers/console.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => {
  await svc?.close();
});

const today = () => new Date(svc.clock.now().getTime() + 8 * 3600_000).toISOString().slice(0, 10);
async function ok(who: TestUser, caseId: string, body: object) {
  const r = await svc.as(who, 'POST', `/cases/${caseId}/events`, body);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

/** An elderly man surveyed, approved and placed in a nursing home: a case in active.monitoring. */
async function placed(name: string) {
  const survey = {
    villageCode: V.sunjiagou, address: `孙家沟村${name}家`,
    members: [{ name, idNumber: idNumber('1940-01-01'), birthDate: '1940-01-01', sex: 'male', relation: '户主', labourCapacity: 'none' }],
  };
  const caseId = (await svc.as('enumerator', 'POST', '/households', survey)).body.caseId as string;
  await ok('enumerator', caseId, { type: 'SUBMIT_SURVEY' });
  const c = await ok('evaluator', caseId, { type: 'START_EVALUATION' });
  for (const m of c.household.members) {
    await ok('evaluator', caseId, { type: 'RECORD_ASSESSMENT', assessment: { memberId: m.id, categories: ['elderly'], labourCapacity: 'none', evidence: ['证明'] } });
  }
  await ok('evaluator', caseId, { type: 'SUBMIT_EVALUATION', conclusion: '符合' });
  for (const who of ['village', 'township', 'county'] as const) await ok(who, caseId, { type: 'APPROVE' });
  svc.clock.advanceDays(7);
  await ok('system', caseId, { type: 'NOTICE_PERIOD_ENDED' });
  const home = await svc.as('admin', 'POST', '/facilities', { regionCode: '411282108000', medicalStaff: 0, name: `${name}敬老院`, type: 'nursing_home', beds: 10, caregivers: 2 });
  const r = await ok('officer', caseId, { type: 'PLACE', mode: 'centralized_support', startDate: today(), facilityId: home.body.id });
  expect(r.state).toBe('active.monitoring');
  return caseId;
}

const hrefOf = (html: string, name: string) => {
  const m = new RegExp(`href="(/console/revisits/[^"]+)">\\s*<span class="who">${name}户`).exec(html);
  if (!m) throw new Error(`no ${name} in the due list`);
  return m[1];
};

describe('revisits', () => {
  it('the due list shows an active case with its village and head of household, soonest first; overdue ones marked', async () => {
    const first = await placed('赵大爷');
    svc.clock.advanceDays(100); // past the first revisit's due date (a quarter after placement)
    await placed('钱大娘');
    const b = await consoleAs(svc, 'visitor');
    const page = await b.get('/console/revisits');
    expect(page.status).toBe(200);
    expect(page.html).toContain('赵大爷户');
    expect(page.html).toContain('孙家沟村');
    expect(page.html.indexOf('赵大爷户')).toBeLessThan(page.html.indexOf('钱大娘户'));
    expect(page.html).toMatch(/<li class="overdue">\s*<a href="[^"]+">\s*<span class="who">赵大爷户/);
    expect(page.html).toMatch(/已超期 \d+ 天/);
    expect(page.html).toContain('width=device-width');
    expect(page.html).not.toContain(`>${first}<`); // ids only in links until case numbers exist, never as text
  });

  it('recording a revisit through the form appears in the case’s audit trail; then back to the list with a message', async () => {
    const caseId = await placed('孙奶奶');
    const b = await consoleAs(svc, 'visitor');
    const href = hrefOf((await b.get('/console/revisits')).html, '孙奶奶');
    const form = await b.get(href);
    expect(form.status).toBe(200);
    expect(form.html).toContain(`name="date" type="date" value="${today()}"`);
    const csrf = inputValue(form.html, '_csrf');
    const rowVersion = inputValue(form.html, 'rowVersion');
    const key = inputValue(form.html, 'idempotencyKey');

    // Blank facts: the form again, Chinese messages at the fields, nothing recorded.
    const blank = await b.post(href, [['_csrf', csrf], ['rowVersion', rowVersion], ['idempotencyKey', key], ['date', today()], ['livingConditions', ''], ['health', ' ']]);
    expect(blank.status).toBe(400);
    expect(blank.html).toMatch(/id="livingConditions-error">[^<]*(必填|不能为空)/);
    expect(blank.html).toMatch(/id="health-error">[^<]*(必填|不能为空)/);
    expect((await svc.engine.audit(svc.principal('visitor'), caseId)).some((r) => r.eventType === 'RECORD_REVISIT')).toBe(false);

    const fields: [string, string][] = [['_csrf', csrf], ['rowVersion', rowVersion], ['idempotencyKey', key], ['date', today()], ['livingConditions', '居住安全，饮食正常'], ['health', '血压偏高'], ['problems', '冬季取暖需关注']];
    const saved = await b.post(href, fields);
    expect(saved.status, saved.html).toBe(303);
    expect(saved.location).toMatch(/^\/console\/revisits\?saved=/);
    const again = await b.post(href, fields); // a double tap: the same revisit, once
    expect(again.status).toBe(303);
    const audit = await svc.engine.audit(svc.principal('visitor'), caseId);
    const recorded = audit.filter((r) => r.eventType === 'RECORD_REVISIT');
    expect(recorded).toHaveLength(1);
    expect(recorded[0].actorRole).toBe('visitor');
    expect(recorded[0].payload).toMatchObject({ date: today(), health: '血压偏高', reassessmentNeeded: false });
    const list = await b.get(saved.location);
    expect(list.html).toContain('回访记录已保存（孙奶奶户）');

    // The form with the version it was rendered at is now stale: refused, in Chinese.
    const stale = await b.post(href, [...fields.filter(([k]) => k !== 'idempotencyKey'), ['idempotencyKey', 'another-key-1']]);
    expect(stale.status).toBe(409);
    expect(stale.html).toContain('此案件已被他人更新');
  });

  it('a visitor of another county sees neither the case in the list nor its form', async () => {
    const caseId = await placed('李爷爷');
    const own = await consoleAs(svc, 'visitor');
    const href = hrefOf((await own.get('/console/revisits')).html, '李爷爷');
    const other = await insertUser(svc.database.db, { username: 'mcVisitor', displayName: '渑池回访干部', roles: ['visitor'], jurisdiction: '411221' });
    const b = await consoleAs(svc, other);
    const list = await b.get('/console/revisits');
    expect(list.status).toBe(200);
    expect(list.html).not.toContain('李爷爷');
    const form = await b.get(href);
    expect(form.status).toBe(404);
    expect(form.html).not.toContain('李爷爷');
    expect(form.html).not.toContain(caseId);
  });
});
