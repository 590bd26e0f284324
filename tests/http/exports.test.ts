// Exports over HTTP on both databases: the 花名册 roster, the work list and the overdue list as XLSX (read back
// with ExcelJS) and CSV; masks per role, jurisdiction, formula escaping, and the export log.
import ExcelJS from 'exceljs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneCases } from '../helpers/bulkCases.js';
import { idNumber, startService, V, type TestService, type TestUser } from '../helpers/service.js';

let svc: TestService;
const CLONES = 1500; // × 2 members: 3,000 roster rows from the clones
const FORMULA_NAME = '=HYPERLINK("http://evil.example","点我")';
let sunNumber: string;
let sunIds: string[];
let sunPlacedOn: string;

const today = () => new Date(svc.clock.now().getTime() + 8 * 3600_000).toISOString().slice(0, 10);
const send = (who: TestUser, caseId: string, body: object) => svc.as(who, 'POST', `/cases/${caseId}/events`, body);
async function ok(who: TestUser, caseId: string, body: object) {
  const r = await send(who, caseId, body);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

/** Survey → evaluation → three approvals → notice ended. */
async function approved(survey: object, categories: string[][]) {
  const r = await svc.as('enumerator', 'POST', '/households', survey);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const caseId = r.body.caseId as string;
  await ok('enumerator', caseId, { type: 'SUBMIT_SURVEY' });
  const c = await ok('evaluator', caseId, { type: 'START_EVALUATION' });
  for (const [i, m] of c.household.members.entries()) {
    await ok('evaluator', caseId, { type: 'RECORD_ASSESSMENT', assessment: { memberId: m.id, categories: categories[i], labourCapacity: 'none', evidence: ['证明'] } });
  }
  await ok('evaluator', caseId, { type: 'SUBMIT_EVALUATION', conclusion: '符合' });
  for (const who of ['village', 'township', 'county'] as const) await ok(who, caseId, { type: 'APPROVE' });
  svc.clock.advanceDays(7);
  await ok('system', caseId, { type: 'NOTICE_PERIOD_ENDED' });
  return caseId;
}

/** GET an export as a user: status, headers and the raw bytes. */
async function download(who: TestUser, url: string) {
  const res = await svc.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${svc.token(who)}` } });
  return { status: res.statusCode, headers: res.headers, bytes: res.rawPayload, json: () => JSON.parse(res.body) };
}

async function sheetOf(bytes: Buffer) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  return wb.worksheets[0];
}

/** The data rows of a sheet (after the header in row 3) as objects keyed by header label. */
function records(ws: ExcelJS.Worksheet): Record<string, ExcelJS.CellValue>[] {
  const labels = (ws.getRow(3).values as ExcelJS.CellValue[]).slice(1) as string[];
  const out: Record<string, ExcelJS.CellValue>[] = [];
  ws.eachRow((row, n) => {
    if (n <= 3) return;
    out.push(Object.fromEntries(labels.map((l, i) => [l, row.getCell(i + 1).value])));
  });
  return out;
}

beforeAll(async () => {
  svc = await startService();
  const home = await svc.as('admin', 'POST', '/facilities', { regionCode: '411282108000', name: '苏村社区安置点', type: 'resettlement_site', beds: 100, caregivers: 20, medicalStaff: 0 });
  expect(home.status).toBe(201);
  const sunHead = idNumber('1947-02-10');
  const sunSon = idNumber('1975-08-21');
  sunIds = [sunHead, sunSon];
  const sun = await approved(
    {
      villageCode: V.sunjiagou,
      address: '灵宝市苏村乡孙家沟村3组12号',
      legalSupporter: null,
      members: [
        { name: '孙某', idNumber: sunHead, birthDate: '1947-02-10', sex: 'male', relation: '户主', labourCapacity: 'none' },
        { name: FORMULA_NAME, idNumber: sunSon, birthDate: '1975-08-21', sex: 'male', relation: '子', labourCapacity: 'none', seriousIllness: '慢性肾炎' },
      ],
    },
    [['elderly'], ['serious_illness']],
  );
  sunPlacedOn = today();
  const placed = await ok('officer', sun, { type: 'PLACE', mode: 'centralized_support', startDate: sunPlacedOn, facilityId: home.body.id });
  sunNumber = placed.caseNumber;

  // Dispersed care with the legal supporter as guardian, in 明山村.
  const son = await svc.as('officer', 'POST', '/guardians', { regionCode: V.mingshan, name: '李建国', kind: 'legal_supporter' });
  const elder = await approved(
    {
      villageCode: V.mingshan,
      address: '明山村, "东头"',
      legalSupporter: { name: '李建国', relation: '子', phone: '13900000000', address: '灵宝市区' },
      members: [{ name: '李奶奶, 大', idNumber: idNumber('1940-01-01', 'female'), birthDate: '1940-01-01', sex: 'female', relation: '户主', labourCapacity: 'none' }],
    },
    [['elderly']],
  );
  await ok('officer', elder, {
    type: 'PLACE', mode: 'dispersed_care', startDate: today(), guardianId: son.body.id,
    agreement: { signedOn: today(), startDate: today(), termMonths: 12, signatories: { villageCommittee: true, guardian: true, beneficiary: true } },
  });

  // Thousands of placed cases in 苏村乡, and some in 渑池县 (another county), copied from the Sun case.
  await cloneCases(svc.database.db, { templateCaseId: sun, n: CLONES, villages: [V.sunjiagou, V.mingshan], tag: 'lb', firstSeq: 500_000 });
  await cloneCases(svc.database.db, { templateCaseId: sun, n: 20, villages: [V.mianchi], tag: 'mc', firstSeq: 500_000 });
}, 240_000);

afterAll(async () => {
  await svc?.close();
});

const ROSTER_LABELS = ['案件编号', '乡镇', '村', '姓名', '身份证号', '性别', '年龄', '与户主关系', '类别', '安置方式', '供养机构／监护人', '安置日期', '回访周期', '下次回访截止'];
const ID_RE = /\d{17}[\dX]/;

describe('the 花名册 roster', () => {
  it('as XLSX for an officer: Chinese headers, a frozen header row, typed cells, full ID numbers, one county only', async () => {
    const r = await download('officer', '/exports/roster.xlsx');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(r.headers['content-disposition']).toMatch(/^attachment; filename="roster-411282-\d{8}\.xlsx"$/);
    const ws = await sheetOf(r.bytes);
    expect(ws.name).toBe('兜底保障对象花名册');
    expect(ws.getCell('A1').value).toBe('兜底保障对象花名册');
    expect(String(ws.getCell('A2').value)).toMatch(/^范围：灵宝市（411282）　生成时间：\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
    expect((ws.getRow(3).values as unknown[]).slice(1)).toEqual(ROSTER_LABELS);
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 3 });
    const rows = records(ws);
    expect(rows).toHaveLength(CLONES * 2 + 3);
    // Nothing from 渑池县; ordered by village, case number, member.
    expect(rows.every((x) => String(x['案件编号']).startsWith('411282-'))).toBe(true);
    const sun = rows.filter((x) => x['案件编号'] === sunNumber);
    expect(sun.map((x) => x['身份证号'])).toEqual(sunIds);
    const head = sun[0];
    expect(head).toMatchObject({ 村: '孙家沟村', 乡镇: '苏村乡', 姓名: '孙某', 性别: '男', 类别: '贫困老年人', 安置方式: '集中供养', '供养机构／监护人': '苏村社区安置点', 回访周期: '每3个月' });
    // Typed cells: the age a number, the placement date a real date (the China date, at UTC midnight in Excel's terms).
    expect(head['年龄']).toBe(ageOn('1947-02-10', today()));
    expect(head['安置日期']).toEqual(new Date(`${sunPlacedOn}T00:00:00Z`));
    expect(head['下次回访截止']).toBeInstanceOf(Date);
    const headRow = 4 + rows.indexOf(head);
    expect(ws.getRow(headRow).getCell(12).numFmt).toBe('yyyy-mm-dd');
    expect(ws.getRow(headRow).getCell(7).numFmt).toBe('0');
    // The name that is a formula is text, with an apostrophe in front.
    expect(sun[1]['姓名']).toBe(`'${FORMULA_NAME}`);
    const dispersed = rows.find((x) => x['安置方式'] === '分散托养')!;
    expect(dispersed).toMatchObject({ 姓名: '李奶奶, 大', '供养机构／监护人': '李建国', 回访周期: '每月', 村: '明山村', 性别: '女' });
  });

  it('masks ID numbers for roles that do not see them, and still shows names and ages (as the case view does)', async () => {
    for (const who of ['supervisor', 'visitor', 'county'] as const) {
      const ws = await sheetOf((await download(who, `/exports/roster.xlsx?region=${V.sunjiagou}`)).bytes);
      const rows = records(ws);
      expect(rows.length).toBeGreaterThan(CLONES);
      expect(rows.every((x) => x['村'] === '孙家沟村')).toBe(true);
      const sun = rows.filter((x) => x['案件编号'] === sunNumber);
      expect(sun.map((x) => x['身份证号'])).toEqual(sunIds.map((n) => `${n.slice(0, 6)}**********${n.slice(16)}`));
      expect(sun[0]['姓名']).toBe('孙某');
      // No full number, and no birth date, anywhere in the file.
      ws.eachRow((row) => row.eachCell((cell) => expect(String(cell.value)).not.toMatch(ID_RE)));
      expect(ROSTER_LABELS).not.toContain('出生日期');
    }
  });

  it('as CSV: UTF-8 with BOM, CRLF, RFC 4180 quoting, formulas escaped, the same rows', async () => {
    const r = await download('officer', '/exports/roster?format=csv');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect([...r.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = r.bytes.toString('utf8').slice(1);
    expect(text.endsWith('\r\n')).toBe(true);
    const lines = text.split('\r\n').slice(0, -1);
    expect(lines[0]).toBe(ROSTER_LABELS.join(','));
    expect(lines).toHaveLength(1 + CLONES * 2 + 3);
    expect(text.replaceAll('\r\n', '')).not.toMatch(/\n|\r/);
    const sonLine = lines.find((l) => l.startsWith(`${sunNumber},`) && l.includes('HYPERLINK'))!;
    // The formula: apostrophe in front, quoted because of its quotes and comma, quotes doubled.
    expect(sonLine).toContain(`"'=HYPERLINK(""http://evil.example"",""点我"")"`);
    expect(lines.find((l) => l.includes('李奶奶'))).toContain(',"李奶奶, 大",');
    expect(sonLine).toContain(`,${sunIds[1]},`);
  });

  it('keeps to the jurisdiction: another county sees none of these rows, a city supervisor sees both', async () => {
    const mc = records(await sheetOf((await download('mcSupervisor', '/exports/roster.xlsx')).bytes));
    expect(mc).toHaveLength(20 * 2);
    expect(mc.every((x) => String(x['案件编号']).startsWith('411221-'))).toBe(true);
    const outside = records(await sheetOf((await download('mcSupervisor', `/exports/roster.xlsx?region=${V.sunjiagou}`)).bytes));
    expect(outside).toEqual([]);
    const city = records(await sheetOf((await download('citySupervisor', '/exports/roster.xlsx')).bytes));
    expect(city).toHaveLength(CLONES * 2 + 3 + 40);
  });
});

