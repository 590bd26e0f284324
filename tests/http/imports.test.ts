// Bulk import of surveys (批量导入) through the API, on PGlite and PostgreSQL: dry run, report, commit all or
// nothing, once only, cancel, a commit that dies half-way, jurisdiction; the files are real (ExcelJS, GBK bytes).
import { sql } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLLUP_DEFINITIONS, rollupDifferences, rows, type RollupTable } from '../../src/db/index.js';
import { residentIdCheckChar } from '../../src/domain/residentId.js';
import { ID_AS_NUMBER_ZH } from '../../src/imports/cells.js';
import { gbkCsvOf, households, surveyRow, xlsmFile, xlsxOf, zipBomb, encryptedWorkbook, type Cell } from '../helpers/importFiles.js';
import { lockHolder, onPostgres } from '../helpers/race.js';
import { idNumber, startService, sunSurvey, V, type TestService, type TestUser } from '../helpers/service.js';

let s: TestService;
beforeAll(async () => {
  s = await startService({ env: { IMPORT_MAX_BYTES: String(2 << 20) } });
});
afterAll(async () => {
  await s?.close();
});

function multipart(file: Buffer, fileName: string) {
  const boundary = '----doudiImportTest';
  const head = Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${fileName}"\r\ncontent-type: application/octet-stream\r\n\r\n`);
  return { payload: Buffer.concat([head, file, Buffer.from(`\r\n--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
}

async function upload(who: TestUser, file: Buffer, fileName = '孙家沟村普查.xlsx', dryRun = true, submit = false) {
  const m = multipart(file, fileName);
  const res = await s.app.inject({
    method: 'POST',
    url: `/imports?kind=survey&dryRun=${dryRun}${submit ? '&submit=true' : ''}`,
    payload: m.payload,
    headers: { authorization: `Bearer ${s.token(who)}`, 'content-type': m.contentType, 'accept-language': 'zh-CN' },
  });
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

/** The job once this process's background work on it has ended (validation, or a commit). */
async function settled(who: TestUser, id: string) {
  await s.engine.imports.settled(id);
  const r = await s.as(who, 'GET', `/imports/${id}`);
  expect(r.status).toBe(200);
  return r.body;
}

async function dryRun(who: TestUser, file: Buffer, name?: string) {
  const up = await upload(who, file, name);
  expect(up.status, JSON.stringify(up.body)).toBe(202);
  return settled(who, up.body.id);
}

async function commit(who: TestUser, id: string) {
  const r = await s.as(who, 'POST', `/imports/${id}/commit`);
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  return settled(who, id);
}

const count = async (table: 'cases' | 'households' | 'members' | 'audit_records' | 'resident_enrolments' | 'timers') =>
  Number(rows<{ n: number }>(await s.database.db.execute(sql.raw(`select count(*)::int as n from ${table}`)))[0].n);
const counts = async () => ({ cases: await count('cases'), households: await count('households'), members: await count('members'), audit: await count('audit_records'), enrolments: await count('resident_enrolments') });

describe('survey import', () => {
  it('serves the template: Chinese headers, an example row, drop-down lists, the ID column as text', async () => {
    const res = await s.app.inject({ method: 'GET', url: '/imports/templates/survey.xlsx', headers: { authorization: `Bearer ${s.token('enumerator')}` } });
    expect(res.statusCode).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as never);
    const ws = wb.worksheets[0];
    expect(ws.getRow(1).getCell(1).value).toBe('户编号');
    expect(ws.getRow(1).getCell(6).value).toBe('身份证号码');
    expect(ws.getColumn(6).numFmt).toBe('@');
    const example = String(ws.getRow(2).getCell(6).value);
    expect(example.slice(17)).toBe(residentIdCheckChar(example.slice(0, 17))); // the example row is valid
    expect(ws.getCell('J2').dataValidation).toMatchObject({ type: 'list', formulae: ['"有劳动能力,部分丧失劳动能力,无劳动能力"'] });
  });

  it('dry run of a GBK CSV with errors: per row and column in Chinese, nothing written, a report with the cells marked', async () => {
    const before = await counts();
    const good = households(2, 'g');
    const wrongCheck = idNumber('1950-03-15').slice(0, 17) + 'Y';
    const bad: Cell[][] = [
      surveyRow({ key: 'b1', name: '甲', birth: '1950/3/15', id: 4.11282195e17 }), // Excel turned the ID into a number
      surveyRow({ key: 'b2', name: '乙', birth: '1950年3月15日', id: '4.11282E+17' }),
      surveyRow({ key: 'b3', name: '丙', birth: '1950-03-15', id: wrongCheck }),
      surveyRow({ key: 'b4', name: '丁', birth: '1950-03-16', id: idNumber('1950-03-15') }), // birth date differs
      surveyRow({ key: 'b5', name: '戊', birth: '1950-03-15', labour: '能干活' }),
    ];
    const file = gbkCsvOf([...good, ...bad]);
    const job = await dryRun('enumerator', file, '普查.csv');
    expect(job).toMatchObject({ status: 'validated', format: 'csv', rowsRead: 9, rowsWithErrors: 5, households: 2, rowsCommitted: 0 });
    const at = (row: number) => job.issues.filter((i: { row: number }) => i.row === row).map((i: { header: string; message: string }) => `${i.header}: ${i.message}`);
    expect(at(6)).toHaveLength(1); // the number as the CSV holds it: 411282195000000000
    expect(at(6)[0]).toContain(`身份证号码: ${ID_AS_NUMBER_ZH}`);
    expect(at(7)).toEqual([`身份证号码: ${ID_AS_NUMBER_ZH}`]);
    expect(at(8)).toEqual(['身份证号码: 身份证号码应为17位数字加1位数字或X']);
    expect(at(9)).toEqual(['身份证号码: 身份证号码中的出生日期与填写的出生日期不一致']);
    expect(at(10)).toEqual(['劳动能力: “能干活”不是可选值，可填：有劳动能力、部分丧失劳动能力、无劳动能力']);
    expect(await counts()).toEqual(before);
    const refused = await s.as('enumerator', 'POST', `/imports/${job.id}/commit`, undefined, { 'accept-language': 'zh-CN' });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'IMPORT_HAS_ERRORS', details: { rowsWithErrors: 5 } });

    const res = await s.app.inject({ method: 'GET', url: `/imports/${job.id}/report.xlsx`, headers: { authorization: `Bearer ${s.token('enumerator')}` } });
    expect(res.statusCode).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as never);
    const sheet = wb.getWorksheet('试导入结果')!;
    const idCell = sheet.getRow(8).getCell(6);
    expect((idCell.fill as ExcelJS.FillPattern).fgColor?.argb).toBe('FFFFC7CE');
    expect(String(idCell.note)).toContain('身份证号码应为17位数字加1位数字或X');
    expect((sheet.getRow(2).getCell(6).fill as ExcelJS.FillPattern | undefined)?.fgColor?.argb).toBeUndefined(); // a good cell stays unmarked
    const list = wb.getWorksheet('错误清单')!;
    expect(list.rowCount).toBe(1 + 5);
  });

  it('commits an XLSX with serial and text dates: each household a case in survey, audited as imported, as if by hand', async () => {
    const before = await counts();
    const rowsIn = households(3, 'c');
    rowsIn[0][6] = 18337; // 1950-03-15 as an Excel serial number
    rowsIn[1][6] = new Date(Date.UTC(1952, 6, 1)); // a date cell
    const file = await xlsxOf(rowsIn);
    const job = await dryRun('enumerator', file);
    expect(job).toMatchObject({ status: 'validated', rowsRead: 6, rowsWithErrors: 0, households: 3, issues: [] });
    expect(await counts()).toEqual(before);
    const done = await commit('enumerator', job.id);
    expect(done).toMatchObject({ status: 'committed', rowsCommitted: 6, recordsCommitted: 3, error: null });
    const after = await counts();
    expect(after).toEqual({ cases: before.cases + 3, households: before.households + 3, members: before.members + 6, audit: before.audit + 3, enrolments: before.enrolments + 6 });
    const audits = rows<{ payload: { import: Record<string, unknown>; members: unknown[] }; event_type: string; actor_id: string; request_id: string; state: string; case_number: string }>(
      await s.database.db.execute(sql`select a.payload, a.event_type, a.actor_id, a.request_id, c.state, c.case_number from audit_records a join cases c on c.id = a.case_id where a.request_id = ${`import:${job.id}`} order by a.id`),
    );
    expect(audits).toHaveLength(3);
    for (const a of audits) {
      expect(a).toMatchObject({ event_type: 'OPEN_CASE', actor_id: s.users.enumerator.id, state: 'survey' });
      expect(a.case_number).toMatch(/^411282-2026-\d{6}$/);
      expect(a.payload.import).toMatchObject({ jobId: job.id, kind: 'survey', fileName: '孙家沟村普查.xlsx', sha256: job.sha256 });
      expect(JSON.stringify(a.payload)).not.toMatch(/\d{17}[\dX]/); // ID numbers masked as by hand
    }
    expect(audits[0].payload.import.rows).toEqual([2, 3]);
    // Numbers reserved a batch at a time: consecutive, in file order, after the ones taken by hand before.
    const seqs = audits.map((a) => Number(a.case_number.slice(12)));
    expect(seqs).toEqual([seqs[0], seqs[0] + 1, seqs[0] + 2]);

    // The case reads like one surveyed by hand.
    const caseId = rows<{ id: string }>(await s.database.db.execute(sql`select case_id as id from audit_records where request_id = ${`import:${job.id}`} limit 1`))[0].id;
    const view = await s.as('enumerator', 'GET', `/cases/${caseId}`);
    expect(view.body).toMatchObject({ state: 'survey' });

    // The same file again (a second upload): refused as imported already, and nothing new.
    const again = await dryRun('enumerator', file);
    expect(again.issues[0]).toMatchObject({ row: null, message: '这个文件（内容相同）已由本辖区导入过，不会重复导入' });
    const refused = await s.as('enumerator', 'POST', `/imports/${again.id}/commit`);
    expect(refused.body).toMatchObject({ code: 'IMPORT_ALREADY_COMMITTED', details: { importId: job.id } });
    expect(await counts()).toEqual(after);
    const byHand = await s.as('enumerator', 'POST', '/households', sunSurvey(V.mingshan));
    expect(Number(byHand.body.caseNumber.slice(12))).toBe(seqs[0] + 3); // the counter went on from the import's
  });

  it('finds duplicates inside the file and against open cases, and villages outside the jurisdiction or unknown', async () => {
    const opened = await s.as('enumerator', 'POST', '/households', sunSurvey());
    expect(opened.status).toBe(201);
    const openId = opened.body.household.members[0].idNumber as string;
    const twice = idNumber('1950-03-15');
    const file = await xlsxOf([
      surveyRow({ key: 'd1', name: '甲', birth: '1950-03-15', id: twice }),
      surveyRow({ key: 'd2', name: '乙', birth: '1950-03-15', id: twice }),
      surveyRow({ key: 'd3', name: '孙某', birth: '1947-02-10', id: openId }),
      surveyRow({ key: 'd4', name: '丙', birth: '1950-03-15', village: V.mianchi }),
      surveyRow({ key: 'd5', name: '丁', birth: '1950-03-15', village: '411282108299' }),
    ]);
    const job = await dryRun('enumerator', file);
    const msgs = job.issues.map((i: { row: number; column: string; message: string }) => `${i.row} ${i.column} ${i.message}`);
    expect(msgs).toEqual([
      '3 idNumber 与第 2 行是同一人（同一身份证号码在文件中出现两次）',
      `4 idNumber 此人已在办理中的案件 ${opened.body.caseNumber} 中，不能重复登记`,
      '5 villageCode 该村不在您的辖区（411282108）内',
      '6 villageCode 村代码不存在（不在行政区划表中），请核对',
    ]);
  });

  it('is all or nothing: one bad row among many commits nothing; a commit that fails half-way leaves nothing', async () => {
    const before = await counts();
    const rowsIn = households(30, 'a');
    rowsIn.push(surveyRow({ key: 'a-bad', name: '坏', birth: '1950-03-15', sex: '女', id: idNumber('1950-03-15', 'male') }));
    const bad = await dryRun('enumerator', await xlsxOf(rowsIn));
    expect(bad).toMatchObject({ rowsWithErrors: 1, issues: [{ row: 62, column: 'idNumber', message: '身份证号码显示为男性，与“性别”一栏不一致' }] });
    expect((await s.as('enumerator', 'POST', `/imports/${bad.id}/commit`)).status).toBe(409);
    expect(await counts()).toEqual(before);

    // A statement that fails in the middle of the commit (the 25th household's members): the transaction aborts.
    await s.database.db.execute(sql.raw(`create function import_test_fail() returns trigger language plpgsql as $$
      begin if new.name = '配偶25' then raise exception 'disk full (test)'; end if; return new; end $$`));
    await s.database.db.execute(sql.raw('create trigger import_test_fail before insert on members for each row execute function import_test_fail()'));
    try {
      const ok = await dryRun('enumerator', await xlsxOf(households(30, 'k')));
      expect(ok.rowsWithErrors).toBe(0);
      const failed = await commit('enumerator', ok.id);
      expect(failed).toMatchObject({ status: 'failed', rowsCommitted: 0, error: { code: 'INTERNAL' } });
      expect(await counts()).toEqual(before);
      expect(s.logLines.join('\n')).not.toContain('配偶25'); // no personal data in the log
    } finally {
      await s.database.db.execute(sql.raw('drop trigger import_test_fail on members'));
      await s.database.db.execute(sql.raw('drop function import_test_fail()'));
    }
  });

  it('cancels before commit, not after; only the importer commits; other roles may not import surveys', async () => {
    const job = await dryRun('enumerator', await xlsxOf(households(1, 'x')));
    expect((await s.as('mcEnumerator', 'GET', `/imports/${job.id}`)).body).toMatchObject({ code: 'IMPORT_NOT_FOUND' });
    expect((await s.as('mcEnumerator', 'POST', `/imports/${job.id}/commit`)).body).toMatchObject({ code: 'IMPORT_NOT_FOUND' });
    expect((await s.as('supervisor', 'GET', `/imports/${job.id}`)).status).toBe(200);
    const cancelled = await s.as('enumerator', 'POST', `/imports/${job.id}/cancel`);
    expect(cancelled.body).toMatchObject({ status: 'cancelled' });
    expect((await s.as('enumerator', 'POST', `/imports/${job.id}/commit`)).body).toMatchObject({ code: 'IMPORT_STATE_CONFLICT', details: { status: 'cancelled' } });
    const officer = await upload('officer', await xlsxOf(households(1, 'y')));
    expect(officer).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
  });

  it('refuses unsafe or unreadable files with their own codes', async () => {
    const cases: [Buffer, string, number][] = [
      [Buffer.alloc((2 << 20) + 10, 0x41), 'IMPORT_FILE_TOO_LARGE', 413],
      [zipBomb(8), 'IMPORT_ZIP_BOMB', 400],
      [xlsmFile(), 'IMPORT_MACRO_WORKBOOK', 400],
      [encryptedWorkbook(), 'IMPORT_WORKBOOK_ENCRYPTED', 400],
      [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]), 'IMPORT_FORMAT_UNKNOWN', 400],
    ];
    for (const [file, code, status] of cases) expect(await upload('enumerator', file), code).toMatchObject({ status, body: { code } });
    // A wrong header: the job fails with the columns named.
    const job = await dryRun('enumerator', gbkCsvOf([['1', '张三']], ['户编号', '名字']));
    expect(job).toMatchObject({ status: 'failed', error: { code: 'IMPORT_HEADER_INVALID' } });
    expect(job.error.message).toContain('无法识别的列：名字');
  });

  it('commits one file once when two jobs of it commit at the same time (the unique index decides)', async () => {
    const before = await counts();
    const file = await xlsxOf(households(5, 'r'));
    const [a, b] = [await dryRun('enumerator', file), await dryRun('enumerator', file)];
    const holder = await lockHolder(s.database);
    try {
      // Both commits inside the database at once: the first waits on the cases table, the second on the first.
      const lock = await holder.hold((t) => t`lock table cases in exclusive mode`);
      const answers = await Promise.all([s.as('enumerator', 'POST', `/imports/${a.id}/commit`), s.as('enumerator', 'POST', `/imports/${b.id}/commit`)]);
      expect(answers.map((r) => r.status)).toEqual([202, 202]);
      if (onPostgres) expect(await lock.waitFor(2)).toBeGreaterThanOrEqual(2);
      await lock.release();
      const ends = [await settled('enumerator', a.id), await settled('enumerator', b.id)];
      expect(ends.map((e) => e.status).sort()).toEqual(['committed', 'failed']);
      const loser = ends.find((e) => e.status === 'failed');
      if (onPostgres) expect(loser.error.code).toBe('IMPORT_ALREADY_COMMITTED');
      else expect(['IMPORT_ALREADY_COMMITTED', 'IMPORT_HAS_ERRORS']).toContain(loser.error.code);
      expect((await counts()).cases).toBe(before.cases + 5);
    } finally {
      await holder.close();
    }
  });

  it('commits at once when the upload says dryRun=false and the file is clean', async () => {
    const before = await counts();
    const up = await upload('enumerator', await xlsxOf(households(2, 'n')), 'n.xlsx', false);
    expect(up.status).toBe(202);
    await s.engine.imports.settled(up.body.id);
    const job = await settled('enumerator', up.body.id);
    expect(job).toMatchObject({ status: 'committed', recordsCommitted: 2 });
    expect((await counts()).cases).toBe(before.cases + 2);
  });

  it('submits each survey when the upload asks (submit=true): screened as by hand, in the same transaction', async () => {
    const rowsIn = [...households(2, 's'), surveyRow({ key: 's-young', name: '青年', birth: '1990-01-01', labour: '有劳动能力' })];
    const up = await upload('enumerator', await xlsxOf(rowsIn), 's.xlsx', false, true);
    expect(up.status).toBe(202);
    const job = await settled('enumerator', up.body.id);
    expect(job).toMatchObject({ status: 'committed', recordsCommitted: 3 });
    const states = rows<{ state: string; events: string }>(
      await s.database.db.execute(sql`select c.state, string_agg(a.event_type, ',' order by a.seq) as events from cases c join audit_records a on a.case_id = c.id
        where c.id in (select case_id from audit_records where request_id = ${`import:${job.id}`}) group by c.id, c.case_number order by c.case_number`),
    );
    expect(states).toEqual([
      { state: 'preliminary', events: 'OPEN_CASE,SUBMIT_SURVEY' },
      { state: 'preliminary', events: 'OPEN_CASE,SUBMIT_SURVEY' },
      { state: 'screenedOut', events: 'OPEN_CASE,SUBMIT_SURVEY' }, // a man of 36 able to work: no category
    ]);
    // The commit ran with the rollup triggers off and added the new cases' rollups at the end: they equal their
    // recount (states, people, categories, the month's survey flow).
    for (const table of Object.keys(ROLLUP_DEFINITIONS) as RollupTable[]) expect(await rollupDifferences(s.database.db, table), table).toEqual([]);
  });

  it('resumes after a restart: a job left committing goes back to validated (its transaction wrote nothing)', async () => {
    const job = await dryRun('enumerator', await xlsxOf(households(1, 'z')));
    await s.database.db.execute(sql`update import_jobs set status = 'committing' where id = ${job.id}`);
    expect(await s.engine.imports.recover()).toMatchObject({ reopened: 1 });
    expect((await s.as('enumerator', 'GET', `/imports/${job.id}`)).body.status).toBe('validated');
    expect((await commit('enumerator', job.id)).status).toBe('committed');
  });
});
