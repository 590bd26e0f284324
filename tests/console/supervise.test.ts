// 督办: the supervisor's dashboard counts the same overdue steps as GET /overdue/summary, by step and by area
// (county → township → village), each count linking to the filtered case list whose total is that count;
// the page is read-only, and a supervisor's crafted POSTs are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, sunSurvey, V, type TestService, type TestUser } from '../helpers/service.js';
import { walker } from '../helpers/walk.js';
import { consoleAs, decode, mainOf } from '../helpers/console.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

const walk = () => walker(svc);
const send: ReturnType<typeof walker>['send'] = (...a) => walk().send(...a);
const newCase: ReturnType<typeof walker>['newCase'] = (...a) => walk().newCase(...a);
const walkToReview = async (...a: Parameters<ReturnType<typeof walker>['walkToReview']>) => (await walk().walkToReview(...a)).caseId;

/** The number in the table row whose header is `label`, and its link. */
function rowCount(html: string, label: string): { count: number; href: string } | null {
  const re = new RegExp(`<th scope="row">(?:<a href="[^"]*">)?${label}(?:</a>)?</th>\\s*<td class="num"><a href="([^"]+)"[^>]*>(\\d+)</a>`);
  const m = re.exec(html);
  return m ? { href: decode(m[1]), count: Number(m[2]) } : null;
}

const listTotal = (html: string) => Number(/共 <strong>(\d+)<\/strong> 件/.exec(html)?.[1] ?? NaN);

describe('督办 dashboard', () => {
  beforeAll(async () => {
    // Two cases at township review (孙家沟村, 明山村), one at village review, two surveys (one in 渑池县).
    await walkToReview('township');
    await walkToReview('township', V.mingshan);
    await walkToReview('village');
    await newCase();
    await newCase('mcEnumerator', V.mianchi);
    svc.clock.set('2026-03-13T01:00:00Z'); // Fri 13 Mar: the reviews are overdue (due end of 9 Mar), the surveys not yet
    await walkToReview('village'); // a fresh one: not overdue
  });

  it('counts by step match GET /overdue/summary, and each links to the filtered list with that total', async () => {
    const api = await svc.as('supervisor', 'GET', '/overdue/summary');
    expect(api.status).toBe(200);
    const steps = Object.fromEntries((api.body.counties[0]?.steps ?? []).map((s: { step: string; count: number }) => [s.step, s.count]));
    expect(steps).toEqual({ 'review.township': 2, 'review.village': 1 });

    const c = await consoleAs(svc, 'supervisor');
    const page = await c.get('/console/supervise');
    expect(page.status).toBe(200);
    const html = mainOf(page.html);
    expect(html).toContain('<span class="n">3</span><span>个环节已超期</span>');
    const township = rowCount(html, '乡镇审核');
    const village = rowCount(html, '村委会审核');
    expect(township?.count).toBe(steps['review.township']);
    expect(village?.count).toBe(steps['review.village']);
    expect(township?.href).toBe('/console/cases?step=review&level=township&region=411282&overdue=1');

    const list = await c.get(township!.href);
    expect(list.status).toBe(200);
    expect(listTotal(list.html)).toBe(2);
    expect(list.html).toContain('已超期 4 天');
    const vList = await c.get(village!.href);
    expect(listTotal(vList.html)).toBe(1);
    // The badges on the dashboard itself.
    expect(html).toMatch(/<span class="badge overdue">已超期 \d+ 天<\/span>/);
  });

  it('drills down county → township → village; each area count links to its list', async () => {
    const c = await consoleAs(svc, 'supervisor');
    const county = mainOf((await c.get('/console/supervise')).html);
    const sucun = /<th scope="row"><a href="([^"]+)">苏村乡<\/a><\/th>\s*<td class="num"><a href="([^"]+)"[^>]*>(\d+)<\/a>/.exec(county);
    expect(sucun?.[3]).toBe('3');
    expect(decode(sucun![1])).toBe('/console/supervise?region=411282108');
    expect(decode(sucun![2])).toBe('/console/cases?region=411282108&overdue=1');

    const api = await svc.as('supervisor', 'GET', '/overdue/summary?township=411282108');
    expect(api.body.total).toBe(3);
    const township = mainOf((await c.get(decode(sucun![1]))).html);
    expect(township).toContain('按村');
    const sjg = rowCount(township, '孙家沟村');
    const ms = rowCount(township, '明山村');
    expect(sjg?.count).toBe(2);
    expect(ms?.count).toBe(1);
    expect(listTotal((await c.get(ms!.href)).html)).toBe(1);
    // A village: its counts, no further level.
    const village = mainOf((await c.get(`/console/supervise?region=${V.mingshan}`)).html);
    expect(village).toContain('<span class="n">1</span><span>个环节已超期</span>');
  });

  it('escalated steps: overdue by the escalation days or more', async () => {
    const c = await consoleAs(svc, 'supervisor');
    expect(mainOf((await c.get('/console/supervise')).html)).toContain('<span class="n">0</span><span>个已超期 7 天以上');
    svc.clock.set('2026-03-17T01:00:00Z'); // 8 days past 9 Mar
    const api = await svc.as('supervisor', 'GET', '/overdue/summary?minDaysOverdue=7');
    const c2 = await consoleAs(svc, 'supervisor');
    const html = mainOf((await c2.get('/console/supervise')).html);
    expect(html).toContain(`<span class="n">${api.body.total}</span><span>个已超期 7 天以上`);
    expect(api.body.total).toBe(3);
  });

  it('another county’s supervisor sees none of it; an area outside the jurisdiction shows nothing', async () => {
    const c = await consoleAs(svc, 'mcSupervisor');
    const own = mainOf((await c.get('/console/supervise')).html);
    expect(own).not.toContain('苏村乡');
    const outside = mainOf((await c.get('/console/supervise?region=411282108')).html);
    expect(outside).toContain('所选地区不在您的管辖范围内');
  });

  it('is read-only: no action forms, and a supervisor’s crafted POSTs are refused', async () => {
    const c = await consoleAs(svc, 'supervisor');
    const page = await c.get('/console/supervise');
    expect(mainOf(page.html)).not.toMatch(/<form[^>]*method="post"/i);
    expect((await c.post('/console/supervise', { region: '411282' })).status).toBe(404);
    const before = await svc.engine.accounts.listUsers(svc.principal('admin'), { limit: 200 });
    const crafted = await c.post('/console/admin/users', { username: 'sneaky', displayName: 'x', roles: 'admin', jurisdiction: '411282' });
    expect(crafted.status).toBe(403);
    expect((await svc.engine.accounts.listUsers(svc.principal('admin'), { limit: 200 })).items.length).toBe(before.items.length);
    expect((await c.post('/console/admin/deadlines', { scope: '411282', version: '0', amount_0: '1', unit_0: 'working_days' })).status).toBe(403);
    expect((await c.get('/console/admin')).status).toBe(403);
    // No menu entry 管理 for a supervisor.
    expect(page.html).not.toContain('href="/console/admin"');
  });
});