describe('the work list and the overdue list', () => {
  it('exports every page of GET /worklist with the same filters, and refuses what GET /worklist refuses', async () => {
    const api: string[] = [];
    for (let page = 1; ; page++) {
      const r = await svc.as('supervisor', 'GET', `/worklist?view=all&region=${V.mingshan}&page=${page}&pageSize=100`);
      api.push(...r.body.items.map((i: { caseNumber: string }) => i.caseNumber));
      if (page * 100 >= r.body.total) break;
    }
    const ws = await sheetOf((await download('supervisor', `/exports/worklist.xlsx?view=all&region=${V.mingshan}`)).bytes);
    const rows = records(ws);
    expect(rows.map((x) => x['案件编号'])).toEqual([...api].sort());
    expect(rows[0]).toMatchObject({ 村: '明山村', 状态: '定期回访中', 安置方式: expect.any(String) });
    expect(rows[0]['立案时间']).toBeInstanceOf(Date);
    // The whole county: more rows than one database batch (1,000), each case once, in case-number order.
    const total = (await svc.as('supervisor', 'GET', '/worklist?view=all&pageSize=1')).body.total as number;
    expect(total).toBeGreaterThan(1000);
    const county = records(await sheetOf((await download('supervisor', '/exports/worklist.xlsx')).bytes)).map((x) => String(x['案件编号']));
    expect(county).toHaveLength(total);
    expect(new Set(county).size).toBe(total);
    expect(county).toEqual([...county].sort());
    // A search by name: the same cases, and the record keeps only that a search was used.
    const byName = records(await sheetOf((await download('supervisor', `/exports/worklist.xlsx?view=all&q=${encodeURIComponent('李奶奶')}`)).bytes));
    expect(byName.map((x) => x['户主'])).toEqual(['李奶奶, 大']);
    const digits = await download('supervisor', '/exports/worklist.csv?view=all&q=0112');
    expect(digits.status).toBe(403);
    expect(digits.json().code).toBe('FORBIDDEN');
    const unknown = await download('supervisor', '/exports/worklist.csv?view=all&page=2');
    expect(unknown.status).toBe(400);
    const mismatch = await download('supervisor', '/exports/worklist.csv?format=xlsx');
    expect(mismatch.json().details).toEqual([{ path: 'query.format', message: 'the path asks for csv' }]);
  });

  it('exports the overdue list as GET /overdue pages it, with whole days as numbers', async () => {
    // Every placed case's revisit is due within three months; five months on, all are overdue.
    svc.clock.advanceDays(150);
    const ids: string[] = [];
    let after: string | null = null;
    do {
      const r = await svc.as('supervisor', 'GET', `/overdue?township=411282108&limit=200${after ? `&after=${after}` : ''}`);
      ids.push(...r.body.items.map((i: { caseId: string }) => i.caseId));
      after = r.body.nextAfter;
    } while (after);
    const r = await download('supervisor', '/exports/overdue.xlsx?township=411282108');
    const rows = records(await sheetOf(r.bytes));
    expect(rows).toHaveLength(ids.length);
    expect(rows.length).toBeGreaterThan(CLONES);
    expect(rows[0]).toMatchObject({ '县（市、区）': '灵宝市', 乡镇: '苏村乡', 逾期环节: '回访', 逾期天数: expect.any(Number) });
    expect(rows[0]['逾期天数'] as number).toBeGreaterThan(0);
    expect((await download('visitor', '/exports/overdue.csv')).status).toBe(403);
  });
});

