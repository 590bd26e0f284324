// The console's money pages: 收入 on the case page (the Sun household's 12,284 yuan recorded through the form, the
// dividend check, If-Match) and 护理人员与资金测算 (live, what-if, the admin's parameters), with real sessions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleAs, inputValue, mainOf, textOf } from '../helpers/console.js';
import { startService, sunSurvey, V, type TestService } from '../helpers/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => {
  await svc?.close();
});

async function newCase() {
  const res = await svc.as('enumerator', 'POST', '/households', sunSurvey());
  expect(res.status).toBe(201);
  return { id: res.body.caseId as string, number: res.body.caseNumber as string };
}

const SUN_FORM = {
  amount_dibao: '3384', evidence_dibao: '低保发放花名册',
  amount_pension: '1416', evidence_pension: '养老保险发放记录',
  amount_disability_allowance: '984', evidence_disability_allowance: '残疾人补贴',
  amount_dividend_individual: '1500', evidence_dividend_individual: '“1+1”带贫分红协议',
  amount_dividend_collective: '2000', evidence_dividend_collective: '村集体分红名册',
  amount_dividend_enterprise: '1000', evidence_dividend_enterprise: '企业公益股',
  amount_care_fund: '2000', evidence_care_fund: '关爱基金签收表',
};

describe('收入 on the case page', () => {
  it('an evaluator records the Sun household’s year: 12,284.00 元, 6,142.00 元 per person, in the timeline', async () => {
    const c = await newCase();
    await svc.as('admin', 'PUT', `/settings/dividend-references/${V.sunjiagou}/2019`, { amount: 1000 }, { 'if-match': '"0"' });
    const person = await consoleAs(svc, 'evaluator');
    const page = await person.get(`/console/c/${c.number}?incomeYear=2019`);
    expect(page.status).toBe(200);
    expect(textOf(mainOf(page.html))).toContain('收入 2019年');
    expect(page.html).toContain('data-form="income"');
    const rowVersion = inputValue(page.html.slice(page.html.indexOf('data-form="income"')), 'rowVersion');
    const saved = await person.post(`/console/c/${c.number}/income/2019`, { rowVersion, ...SUN_FORM });
    expect(saved.status, saved.html).toBe(303);
    expect(saved.location).toBe(`/console/c/${c.number}?incomeYear=2019&saved=income#h-income`);
    const after = await person.get(saved.location.split('#')[0]);
    const text = textOf(mainOf(after.html));
    expect(text).toContain('已保存 2019 年家庭收入');
    expect(text).toContain('政策性收入 5,784.00 元');
    expect(text).toContain('分红收入 4,500.00 元');
    expect(text).toContain('全年合计 12,284.00 元');
    expect(text).toContain('人均收入 6,142.00 元');
    // 2,000 against a reference of 1,000 (1,200 required): met.
    expect(after.html).toContain('data-dividend-check="ok"');
    expect(text).toContain('登记家庭收入（2019年）');

    // The old page is stale now: refused, nothing applied.
    const stale = await person.post(`/console/c/${c.number}/income/2019`, { rowVersion, ...SUN_FORM, amount_dividend_collective: '1100' }, { htmx: true });
    expect(stale.headers['x-doudi-status']).toBe('409');
    expect(textOf(stale.html)).toContain('此案件已被他人更新');
    expect((await svc.as('officer', 'GET', `/cases/${c.id}/income?year=2019`)).body.totals.total.yuan).toBe('12284.00');

    // A shortfall is flagged; a bad amount is refused with the Chinese message.
    const page2 = await person.get(`/console/c/${c.number}?incomeYear=2019`);
    const v2 = inputValue(page2.html.slice(page2.html.indexOf('data-form="income"')), 'rowVersion');
    const short = await person.post(`/console/c/${c.number}/income/2019`, { rowVersion: v2, ...SUN_FORM, amount_dividend_collective: '1100' });
    expect(short.status).toBe(303);
    const flagged = await person.get(short.location.split('#')[0]);
    expect(flagged.html).toContain('data-dividend-check="shortfall"');
    expect(textOf(flagged.html)).toContain('差额 100.00 元');
    const v3 = inputValue(flagged.html.slice(flagged.html.indexOf('data-form="income"')), 'rowVersion');
    const bad = await person.post(`/console/c/${c.number}/income/2019`, { rowVersion: v3, amount_dibao: '12.345', evidence_dibao: 'x' }, { htmx: true });
    expect(bad.headers['x-doudi-status']).toBe('400');
    expect(textOf(bad.html)).toContain('最多两位小数');
  });

  it('a visitor reads the year without a form; a county elsewhere does not find the case', async () => {
    const c = await newCase();
    await svc.as('officer', 'PUT', `/cases/${c.id}/income/2019`, { lines: [{ source: 'care_fund', amount: 2000, evidence: '关爱基金' }] }, { 'if-match': '"1"' });
    const visitor = await consoleAs(svc, 'visitor');
    const page = await visitor.get(`/console/c/${c.number}?incomeYear=2019`);
    expect(page.status).toBe(200);
    expect(page.html).not.toContain('data-form="income"');
    expect(textOf(mainOf(page.html))).toContain('关爱基金（爱心基金） 2,000.00 元');
    const posted = await visitor.post(`/console/c/${c.number}/income/2019`, { rowVersion: '2', amount_dibao: '1', evidence_dibao: 'x' }, { htmx: true });
    expect(posted.headers['x-doudi-status']).toBe('403');
    const mc = await consoleAs(svc, 'mcOfficer');
    expect((await mc.get(`/console/c/${c.number}`)).status).toBe(404);
  });
});

