// The console's download links (案件查询, 督办) and the 导出记录 page: a link downloads the file with the console
// session, with the page's filters; the download is recorded and listed for admins and supervisors only.
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleAs, decode, mainOf, textOf } from '../helpers/console.js';
import { startService, V, type TestService } from '../helpers/service.js';
import { walker } from '../helpers/walk.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
  const w = walker(svc);
  await w.walkToReview('village');
  await w.walkToReview('township', V.mingshan);
});
afterAll(async () => svc?.close());

const linkOf = (html: string, text: string) => decode(new RegExp(`<a href="([^"]+)" download>${text}</a>`).exec(html)?.[1] ?? '');

describe('download links', () => {
  it('案件查询 links the filtered list (every page) as Excel and CSV, downloaded with the console session', async () => {
    const page = await consoleAs(svc, 'supervisor');
    const list = await page.get(`/console/cases?region=${V.mingshan}&step=review`);
    expect(list.status).toBe(200);
    const xlsx = linkOf(list.html, 'Excel');
    expect(xlsx).toBe(`/exports/worklist.xlsx?view=all&step=review&region=${V.mingshan}`);
    expect(linkOf(list.html, 'CSV')).toBe(`/exports/worklist.csv?view=all&step=review&region=${V.mingshan}`);
    expect(linkOf(list.html, '花名册（Excel）')).toBe(`/exports/roster.xlsx?region=${V.mingshan}`);
    const file = await page.get(xlsx);
    expect(file.status).toBe(200);
    expect(file.headers['content-disposition']).toMatch(/attachment; filename="worklist-411282108202-\d{8}\.xlsx"/);
    const wb = new ExcelJS.Workbook();
    const res = await svc.app.inject({ method: 'GET', url: xlsx, headers: { cookie: page.cookie } });
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const ws = wb.worksheets[0];
    expect(ws.rowCount).toBe(4); // title, scope, header, the one case in 明山村
    expect(ws.getRow(4).getCell(3).value).toBe('明山村');
    expect(ws.getRow(4).getCell(6).value).toBe('逐级审核');
  });

  it('督办 links the overdue cases of the area on screen, the roster and the log', async () => {
    const page = await consoleAs(svc, 'supervisor');
    const html = (await page.get('/console/supervise?region=411282108')).html;
    expect(linkOf(html, 'Excel')).toBe('/exports/overdue.xlsx?township=411282108');
    expect(linkOf(html, 'CSV')).toBe('/exports/overdue.csv?township=411282108');
    expect(linkOf(html, '花名册（Excel）')).toBe('/exports/roster.xlsx?region=411282108');
    expect(html).toContain('href="/console/exports"');
    const csv = await page.get('/exports/overdue.csv?township=411282108');
    expect(csv.status).toBe(200);
    expect(csv.html.split('\r\n')[0]).toBe('\uFEFF案件编号,县（市、区）,乡镇,村,逾期环节,审核层级,期限,逾期天数,状态');
  });
});

describe('导出记录', () => {
  it('lists the exports for admins and supervisors, in words, and is refused to others', async () => {
    const page = await consoleAs(svc, 'admin');
    await (await consoleAs(svc, 'officer')).get(`/exports/worklist.csv?view=all&q=${encodeURIComponent('孙某')}`);
    const html = (await page.get('/console/exports')).html;
    const text = textOf(mainOf(html));
    expect(text).toContain('导出记录');
    expect(text).toMatch(/officer\s*经办人\s*案件名单\s*CSV\s*411282\s*全部案件；按姓名或地址搜索\s*2\s*—\s*完成/);
    expect(text).toMatch(/supervisor\s*\S+\s*超期案件\s*CSV\s*411282108/);
    expect(text).not.toContain('孙某');
    expect((await page.get('/console/admin')).html).toContain('href="/console/exports"');
    expect((await (await consoleAs(svc, 'supervisor')).get('/console/exports')).status).toBe(200);
    expect((await (await consoleAs(svc, 'officer')).get('/console/exports')).status).toBe(403);
  });
});
