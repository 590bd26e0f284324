// 报表 pages: the overview and every report render the engine's figures (the same as GET /reports/<name>) with an
// inline SVG chart (ECharts, server-side) whose labels are Chinese; the menu shows 报表 to the roles that read
// reports; a region outside the jurisdiction shows nothing of it; unknown query fields are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_NAMES } from '../../src/reports/catalogue.js';
import { consoleAs, mainOf, textOf } from '../helpers/console.js';
import { reportWalker } from '../helpers/reportWorld.js';
import { startService, V, type TestService } from '../helpers/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
  const w = reportWalker(svc);
  const home = await w.facility({ name: '苏村社区安置点', type: 'resettlement_site', beds: 10, caregivers: 1 });
  const sun = await w.opened('enumerator', V.sunjiagou, 2);
  await w.toReview(sun, [['elderly'], ['severe_intellectual']]);
  await w.toApproved(sun);
  await w.placeAt(sun, home.id);
  const mc = await w.opened('mcEnumerator', V.mianchi, 3);
  await w.toReview(mc, [['mental_illness']], 'mcEvaluator', 'mcEnumerator');
});
afterAll(async () => svc?.close());

describe('报表 pages', () => {
  it('the overview shows people by placement mode, a chart with Chinese labels, areas with drill-down links', async () => {
    const c = await consoleAs(svc, 'supervisor');
    const page = await c.get('/console/reports');
    expect(page.status).toBe(200);
    expect(page.html).toContain('href="/console/reports"');
    const html = mainOf(page.html);
    expect(html).toMatch(/<span class="n">2<\/span><span>集中供养（人）· 1 户<\/span>/);
    expect(html).toMatch(/<svg[^>]*>[\s\S]*集中供养[\s\S]*<\/svg>/);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('<a href="/console/reports/by-region?region=411282108">苏村乡</a>');
    // 渑池县's household is not in 灵宝市's figures.
    expect(textOf(html)).not.toContain('渑池');
  });

  it('every report renders for a supervisor, with the API’s figures', async () => {
    const c = await consoleAs(svc, 'supervisor');
    for (const name of REPORT_NAMES) {
      const page = await c.get(`/console/reports/${name}`);
      expect(page.status, name).toBe(200);
      expect(mainOf(page.html), name).toContain('明细');
    }
    const api = await svc.as('supervisor', 'GET', '/reports/by-category');
    const elderly = api.body.rows.find((r: { category: string }) => r.category === 'elderly');
    const page = mainOf((await c.get('/console/reports/by-category')).html);
    expect(page).toMatch(new RegExp(`<th scope="row">贫困老年人</th><td class="num">${elderly.people}</td><td class="num">${elderly.inCare}</td>`));
    const township = mainOf((await c.get('/console/reports/by-region?region=411282108')).html);
    expect(township).toContain('孙家沟村');
    expect(township).toContain('aria-current="page">苏村乡');
  });

  it('a region outside the jurisdiction shows nothing of it; unknown fields are refused', async () => {
    const c = await consoleAs(svc, 'supervisor');
    const outside = await c.get(`/console/reports/by-region?region=${V.mianchi}`);
    expect(outside.status).toBe(200);
    expect(mainOf(outside.html)).toContain('所选地区不在您的管辖范围内');
    expect(mainOf(outside.html)).not.toContain('示例村');
    expect((await c.get('/console/reports/by-state?foo=1')).status).toBe(400);
    expect((await c.get('/console/reports/by-state?from=2026-01')).status).toBe(400);
    expect((await c.get('/console/reports/nope')).status).toBe(404);
  });

  it('the menu shows 报表 to supervisors, officers, admins and reviewers; field roles are refused', async () => {
    for (const who of ['officer', 'admin', 'county'] as const) {
      const c = await consoleAs(svc, who);
      const page = await c.get('/console/reports');
      expect(page.status, who).toBe(200);
    }
    for (const who of ['enumerator', 'visitor'] as const) {
      const c = await consoleAs(svc, who);
      const home = await c.get('/console/');
      expect(home.html, who).not.toContain('href="/console/reports"');
      expect((await c.get('/console/reports')).status, who).toBe(403);
    }
  });
});
