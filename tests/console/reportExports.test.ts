// The console's report downloads: every report page (and the overview's three tables) and 护理人员与资金测算 link
// their table as Excel and CSV — the API's export routes with the page's region and period — which download with
// the console session and are recorded; roles without the page have neither the page nor its links.
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_NAMES } from '../../src/reports/catalogue.js';
import { consoleAs, decode, mainOf } from '../helpers/console.js';
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
});
afterAll(async () => svc?.close());

const linksOf = (html: string, text: string) => [...html.matchAll(new RegExp(`<a href="([^"]+)" download>${text}</a>`, 'g'))].map((m) => decode(m[1]));

describe('report downloads in the console', () => {
  it('every report page links its table as Excel and CSV, with the page’s region and period', async () => {
    const c = await consoleAs(svc, 'supervisor');
    for (const name of REPORT_NAMES) {
      const html = mainOf((await c.get(`/console/reports/${name}`)).html);
      expect(linksOf(html, '导出 Excel'), name).toEqual([`/exports/reports/${name}.xlsx`]);
      expect(linksOf(html, '导出 CSV'), name).toEqual([`/exports/reports/${name}.csv`]);
    }
    const page = mainOf((await c.get('/console/reports/monthly-flows?region=411282108&from=2026-01&to=2026-03')).html);
    const [xlsx] = linksOf(page, '导出 Excel');
    expect(xlsx).toBe('/exports/reports/monthly-flows.xlsx?region=411282108&from=2026-01&to=2026-03');
    expect(linksOf(page, '导出 CSV')).toEqual(['/exports/reports/monthly-flows.csv?region=411282108&from=2026-01&to=2026-03']);

    // Downloaded with the console's session cookie: the same rows as the API's JSON.
    const res = await svc.app.inject({ method: 'GET', url: xlsx, headers: { cookie: c.cookie } });
    expect(res.statusCode).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const api = await svc.as('supervisor', 'GET', '/reports/monthly-flows?region=411282108&from=2026-01&to=2026-03');
    expect(wb.worksheets[0].rowCount - 3).toBe(api.body.rows.length);
    expect(wb.worksheets[0].getRow(4).getCell(1).value).toBe(api.body.rows[0].month);
    const log = await svc.as('supervisor', 'GET', '/exports/log?limit=1');
    expect(log.body.items[0]).toMatchObject({ export: 'monthly-flows', format: 'xlsx', scope: '411282108', filters: { region: '411282108', from: '2026-01', to: '2026-03' }, actor: { username: 'supervisor' } });
  });

  it('the overview links its three tables; a county reviewer has them too; field roles have neither page nor links', async () => {
    const c = await consoleAs(svc, 'county');
    const html = mainOf((await c.get(`/console/reports?region=411282108`)).html);
    expect(linksOf(html, '导出 Excel')).toEqual(['by-placement', 'by-region', 'by-category'].map((n) => `/exports/reports/${n}.xlsx?region=411282108`));
    expect(linksOf(html, '导出 CSV')).toHaveLength(3);
    const csv = await svc.app.inject({ method: 'GET', url: linksOf(html, '导出 CSV')[0], headers: { cookie: c.cookie } });
    expect(csv.statusCode).toBe(200);
    expect(csv.body).toContain('集中供养');
    for (const who of ['enumerator', 'visitor'] as const) {
      const f = await consoleAs(svc, who);
      expect((await f.get('/console/reports/by-state')).status, who).toBe(403);
      expect((await svc.app.inject({ method: 'GET', url: '/exports/reports/by-state.csv', headers: { cookie: f.cookie } })).statusCode, who).toBe(403);
    }
  });

  it('护理人员与资金测算 links the live projection for officers, supervisors and admins', async () => {
    for (const who of ['officer', 'supervisor', 'admin'] as const) {
      const c = await consoleAs(svc, who);
      const html = mainOf((await c.get('/console/projection')).html);
      expect(linksOf(html, '导出 Excel'), who).toEqual(['/exports/projection.xlsx']);
      expect(linksOf(html, '导出 CSV'), who).toEqual(['/exports/projection.csv']);
    }
    const c = await consoleAs(svc, 'officer');
    const res = await svc.app.inject({ method: 'GET', url: '/exports/projection.csv', headers: { cookie: c.cookie } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/^\uFEFF区划代码,县（市、区）,在册户数/);
    expect(res.body).toContain('411282,灵宝市,1,');
    const evaluator = await consoleAs(svc, 'evaluator');
    expect((await evaluator.get('/console/projection')).status).toBe(403);
  });
});
