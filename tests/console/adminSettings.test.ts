// 管理 · 节假日安排, 办理时限, 消息推送, 供养机构: a calendar upload (file or pasted) changes a working day, a
// bad file changes nothing and is explained in Chinese; a deadline change on a stale version is refused with
// "此设置已被他人修改"; a webhook to a private address is refused in Chinese.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, V, type TestService } from '../helpers/service.js';
import { consoleAs, mainOf } from '../helpers/console.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

const versionOf = (html: string) => /name="version" value="(\d+)"/.exec(html)?.[1] ?? '';

describe('节假日安排', () => {
  it('an upload makes a Saturday a working day and a weekday a holiday', async () => {
    const cal = svc.engine.deps.calendar;
    expect(cal.isWorkingDay('2027-02-06')).toBe(false); // a Saturday
    expect(cal.isWorkingDay('2027-02-08')).toBe(true); // a Monday
    const c = await consoleAs(svc, 'provinceAdmin');
    const page = await c.get('/console/admin/calendar?year=2027');
    expect(page.status).toBe(200);
    expect(mainOf(page.html)).toContain('2027 年的节假日安排尚未导入');
    const file = JSON.stringify({ year: 2027, holidays: [{ date: '2027-02-08', name: '春节' }], workdays: [{ date: '2027-02-06', name: '春节调休上班' }] });
    const r = await c.postMultipart('/console/admin/calendar', { year: '2027', version: versionOf(page.html), text: '' }, { name: 'file', filename: 'calendar-2027.json', content: file });
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/console/admin/calendar?year=2027&saved=1');
    expect(cal.isWorkingDay('2027-02-06')).toBe(true);
    expect(cal.isWorkingDay('2027-02-08')).toBe(false);
    const shown = mainOf((await c.get('/console/admin/calendar?year=2027')).html);
    expect(shown).toContain('<td>2027年2月8日</td><td>星期一</td><td>春节</td>');
    expect(shown).toContain('<td>2027年2月6日</td><td>星期六</td><td>春节调休上班</td>');
    // The API reads the same year.
    const api = await svc.as('provinceAdmin', 'GET', '/calendar/2027');
    expect(api.body.workdays).toEqual([{ date: '2027-02-06', name: '春节调休上班' }]);
  });

  it('a pasted file with problems changes nothing; each problem is named in Chinese', async () => {
    const c = await consoleAs(svc, 'provinceAdmin');
    const page = await c.get('/console/admin/calendar?year=2028');
    const bad = JSON.stringify({ year: 2028, holidays: [{ date: '2028-02-30', name: 'x' }], workdays: [{ date: '2028-01-03', name: '调休' }] });
    const r = await c.post('/console/admin/calendar', { year: '2028', version: versionOf(page.html), text: bad });
    expect(r.status).toBe(400);
    const main = mainOf(r.html);
    expect(main).toContain('文件内容有误，未作任何更改');
    expect(main).toContain('节假日第 1 条的日期：日期须为真实存在的日期');
    expect(main).toContain('调休上班日第 1 条的日期：2028-01-03 不是周六或周日');
    expect((await c.post('/console/admin/calendar', { year: '2028', version: '0', text: '{not json' })).html).toContain('文件不是有效的 JSON 格式');
    expect((await svc.as('provinceAdmin', 'GET', '/calendar/2028')).headers.etag).toBe('"0"');
  });

  it('an upload without the CSRF token is refused before anything is read', async () => {
    const c = await consoleAs(svc, 'provinceAdmin');
    const boundary = '----x';
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="year"\r\n\r\n2029\r\n--${boundary}\r\nContent-Disposition: form-data; name="version"\r\n\r\n0\r\n--${boundary}\r\nContent-Disposition: form-data; name="text"\r\n\r\n{"year":2029,"holidays":[],"workdays":[]}\r\n--${boundary}--\r\n`;
    const res = await svc.app.inject({ method: 'POST', url: '/console/admin/calendar', payload: body, headers: { cookie: c.cookie, 'content-type': `multipart/form-data; boundary=${boundary}` } });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('页面已过期');
    expect((await svc.as('provinceAdmin', 'GET', '/calendar/2029')).headers.etag).toBe('"0"');
  });

  it('a stale version is refused; a county admin cannot load the national calendar', async () => {
    const c = await consoleAs(svc, 'provinceAdmin');
    const file = JSON.stringify({ year: 2027, holidays: [], workdays: [] });
    const stale = await c.post('/console/admin/calendar', { year: '2027', version: '0', text: file });
    expect(stale.status).toBe(409);
    expect(mainOf(stale.html)).toContain('此设置已被他人修改');
    expect(svc.engine.deps.calendar.isWorkingDay('2027-02-06')).toBe(true);
    const county = await consoleAs(svc, 'admin');
    const page = await county.get('/console/admin/calendar?year=2027');
    expect(mainOf(page.html)).not.toContain('name="text"');
    const refused = await county.post('/console/admin/calendar', { year: '2027', version: '1', text: file });
    expect(refused.status).toBe(403);
    expect(mainOf(refused.html)).toContain('只有全省范围的管理员可以上传');
  });
});

describe('办理时限', () => {
  it('saves a scope’s override with its version; a stale version is refused in Chinese and nothing changes', async () => {
    const a = await consoleAs(svc, 'admin');
    const b = await consoleAs(svc, 'admin');
    const pageA = await a.get('/console/admin/deadlines');
    const pageB = await b.get('/console/admin/deadlines');
    expect(pageA.status).toBe(200);
    expect(mainOf(pageA.html)).toContain('乡镇审核');
    const steps = (await svc.as('admin', 'GET', '/settings/deadlines')).body.configurableSteps as string[];
    const i = steps.indexOf('review.township');
    const saved = await a.post('/console/admin/deadlines', { scope: '411282', version: versionOf(pageA.html), [`amount_${i}`]: '3', [`unit_${i}`]: 'working_days' });
    expect(saved.status).toBe(303);
    let api = await svc.as('admin', 'GET', '/settings/deadlines/411282');
    expect(api.body.overrides).toEqual({ 'review.township': { amount: 3, unit: 'working_days' } });
    expect(api.body.version).toBe(1);

    // B read version 0: refused, with the Chinese message, and B's entry kept on the form.
    const stale = await b.post('/console/admin/deadlines', { scope: '411282', version: versionOf(pageB.html), [`amount_${i}`]: '2', [`unit_${i}`]: 'working_days' });
    expect(stale.status).toBe(409);
    expect(mainOf(stale.html)).toContain('此设置已被他人修改');
    api = await svc.as('admin', 'GET', '/settings/deadlines/411282');
    expect(api.body.overrides['review.township'].amount).toBe(3);
  });

  it('bad entries are shown beside the step in Chinese; a county may only shorten', async () => {
    const c = await consoleAs(svc, 'admin');
    const page = await c.get('/console/admin/deadlines');
    const steps = (await svc.as('admin', 'GET', '/settings/deadlines')).body.configurableSteps as string[];
    const i = steps.indexOf('placement');
    const bad = await c.post('/console/admin/deadlines', { scope: '411282', version: versionOf(page.html), [`amount_${i}`]: 'abc', [`unit_${i}`]: 'working_days' });
    expect(bad.status).toBe(400);
    expect(mainOf(bad.html)).toMatch(new RegExp(`id="amount_${i}"[^>]*aria-invalid="true" aria-describedby="amount_${i}-error"`));
    const longer = await c.post('/console/admin/deadlines', { scope: '411282', version: versionOf(page.html), [`amount_${i}`]: '40', [`unit_${i}`]: 'working_days' });
    expect(longer.status).toBe(400);
    expect(mainOf(longer.html)).toContain('下级只能缩短时限：最多 15 个工作日');
    expect((await svc.as('admin', 'GET', '/settings/deadlines/411282')).body.overrides.placement).toBeUndefined();
    // Another county's scope: not for this admin.
    expect((await c.get('/console/admin/deadlines?scope=411221')).status).toBe(403);
  });
});

describe('消息推送', () => {
  it('a webhook to a private address is refused in Chinese; a public one is registered, its secret shown once', async () => {
    const c = await consoleAs(svc, 'admin');
    await c.get('/console/admin/webhooks');
    const refused = await c.post('/console/admin/webhooks', { regionPrefix: '411282', url: 'http://10.1.2.3/hook' });
    expect(refused.status).toBe(422);
    const main = mainOf(refused.html);
    expect(main).toContain('推送消息（内网地址）');
    expect(main).toMatch(/id="url"[^>]*aria-invalid="true" aria-describedby="url-error"/);
    const loop = await c.post('/console/admin/webhooks', { regionPrefix: '411282', url: 'http://127.0.0.1:8080/x' });
    expect(mainOf(loop.html)).toContain('推送消息（本机地址）');
    expect(await svc.engine.webhooks(svc.principal('admin'))).toEqual([]);

    const ok = await c.post('/console/admin/webhooks', { regionPrefix: '411282', url: 'https://hooks.example.cn/doudi' });
    expect(ok.status).toBe(201);
    expect(mainOf(ok.html)).toMatch(/<code class="secret" data-secret>[0-9a-f]{64}<\/code>/);
    const [hook] = await svc.engine.webhooks(svc.principal('admin'));
    expect(hook.active).toBe(true);
    const list = await c.get('/console/admin/webhooks');
    expect(list.html).not.toMatch(/data-secret/);
    expect(mainOf(list.html)).toContain('https://hooks.example.cn/doudi');
    const off = await c.post(`/console/admin/webhooks/${hook.id}/off`, {});
    expect(off.status).toBe(303);
    expect((await svc.engine.webhooks(svc.principal('admin')))[0].active).toBe(false);
  });
});

describe('供养机构', () => {
  it('registers a facility and lists beds, residents, caregivers and the ratio; bad input is explained', async () => {
    const c = await consoleAs(svc, 'admin');
    await c.get('/console/admin/facilities/new');
    const bad = await c.post('/console/admin/facilities', { name: '', type: 'nursing_home', regionCode: V.sunjiagou, beds: '-1', caregivers: '2' });
    expect(bad.status).toBe(400);
    expect(mainOf(bad.html)).toContain('id="name-error">必填');
    expect(mainOf(bad.html)).toContain('id="beds-error">床位数须为 0 或以上的整数');
    const ok = await c.post('/console/admin/facilities', { name: '苏村乡敬老院', type: 'nursing_home', regionCode: V.sunjiagou, beds: '40', caregivers: '4', medicalStaff: '1' });
    expect(ok.status).toBe(303);
    const list = mainOf((await c.get('/console/admin/facilities')).html);
    expect(list).toContain('苏村乡敬老院');
    expect(list).toContain('<td class="num">40</td>');
    const outside = await c.post('/console/admin/facilities', { name: '别县', type: 'nursing_home', regionCode: V.mianchi, beds: '1', caregivers: '1' });
    expect(outside.status).toBe(400);
    expect(mainOf(outside.html)).toContain('超出您的管辖范围');
  });
});