describe('the export log', () => {
  it('records who exported what, with no personal value, and shows it to admins and supervisors inside their jurisdiction', async () => {
    await download('officer', `/exports/worklist.csv?view=all&q=${encodeURIComponent('孙某')}`);
    await download('officer', `/exports/worklist.csv?view=all&q=${sunIds[0].slice(-6)}`);
    const log = await svc.as('admin', 'GET', '/exports/log?limit=200');
    expect(log.status).toBe(200);
    const items = log.body.items as { export: string; format: string; scope: string; filters: Record<string, unknown>; rowCount: number; outcome: string; idNumbers: string; actor: { username: string } }[];
    expect(items[0]).toMatchObject({ export: 'worklist', format: 'csv', scope: '411282', filters: { view: 'all', search: 'idDigits' }, outcome: 'completed', actor: { username: 'officer' } });
    // 孙某 and the copies (孙某1, 孙某2, …).
    expect(items[1]).toMatchObject({ filters: { view: 'all', search: 'words' }, rowCount: CLONES + 1 });
    const roster = items.find((i) => i.export === 'roster' && i.format === 'xlsx' && i.actor.username === 'officer')!;
    expect(roster).toMatchObject({ scope: '411282', rowCount: CLONES * 2 + 3, idNumbers: 'full', outcome: 'completed' });
    expect(items.find((i) => i.export === 'roster' && i.actor.username === 'visitor')).toMatchObject({ idNumbers: 'masked', scope: V.sunjiagou });
    // Nothing personal stored: no name, no digits of the search, no ID number.
    const stored = JSON.stringify(log.body);
    expect(stored).not.toContain('孙某');
    expect(stored).not.toContain(sunIds[0].slice(-6));
    // Jurisdiction: the 渑池县 admin sees only 渑池县's exports; the county admin none of them; an officer nothing.
    const mc = (await svc.as('mcAdmin', 'GET', '/exports/log')).body.items as { scope: string }[];
    expect(mc.length).toBeGreaterThan(0);
    expect(mc.every((i) => i.scope.startsWith('411221'))).toBe(true);
    expect(items.some((i) => i.scope.startsWith('411221') || i.scope === '4112')).toBe(false);
    expect((await svc.as('officer', 'GET', '/exports/log')).status).toBe(403);
    expect((await svc.as('supervisor', 'GET', '/exports/log')).status).toBe(200);
  });

  it('is append-only: the database refuses to change or remove a record', async () => {
    const refusal = (p: Promise<unknown>) => p.then(() => 'accepted', (e: Error & { cause?: Error }) => String(e.cause?.message ?? e.message));
    expect(await refusal(svc.database.db.execute(sql`update export_log set row_count = 0`))).toMatch(/export_log is append-only: UPDATE refused/);
    expect(await refusal(svc.database.db.execute(sql`delete from export_log`))).toMatch(/export_log is append-only: DELETE refused/);
    expect(await refusal(svc.database.db.execute(sql`truncate export_log`))).toMatch(/export_log is append-only: TRUNCATE refused/);
  });
});

function ageOn(birth: string, on: string) {
  const [by, bm, bd] = birth.split('-').map(Number);
  const [y, m, d] = on.split('-').map(Number);
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}