describe('护理人员与资金测算', () => {
  it('shows the live figures, runs a what-if, and is in the menu of officers, supervisors and admins only', async () => {
    const sup = await consoleAs(svc, 'citySupervisor');
    const page = await sup.get('/console/projection');
    expect(page.status).toBe(200);
    expect(page.html).toContain('href="/console/projection" aria-current="page"');
    expect(textOf(mainOf(page.html))).toContain('市级承担 40%');
    const fields = { households_411282: '10000', households_411221: '2000' };
    const r = await sup.post('/console/projection/what-if', fields);
    expect(r.status).toBe(200);
    const text = textOf(mainOf(r.html));
    expect(text).toContain('假设测算结果');
    const whatIf = r.html.slice(r.html.indexOf('data-projection="what_if"'));
    expect(textOf(whatIf)).toContain('合计 12000 3000 144,000,000.00 元 86,400,000.00 元');
    expect(textOf(whatIf)).toContain('市级承担（40%） 57,600,000.00 元');
    const visitor = await consoleAs(svc, 'visitor');
    expect((await visitor.get('/console/')).html).not.toContain('/console/projection');
    expect((await visitor.get('/console/projection')).status).toBe(403);
  });

  it('an admin of the city changes the parameters; a county admin only reads them', async () => {
    const city = await consoleAs(svc, 'cityAdmin');
    const page = await city.get('/console/projection');
    expect(page.html).toContain('保存测算参数');
    const saved = await city.post('/console/projection/parameters', { scope: inputValue(page.html, 'scope'), version: inputValue(page.html, 'version'), householdsPerWorker: '5', monthlyWage: '4500', citySharePercent: '40' });
    expect(saved.status, saved.html).toBe(303);
    const after = await city.get(saved.location);
    expect(textOf(mainOf(after.html))).toContain('每 5 户配 1 名护理人员');
    expect(textOf(mainOf(after.html))).toContain('月工资 4,500.00 元');
    // The form it was rendered from is stale now.
    const again = await city.post('/console/projection/parameters', { scope: '4112', version: inputValue(page.html, 'version'), householdsPerWorker: '4', monthlyWage: '4000', citySharePercent: '40' }, { htmx: true });
    expect(again.headers['x-doudi-status']).toBe('409');
    expect(textOf(again.html)).toContain('此设置已被他人修改');
    const county = await consoleAs(svc, 'admin');
    const cp = await county.get('/console/projection');
    expect(cp.html).not.toContain('保存测算参数');
    expect(textOf(mainOf(cp.html))).toContain('测算参数由市级或省级管理员设定');
  });
});

