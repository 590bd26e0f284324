// Exports of the reports over HTTP on both databases: every report of the catalogue, the income report and the
// live projection as XLSX (read back with ExcelJS: the table's Chinese labels as the header, typed number cells,
// the frozen header row) and CSV (UTF-8 with BOM), their figures equal to the JSON routes' rows; a county never
// gets another county's rows; a role refused the report is refused its export; strict queries; the export log.
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERIOD_REPORTS, REPORT_NAMES } from '../../src/reports/catalogue.js';
import { insertBulk, reportWalker } from '../helpers/reportWorld.js';
import { startService, V, type TestService, type TestUser } from '../helpers/service.js';

let svc: TestService;
type Json = { id: string; scope: string; columns: { key: string; label: string; type: string }[]; rows: Record<string, string | number | null>[] };

/** GET an export as a user: status, headers and the raw bytes. */
async function download(who: TestUser, url: string) {
  const res = await svc.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${svc.token(who)}` } });
  return { status: res.statusCode, headers: res.headers, bytes: res.rawPayload, text: res.body, json: () => JSON.parse(res.body) };
}

async function json(who: TestUser, url: string): Promise<Json> {
  const r = await svc.as(who, 'GET', url);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return (r.body.table ?? r.body) as Json;
}

async function sheetOf(bytes: Buffer) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  return wb.worksheets[0];
}

const NUMERIC = new Set(['integer', 'decimal', 'money', 'percent']);
const blank = (v: unknown) => v === null || v === undefined || v === '';

/** The XLSX of `url` equals the JSON table: header labels, frozen header, typed number cells, every row's values. */
async function expectXlsxEquals(who: TestUser, url: string, t: Json) {
  const r = await download(who, url);
  expect(r.status, r.text.slice(0, 300)).toBe(200);
  expect(r.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  expect(r.headers['content-disposition']).toMatch(new RegExp(`^attachment; filename="${t.id}-${t.scope}-\\d{8}\\.xlsx"$`));
  const ws = await sheetOf(r.bytes);
  expect(ws.getCell('A1').value).toBeTruthy();
  expect((ws.getRow(3).values as unknown[]).slice(1)).toEqual(t.columns.map((c) => c.label));
  expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 3 });
  expect(ws.rowCount - 3).toBe(t.rows.length);
  t.rows.forEach((row, i) => {
    t.columns.forEach((c, j) => {
      const cell = ws.getRow(4 + i).getCell(j + 1).value;
      const want = row[c.key];
      if (blank(want)) expect(blank(cell), `${t.id} ${c.key}`).toBe(true);
      else if (NUMERIC.has(c.type)) {
        expect(typeof cell, `${t.id} ${c.key} typed`).toBe('number');
        expect(cell, `${t.id} ${c.key}`).toBeCloseTo(Number(want), 6);
      } else expect(cell, `${t.id} ${c.key}`).toBe(want);
    });
  });
  return ws;
}

/** A CSV parsed by RFC 4180 (quotes doubled inside quoted fields), without the BOM. */
function parseCsv(text: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(field), (field = '');
    else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field), out.push(row), (row = []), (field = ''), i++;
    } else field += ch;
  }
  return out;
}

/** The CSV of `url` equals the JSON table: BOM, the labels, every row (numbers as numbers, percent as n%). */
async function expectCsvEquals(who: TestUser, url: string, t: Json) {
  const r = await download(who, url);
  expect(r.status, r.text.slice(0, 300)).toBe(200);
  expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
  expect([...r.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const lines = parseCsv(r.bytes.subarray(3).toString('utf8'));
  expect(lines[0]).toEqual(t.columns.map((c) => c.label));
  expect(lines.length - 1).toBe(t.rows.length);
  t.rows.forEach((row, i) => {
    t.columns.forEach((c, j) => {
      const cell = lines[i + 1][j];
      const want = row[c.key];
      if (blank(want)) expect(cell).toBe('');
      else if (c.type === 'percent') expect(Number(cell.replace('%', '')) / 100).toBeCloseTo(Number(want), 6);
      else if (NUMERIC.has(c.type)) expect(Number(cell), `${t.id} ${c.key}`).toBeCloseTo(Number(want), 6);
      else expect(cell).toBe(want);
    });
  });
  return lines;
}

const sheetText = (ws: ExcelJS.Worksheet) => {
  const parts: string[] = [];
  ws.eachRow((row) => row.eachCell((cell) => parts.push(String(cell.value))));
  return parts.join('|');
};

beforeAll(async () => {
  svc = await startService();
  const w = reportWalker(svc);
  // 灵宝市: the Sun household (2 people) in centralized support, a widow in dispersed care, revisited.
  const home = await w.facility({ name: '苏村社区安置点', type: 'resettlement_site', beds: 10, caregivers: 1 });
  const g = await w.guardian('邻居李某');
  const sun = await w.opened('enumerator', V.sunjiagou, 2);
  await w.toReview(sun, [['elderly'], ['severe_intellectual']]);
  const widow = await w.opened('enumerator', V.mingshan, 1);
  await w.toReview(widow, [['elderly']]);
  await w.toApproved(sun, widow);
  await w.placeAt(sun, home.id);
  await w.placeWith(widow, g.id);
  svc.clock.advanceDays(20);
  await w.revisit(widow);
  // Income of 2025 for the Sun household.
  const v = Number(String((await svc.as('officer', 'GET', `/cases/${sun}`)).headers.etag).replaceAll('"', ''));
  const inc = await svc.as('evaluator', 'PUT', `/cases/${sun}/income/2025`, { lines: [{ source: 'dibao', amount: 3384, evidence: '低保发放花名册' }, { source: 'care_fund', amount: '2000.50', evidence: '关爱基金签收表' }] }, { 'if-match': `"${v}"` });
  expect(inc.status, JSON.stringify(inc.body)).toBe(200);
  // 渑池县: 7 households of 3 in dispersed care (bulk), one walked case with income.
  await insertBulk(svc.database.db, { villageCode: V.mianchi, state: 'active.monitoring', placementMode: 'dispersed_care', households: 7, membersEach: 3, categories: ['elderly'] });
  const mc = await w.opened('mcEnumerator', V.mianchi, 1);
  const mv = Number(String((await svc.as('mcOfficer', 'GET', `/cases/${mc}`)).headers.etag).replaceAll('"', ''));
  const mcInc = await svc.as('mcOfficer', 'PUT', `/cases/${mc}/income/2025`, { lines: [{ source: 'dibao', amount: 777, evidence: '低保发放花名册' }] }, { 'if-match': `"${mv}"` });
  expect(mcInc.status, JSON.stringify(mcInc.body)).toBe(200);
}, 120_000);
afterAll(async () => svc?.close());

const period = (name: string) => (PERIOD_REPORTS.includes(name as never) ? 'from=2026-01&to=2026-04' : '');
const withQuery = (path: string, q: string) => (q ? `${path}?${q}` : path);

describe('the nine reports', () => {
  it('each as XLSX and CSV equals GET /reports/<name> (a supervisor of 灵宝市)', async () => {
    for (const name of REPORT_NAMES) {
      const q = period(name);
      const t = await json('supervisor', withQuery(`/reports/${name}`, q));
      await expectXlsxEquals('supervisor', withQuery(`/exports/reports/${name}.xlsx`, q), t);
      await expectCsvEquals('supervisor', withQuery(`/exports/reports/${name}.csv`, q), t);
    }
  });

  it('by placement: the Sun household’s 2 people in centralized support, the widow in dispersed care; ?format= and a region too', async () => {
    const t = await json('supervisor', '/reports/by-placement');
    const ws = await expectXlsxEquals('supervisor', '/exports/reports/by-placement?format=xlsx', t);
    const labels = (ws.getRow(3).values as ExcelJS.CellValue[]).slice(1) as string[];
    const people = labels.indexOf('人数') + 1;
    expect(people).toBeGreaterThan(0);
    const byMode = new Map<string, ExcelJS.CellValue>();
    ws.eachRow((row, n) => n > 3 && byMode.set(String(row.getCell(labels.indexOf('安置方式') + 1).value), row.getCell(people).value));
    expect(byMode.get('集中供养')).toBe(2);
    expect(byMode.get('分散托养')).toBe(1);
    expect(byMode.get('合计')).toBe(3);
    const village = await json('supervisor', `/reports/by-placement?region=${V.mingshan}`);
    await expectCsvEquals('supervisor', `/exports/reports/by-placement?format=csv&region=${V.mingshan}`, village);
    expect(village.scope).toBe(V.mingshan);
  });

  it('a county’s export never holds another county’s rows; the city’s holds both', async () => {
    const lb = await sheetOf((await download('supervisor', '/exports/reports/by-region.xlsx')).bytes);
    expect(sheetText(lb)).toContain('苏村乡');
    expect(sheetText(lb)).not.toMatch(/渑池|示例|411221/);
    const mcPlacement = await json('mcSupervisor', '/reports/by-placement');
    const mc = await expectXlsxEquals('mcSupervisor', '/exports/reports/by-placement.xlsx', mcPlacement);
    expect(mcPlacement.rows.find((r) => r.mode === 'dispersed_care')?.people).toBe(21);
    expect(mcPlacement.rows.find((r) => r.mode === 'centralized_support')?.people).toBe(0);
    expect(sheetText(mc)).not.toContain('苏村');
    const mcFacilities = await sheetOf((await download('mcSupervisor', '/exports/reports/facilities.xlsx')).bytes);
    expect(sheetText(mcFacilities)).not.toContain('苏村社区安置点');
    // A region outside the jurisdiction: the caller's scope and no rows (as GET /reports/<name> answers).
    const outside = await json('mcSupervisor', `/reports/by-region?region=${V.sunjiagou}`);
    expect(outside.rows).toEqual([]);
    const csv = await expectCsvEquals('mcSupervisor', `/exports/reports/by-region.csv?region=${V.sunjiagou}`, outside);
    expect(csv).toHaveLength(1);
    const city = await sheetOf((await download('citySupervisor', '/exports/reports/by-region.xlsx')).bytes);
    expect(sheetText(city)).toContain('灵宝市');
    expect(sheetText(city)).toContain('渑池县');
  });

  it('roles refused the report are refused the export (403, JSON); strict queries name the field', async () => {
    for (const who of ['enumerator', 'visitor', 'evaluator'] as const) {
      const r = await download(who, '/exports/reports/by-placement.xlsx');
      expect(r.status, who).toBe(403);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(r.json().code).toBe('FORBIDDEN');
    }
    for (const who of ['county', 'officer', 'admin'] as const) expect((await download(who, '/exports/reports/by-category.csv')).status, who).toBe(200);
    const unknown = await download('supervisor', '/exports/reports/by-state.csv?foo=1');
    expect(unknown.status).toBe(400);
    const noPeriod = await download('supervisor', '/exports/reports/by-state.csv?from=2026-01');
    expect(noPeriod.status).toBe(400);
    const badMonth = await download('supervisor', '/exports/reports/monthly-flows.xlsx?to=2026-13');
    expect(badMonth.status).toBe(400);
    expect(JSON.stringify(badMonth.json().details)).toContain('to');
    const mismatch = await download('supervisor', '/exports/reports/by-state.csv?format=xlsx');
    expect(mismatch.json().details).toEqual([{ path: 'query.format', message: 'the path asks for csv' }]);
    const none = await download('supervisor', '/exports/reports/by-state');
    expect(none.status).toBe(400);
    expect(none.json().details[0].path).toBe('query.format');
    expect((await svc.app.inject({ method: 'GET', url: '/exports/reports/by-state.csv' })).statusCode).toBe(401);
  });
});

describe('the income report and the projection', () => {
  it('income as XLSX and CSV equals GET /reports/income; a county sees its own only; a region outside is refused', async () => {
    const t = await json('supervisor', '/reports/income?year=2025');
    const total = t.rows.at(-1)!;
    expect(total).toMatchObject({ region: '合计', households: 1, persons: 2, dibao: 3384, care_fund: 2000.5, total: 5384.5 });
    const ws = await expectXlsxEquals('supervisor', '/exports/income.xlsx?year=2025', t);
    expect(sheetText(ws)).not.toContain('示例');
    await expectCsvEquals('supervisor', '/exports/income.csv?year=2025', t);
    const township = await json('evaluator', '/reports/income?year=2025&region=411282108');
    await expectXlsxEquals('evaluator', '/exports/income?format=xlsx&year=2025&region=411282108', township);
    const mc = await json('mcSupervisor', '/reports/income?year=2025');
    expect(mc.rows.at(-1)).toMatchObject({ households: 1, dibao: 777 });
    const mcSheet = await expectXlsxEquals('mcSupervisor', '/exports/income.xlsx?year=2025', mc);
    expect(sheetText(mcSheet)).not.toMatch(/灵宝|苏村|3384/);
    expect((await download('mcSupervisor', '/exports/income.xlsx?year=2025&region=411282')).status).toBe(403);
    for (const who of ['visitor', 'county', 'enumerator'] as const) expect((await download(who, '/exports/income.csv?year=2025')).status, who).toBe(403);
    const noYear = await download('supervisor', '/exports/income.csv');
    expect(noYear.status).toBe(400);
    expect(JSON.stringify(noYear.json().details)).toContain('year');
    expect((await download('supervisor', '/exports/income.csv?year=2025&page=1')).status).toBe(400);
  });

  it('the live projection as XLSX and CSV equals GET /projection’s table, per county of the jurisdiction', async () => {
    const t = await json('supervisor', '/projection');
    expect(t.rows.map((r) => r.county)).toEqual(['灵宝市', '合计']);
    expect(t.rows[0].households).toBe(2);
    await expectXlsxEquals('supervisor', '/exports/projection.xlsx', t);
    await expectCsvEquals('supervisor', '/exports/projection.csv', t);
    const city = await json('citySupervisor', '/projection');
    const ws = await expectXlsxEquals('citySupervisor', '/exports/projection?format=xlsx', city);
    expect(sheetText(ws)).toContain('渑池县');
    const mc = await sheetOf((await download('mcOfficer', '/exports/projection.xlsx')).bytes);
    expect(sheetText(mc)).not.toContain('灵宝');
    for (const who of ['evaluator', 'county', 'visitor'] as const) expect((await download(who, '/exports/projection.csv')).status, who).toBe(403);
    expect((await download('supervisor', '/exports/projection.csv?region=411282')).status).toBe(400);
  });
});

describe('the export log', () => {
  it('records every download with its table, format, scope, filters and row count', async () => {
    const before = (await svc.as('admin', 'GET', '/exports/log?limit=1')).body.items[0]?.id ?? 0;
    const byCat = await json('officer', '/reports/by-category');
    await download('officer', '/exports/reports/by-category.xlsx');
    await download('officer', '/exports/reports/revisits.csv?from=2026-02&to=2026-03');
    const inc = await json('officer', '/reports/income?year=2025&region=411282108');
    await download('officer', '/exports/income.csv?year=2025&region=411282108');
    await download('officer', '/exports/projection.xlsx');
    const log = await svc.as('admin', 'GET', '/exports/log?limit=200');
    expect(log.status).toBe(200);
    const mine = (log.body.items as { id: number; export: string; format: string; scope: string; filters: object; rowCount: number; outcome: string; idNumbers: string; actor: { username: string } }[])
      .filter((i) => i.id > before)
      .reverse();
    expect(mine.map((i) => [i.export, i.format, i.scope, i.filters, i.outcome, i.idNumbers, i.actor.username])).toEqual([
      ['by-category', 'xlsx', '411282', {}, 'completed', 'none', 'officer'],
      ['revisits', 'csv', '411282', { from: '2026-02', to: '2026-03' }, 'completed', 'none', 'officer'],
      ['income-by-source', 'csv', '411282108', { year: 2025, region: '411282108' }, 'completed', 'none', 'officer'],
      ['care-projection', 'xlsx', '411282', {}, 'completed', 'none', 'officer'],
    ]);
    expect(mine[0].rowCount).toBe(byCat.rows.length);
    expect(mine[2].rowCount).toBe(inc.rows.length);
    // Refused downloads leave no record; the other county's admin sees none of these.
    await download('visitor', '/exports/reports/by-state.csv');
    expect((await svc.as('admin', 'GET', '/exports/log?limit=1')).body.items[0].id).toBe(mine.at(-1)!.id);
    const mcLog = (await svc.as('mcAdmin', 'GET', '/exports/log?limit=200')).body.items as { scope: string }[];
    expect(mcLog.every((i) => i.scope.startsWith('411221'))).toBe(true);
  });
});
