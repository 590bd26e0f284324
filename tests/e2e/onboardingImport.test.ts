// End to end, on PGlite and PostgreSQL: a county brings in its existing caseload through the HTTP API — the
// facilities registry from a sheet, then the caseload template filled in (the Sun household placed at the
// 苏村社区 resettlement site in 2019), a dry run with errors, the corrected file's dry run and commit — and the
// onboarded case then lives as any placed case: a revisit, an exit.
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLLUP_DEFINITIONS, rollupDifferences, type RollupTable } from '../../src/db/index.js';
import { caseloadColumns } from '../../src/imports/kinds/caseloadColumns.js';
import { facilityColumns } from '../../src/imports/kinds/registries.js';
import { consoleAs, textOf } from '../helpers/console.js';
import { idNumber, startService, V, type TestService, type TestUser } from '../helpers/service.js';

let s: TestService;
beforeAll(async () => {
  s = await startService();
});
afterAll(async () => {
  await s?.close();
});

type Cell = string | number | null;

async function xlsx(columns: readonly { key: string; header: string }[], rows: Record<string, Cell>[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('导入');
  ws.addRow(columns.map((c) => c.header));
  for (const r of rows) ws.addRow(columns.map((c) => r[c.key] ?? null));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

async function upload(who: TestUser, kind: string, file: Buffer, fileName: string) {
  const boundary = '----doudiOnboardingTest';
  const head = Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${fileName}"\r\ncontent-type: application/octet-stream\r\n\r\n`);
  const res = await s.app.inject({
    method: 'POST', url: `/imports?kind=${kind}&dryRun=true`, payload: Buffer.concat([head, file, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    headers: { authorization: `Bearer ${s.token(who)}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'accept-language': 'zh-CN' },
  });
  expect(res.statusCode, res.body).toBe(202);
  const id = JSON.parse(res.body).id as string;
  await s.engine.imports.settled(id);
  return (await s.as(who, 'GET', `/imports/${id}`)).body;
}

async function rollupsExact() {
  for (const table of Object.keys(ROLLUP_DEFINITIONS) as RollupTable[]) expect(await rollupDifferences(s.database.db, table), table).toEqual([]);
}

async function commit(who: TestUser, id: string) {
  const r = await s.as(who, 'POST', `/imports/${id}/commit`);
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  await s.engine.imports.settled(id);
  return (await s.as(who, 'GET', `/imports/${id}`)).body;
}

const head = idNumber('1947-02-10');
const son = idNumber('1975-08-21');
const sun = (approvedOn: Cell): Record<string, Cell>[] => [
  {
    householdKey: '孙家沟-01', villageCode: V.sunjiagou, address: '灵宝市苏村乡孙家沟村3组12号', name: '孙某', idNumber: head, birthDate: '1947-02-10', sex: '男',
    relation: '户主', labourCapacity: '无劳动能力', categories: '贫困老年人', approvedOn, legacyReference: '灵民〔2019〕37号',
    placementMode: '集中供养', facilityName: '苏村社区集中安置点', placementStart: '2019-07-01', lastRevisitDate: '2025-12-20',
  },
  { householdKey: '孙家沟-01', name: '孙某某', idNumber: son, birthDate: '1975-08-21', sex: '男', relation: '子', labourCapacity: '无劳动能力', disabilityType: '智力', disabilityGrade: 4, seriousIllness: '慢性肾炎', categories: '重特大病人' },
];

describe('onboarding a caseload from spreadsheets through the API', () => {
  it('serves the caseload template with Chinese headers', async () => {
    const res = await s.app.inject({ method: 'GET', url: '/imports/templates/caseload.xlsx', headers: { authorization: `Bearer ${s.token('officer')}` } });
    expect(res.statusCode).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as never);
    const headers = (wb.worksheets[0].getRow(1).values as unknown[]).slice(1);
    expect(headers.slice(0, 6)).toEqual(['户编号', '村（社区）区划代码', '家庭住址', '建档立卡编号', '姓名', '身份证号码']);
    expect(headers).toEqual(expect.arrayContaining(['认定类别', '原审批日期', '原审批文号', '安置方式', '供养（救治）机构', '安置开始日期', '最近回访日期']));
  });

  let caseId: string;
  it('facilities, then a dry run with errors, then the corrected file committed', async () => {
    const fac = await upload('admin', 'facilities', await xlsx(facilityColumns, [{ name: '苏村社区集中安置点', type: '集中安置点', regionCode: '411282108000', beds: 30, caregivers: 3 }]), '机构名录.xlsx');
    expect(fac).toMatchObject({ status: 'validated', rowsWithErrors: 0 });
    expect(await commit('admin', fac.id)).toMatchObject({ status: 'committed', recordsCommitted: 1 });

    const bad = await upload('officer', 'caseload', await xlsx(caseloadColumns, sun('2019年13月10日')), '孙家沟村存量.xlsx');
    expect(bad.status).toBe('validated');
    // The faulty cell, and the household's other row held back with it.
    expect(bad.issues).toEqual([
      expect.objectContaining({ row: 2, column: 'approvedOn', header: '原审批日期', message: expect.stringContaining('不是有效日期') }),
      expect.objectContaining({ row: 3, column: null }),
    ]);
    expect((await s.as('officer', 'POST', `/imports/${bad.id}/commit`)).body.code).toBe('IMPORT_HAS_ERRORS');
    const report = await s.app.inject({ method: 'GET', url: `/imports/${bad.id}/report.xlsx`, headers: { authorization: `Bearer ${s.token('officer')}` } });
    expect(report.statusCode).toBe(200);

    const good = await upload('officer', 'caseload', await xlsx(caseloadColumns, sun('2019-06-10')), '孙家沟村存量.xlsx');
    expect(good).toMatchObject({ status: 'validated', rowsWithErrors: 0, issuesTotal: 0, rowsRead: 2 });
    const done = await commit('officer', good.id);
    expect(done).toMatchObject({ status: 'committed', rowsCommitted: 2, recordsCommitted: 1 });
    await rollupsExact(); // added at the end of the commit, which ran with the rollup triggers off

    const due = (await s.as('visitor', 'GET', '/revisits/due?within=30d')).body.items;
    expect(due).toHaveLength(1);
    caseId = due[0].id;
    const c = (await s.as('officer', 'GET', `/cases/${caseId}`)).body;
    expect(c).toMatchObject({ state: 'active.monitoring', placement: { mode: 'centralized_support', startDate: '2019-07-01' } });
    const [genesis] = (await s.as('officer', 'GET', `/cases/${caseId}/audit`)).body.records;
    expect(genesis).toMatchObject({ eventType: 'ONBOARD', stateBefore: null, stateAfter: 'active.monitoring' });
    expect(genesis.payload.imported).toEqual({ source: 'import', fileName: '孙家沟村存量.xlsx', fileSha256: good.sha256, jobId: good.id });

    // The console's case page shows the genesis record: onboarded, the legacy reference, the file and its hash.
    const page = await (await consoleAs(s, 'officer')).get(`/console/c/${c.caseNumber}`);
    expect(page.status).toBe(200);
    expect(textOf(page.html)).toContain(`存量纳入（原审批文号 灵民〔2019〕37号；批量导入 孙家沟村存量.xlsx，文件 SHA-256 ${good.sha256.slice(0, 12)}…）`);

    // The same file again: every household is already in an open case — nothing more is written.
    const again = await upload('officer', 'caseload', await xlsx(caseloadColumns, sun('2019-06-10')), '孙家沟村存量.xlsx');
    expect(again.issuesTotal).toBeGreaterThan(0);
  });

  it('the onboarded case takes a revisit and an exit like any placed case', async () => {
    const rv = await s.as('visitor', 'POST', `/cases/${caseId}/events`, { type: 'RECORD_REVISIT', date: '2026-03-02', livingConditions: '住房整洁，饮食正常', health: '稳定', problems: '', reassessmentNeeded: false });
    expect(rv.status, JSON.stringify(rv.body)).toBe(200);
    const exit = await s.as('officer', 'POST', `/cases/${caseId}/events`, { type: 'EXIT', reason: 'deceased', date: '2026-03-02' });
    expect(exit.status, JSON.stringify(exit.body)).toBe(200);
    expect(exit.body.state).toBe('exited');
    const audit = (await s.as('officer', 'GET', `/cases/${caseId}/audit`)).body.records.map((r: { eventType: string }) => r.eventType);
    expect(audit).toEqual(['ONBOARD', 'RECORD_REVISIT', 'EXIT']);
    await rollupsExact(); // the triggers count the commands after the import as usual (the revisit, the exit)
  });
});