describe('管理 · 集体经济分红标准', () => {
  it('an admin sets a village’s reference for a year; a stale form is refused; another county sees none of it', async () => {
    const admin = await consoleAs(svc, 'admin');
    const menu = await admin.get('/console/admin');
    expect(menu.html).toContain('/console/admin/dividends');
    const page = await admin.get('/console/admin/dividends?year=2020');
    expect(page.status).toBe(200);
    const form = page.html.slice(page.html.indexOf(`data-village="${V.sunjiagou}"`));
    const version = inputValue(form, 'version');
    expect(version).toBe('0');
    const saved = await admin.post('/console/admin/dividends', { year: '2020', villageCode: V.sunjiagou, version, amount: '1000' });
    expect(saved.status, saved.html).toBe(303);
    const after = await admin.get(saved.location);
    const row = textOf(after.html.slice(after.html.indexOf('孙家沟村'), after.html.indexOf(`data-village="${V.sunjiagou}"`)));
    expect(row).toContain('1,000.00 元');
    expect(row).toContain('1,200.00 元');
    expect((await svc.as('admin', 'GET', `/settings/dividend-references/${V.sunjiagou}/2020`)).body.version).toBe(1);
    const stale = await admin.post('/console/admin/dividends', { year: '2020', villageCode: V.sunjiagou, version, amount: '900' }, { htmx: true });
    expect(stale.headers['x-doudi-status']).toBe('409');
    expect(textOf(stale.html)).toContain('此设置已被他人修改');
    const mc = await consoleAs(svc, 'mcAdmin');
    const other = await mc.get('/console/admin/dividends?year=2020');
    expect(other.html).not.toContain('孙家沟村');
    const forged = await mc.post('/console/admin/dividends', { year: '2020', villageCode: V.sunjiagou, version: '1', amount: '1' }, { htmx: true });
    expect(forged.headers['x-doudi-status']).toBe('403');
    expect((await (await consoleAs(svc, 'officer')).get('/console/admin/dividends')).status).toBe(403);
  });
});

describe('家庭收入（按来源） among the reports', () => {
  it('shows a year’s income by area and source with its chart and download links, to the roles that may read it', async () => {
    const c = await newCase();
    const view = await svc.as('officer', 'GET', `/cases/${c.id}`);
    const lines = Object.entries({ dibao: 3384, pension: 1416, disability_allowance: 984, dividend_individual: 1500, dividend_collective: 2000, dividend_enterprise: 1000, care_fund: 2000 })
      .map(([source, amount]) => ({ source, amount, evidence: '发放记录' }));
    const put = await svc.as('officer', 'PUT', `/cases/${c.id}/income/2021`, { lines }, { 'if-match': `"${view.body.rowVersion}"` });
    expect(put.status, JSON.stringify(put.body)).toBe(200);

    const supervisor = await consoleAs(svc, 'supervisor');
    const page = await supervisor.get('/console/reports/income?year=2021');
    expect(page.status, page.html).toBe(200);
    const text = textOf(mainOf(page.html));
    expect(text).toContain('2021年家庭收入（按来源）');
    // One household of two in the jurisdiction: 12,284 yuan, 6,142 per person (the 合计 row).
    expect(text).toMatch(/合计\s+1\s+2\s+3,384\.00\s+0\.00\s+1,416\.00\s+0\.00\s+984\.00\s+1,500\.00\s+2,000\.00\s+1,000\.00\s+2,000\.00\s+12,284\.00\s+6,142\.00/);
    expect(page.html).toContain('<svg');
    expect(page.html).toContain('href="/exports/income.xlsx?year=2021"');
    const file = await supervisor.get('/exports/income.csv?year=2021');
    expect(file.status).toBe(200);

    // The overview lists it for those who may read it; a reviewer reads the other reports but not income.
    expect((await supervisor.get('/console/reports')).html).toContain('/console/reports/income');
    const reviewer = await consoleAs(svc, 'county');
    expect((await reviewer.get('/console/reports')).html).not.toContain('/console/reports/income');
    expect((await reviewer.get('/console/reports/income?year=2021')).status).toBe(403);
    // Bad input: a clear error, in Chinese.
    const bad = await supervisor.get('/console/reports/income?year=20x1');
    expect(bad.status).toBe(400);
    expect(textOf(bad.html), textOf(mainOf(bad.html))).toContain('请填写年份');
  });
});
