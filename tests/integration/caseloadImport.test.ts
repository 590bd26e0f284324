// The onboarding import kinds (caseload, facilities, guardians) against the import framework's interface
// (src/imports/kind.ts), on both databases: rows parsed and grouped as the framework would, the dry run's checks
// against the registries and open cases, and the commit inside one transaction — the same engine function as
// POST /onboarding/households, every genesis audit record naming the file's SHA-256 and the job.
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/index.js';
import { commandDbOf } from '../../src/db/session.js';
import type { CommitContext, ImportKind, ImportSource, ParsedRow, ReadContext, RowCells } from '../../src/imports/kind.js';
import { createCaseloadKind, type CaseloadGroup } from '../../src/imports/kinds/caseload.js';
import { createFacilitiesKind, createGuardiansKind } from '../../src/imports/kinds/registries.js';
import { idNumber, startService, V, type TestService, type TestUser } from '../helpers/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => {
  await svc?.close();
});

const cdb = () => commandDbOf(svc.database.db);
const readCtx = (who: TestUser): ReadContext => ({ principal: svc.principal(who), at: svc.clock.now(), query: (stmts) => Promise.all(stmts.map((s) => cdb().run(s))) });

/** What the framework does with a sheet: parse each row, group, build, validate — the dry run. */
async function dryRun<R, G>(kind: ImportKind<R, G>, sheet: RowCells[], who: TestUser) {
  const issues = [];
  const byKey = new Map<string, ParsedRow<R>[]>();
  sheet.forEach((cells, i) => {
    const row = i + 2;
    const r = kind.parseRow(cells, row);
    issues.push(...r.issues);
    if (r.value !== null) byKey.set(kind.groupKey(r.value), [...(byKey.get(kind.groupKey(r.value)) ?? []), { row, value: r.value }]);
  });
  const groups: G[] = [];
  for (const [key, parsed] of byKey) {
    const g = kind.buildGroup(key, parsed);
    issues.push(...g.issues);
    if (g.value !== null) groups.push(g.value);
  }
  if (issues.length === 0) issues.push(...(await kind.validateGroups(groups, readCtx(who))));
  return { groups, issues };
}

/** The commit as the framework runs it: one transaction, the kind's writes, nothing else. */
async function commit<G>(kind: ImportKind<unknown, G>, groups: G[], who: TestUser, source: ImportSource) {
  let progress = 0;
  return cdb().transaction(async (session) => {
    const ctx: CommitContext = { ...readCtx(who), session, source, options: {}, progress: (n) => (progress = n) };
    const out = await kind.commit(groups, ctx);
    return { final: [], result: { ...out, progress } };
  });
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const source = (name: string): ImportSource => ({ jobId: `job-${name}`, kind: 'caseload', fileName: `${name}.xlsx`, sha256: sha(name), importer: { id: svc.principal('officer').id, username: 'officer' } });
const count = async (table: string) => Number(rows<{ n: number }>(await svc.database.db.execute(sql.raw(`select count(*)::int as n from ${table}`)))[0].n);

/** The Sun household as two rows of the caseload template (Chinese labels as a person types them). */
function sunRows(key = 'SJG-001', facilityName = '苏村社区集中安置点'): RowCells[] {
  const head = idNumber('1947-02-10');
  const son = idNumber('1975-08-21');
  return [
    {
      householdKey: key, villageCode: V.sunjiagou, address: '灵宝市苏村乡孙家沟村3组12号', name: '孙某', idNumber: head, birthDate: '1947/2/10', sex: '男',
      relation: '户主', labourCapacity: '无劳动能力', categories: '贫困老年人', approvedOn: '2019年6月10日', legacyReference: '灵民〔2019〕37号',
      placementMode: '集中供养', facilityName, placementStart: 43647 /* Excel serial of 2019-07-01 */, lastRevisitDate: '2025-12-20',
    },
    {
      householdKey: key, name: '孙某某', idNumber: son, birthDate: '1975-08-21', sex: '男', relation: '子', labourCapacity: '无劳动能力',
      disabilityType: '智力', disabilityGrade: 4, seriousIllness: '慢性肾炎', categories: '重特大病人',
    },
  ];
}

describe('registries first: facilities and guardians from a sheet', () => {
  it('imports the 苏村社区 resettlement site and a guardian; the same sheet again is refused as already registered', async () => {
    const facilities = createFacilitiesKind();
    const sheet = [{ name: '苏村社区集中安置点', type: '集中安置点', regionCode: '411282108000', beds: 30, caregivers: 3 }];
    const dry = await dryRun(facilities, sheet, 'admin');
    expect(dry.issues).toEqual([]);
    expect(await commit(facilities, dry.groups, 'admin', source('facilities'))).toMatchObject({ rows: 1, records: 1, progress: 1 });
    const again = await dryRun(facilities, sheet, 'admin');
    expect(again.issues).toEqual([expect.objectContaining({ row: 2, column: 'name', message: expect.stringContaining('名录中已有') })]);

    const guardians = createGuardiansKind();
    const g = await dryRun(guardians, [{ name: '孙建国', kind: '邻居', regionCode: V.sunjiagou, phone: '13900000000' }], 'officer');
    expect(g.issues).toEqual([]);
    await commit(guardians, g.groups, 'officer', source('guardians'));
    expect(createFacilitiesKind().roles).toEqual(['admin']);
  });

  it('refuses per cell, in Chinese: unknown type, negative beds, a region outside the jurisdiction', async () => {
    const dry = await dryRun(createFacilitiesKind(), [
      { name: '某院', type: '城堡', regionCode: '411282108000', beds: 5, caregivers: 1 },
      { name: '某院', type: '敬老院', regionCode: '411221100000', beds: 5, caregivers: 1 },
    ], 'admin');
    expect(dry.issues).toEqual([
      expect.objectContaining({ row: 2, column: 'type', message: expect.stringContaining('不是可选值') }),
    ]);
    const outside = await dryRun(createFacilitiesKind(), [{ name: '某院', type: '敬老院', regionCode: '411221100000', beds: 5, caregivers: 1 }], 'admin');
    expect(outside.issues).toEqual([expect.objectContaining({ row: 2, column: 'regionCode', message: expect.stringContaining('不在您的管辖范围') })]);
  });
});

describe('the caseload kind', () => {
  it('reads the Sun household from two rows (text, slashed and Chinese dates, an Excel serial), onboards it in one transaction', async () => {
    const kind = createCaseloadKind(svc.engine);
    const dry = await dryRun(kind, sunRows(), 'officer');
    expect(dry.issues).toEqual([]);
    const [g] = dry.groups as CaseloadGroup[];
    expect(g.rows).toEqual([2, 3]);
    expect(g.household).toMatchObject({ approvedOn: '2019-06-10', lastRevisitDate: '2025-12-20' });
    expect(g.placement).toMatchObject({ mode: 'centralized_support', startDate: '2019-07-01', facilityName: '苏村社区集中安置点' });
    const before = await count('cases');
    const out = await commit(kind as ImportKind<unknown, CaseloadGroup>, dry.groups as CaseloadGroup[], 'officer', source('caseload'));
    expect(out).toMatchObject({ rows: 2, records: 1, progress: 2 });
    expect(await count('cases')).toBe(before + 1);
    const [audit] = rows<{ event_type: string; state_after: string; payload: unknown }>(await svc.database.db.execute(sql`select a.event_type, a.state_after, a.payload::text as payload from audit_records a join cases c on c.id = a.case_id where c.village_code = ${V.sunjiagou} and a.seq = 1 order by a.at desc limit 1`));
    expect(audit).toMatchObject({ event_type: 'ONBOARD', state_after: 'active.monitoring' });
    expect(JSON.parse(String(audit.payload)).imported).toEqual({ source: 'import', fileName: 'caseload.xlsx', fileSha256: sha('caseload'), jobId: 'job-caseload' });
  });

  it('reports problems per row and column, in Chinese: an ID number Excel turned into a number, missing household columns, an unknown facility', async () => {
    const kind = createCaseloadKind(svc.engine);
    const sheet = sunRows('SJG-002', '不存在的院');
    const broken = { ...sheet[1], idNumber: 4.11282197508e17 };
    const r = await dryRun(kind, [sheet[0], broken], 'officer');
    expect(r.issues).toEqual([expect.objectContaining({ row: 3, column: 'idNumber', message: expect.stringContaining('科学计数法') })]);
    const unknown = await dryRun(kind, [sheet[0]], 'officer');
    expect(unknown.issues).toEqual([expect.objectContaining({ row: 2, column: 'facilityName', message: expect.stringContaining('机构名录中没有') })]);
    const { approvedOn: _a, legacyReference: _l, ...noApproval } = sunRows('SJG-003')[0];
    const missing = await dryRun(kind, [noApproval], 'officer');
    expect(missing.issues.map((i) => [i.row, i.column])).toEqual([[2, 'approvedOn'], [2, 'legacyReference']]);
  });

  it('a resident already onboarded, and a facility over its ratio, are refused at the dry run and at commit — nothing written', async () => {
    const kind = createCaseloadKind(svc.engine);
    // 30 beds, 3 caregivers: 15 places, 2 taken by the Sun household. Seven households of two: the seventh is over.
    const sheet = Array.from({ length: 7 }, (_, i) => sunRows(`H-${i}`)).flat();
    const dry = await dryRun(kind, sheet, 'officer');
    expect(dry.issues).toEqual([expect.objectContaining({ row: 14, column: null, message: expect.stringContaining('每名护理人员照护人数将超过 5 人') })]);
    const before = await count('cases');
    await expect(commit(kind as ImportKind<unknown, CaseloadGroup>, dry.groups as CaseloadGroup[], 'officer', source('over'))).rejects.toMatchObject({ code: 'ONBOARDING_REFUSED' });
    expect(await count('cases')).toBe(before);

    const taken = sunRows('DUP');
    const first = await dryRun(kind, [taken[0]], 'officer');
    await commit(kind as ImportKind<unknown, CaseloadGroup>, first.groups as CaseloadGroup[], 'officer', source('dup-1'));
    const second = await dryRun(kind, [{ ...taken[0], householdKey: 'DUP-2' }], 'officer');
    expect(second.issues).toEqual([expect.objectContaining({ row: 2, message: expect.stringContaining('办理中的案件') })]);
  });

  it('dispersed care by the guardian registry, with its three-party agreement', async () => {
    const kind = createCaseloadKind(svc.engine);
    const [row] = sunRows('DISP');
    const sheet = [{ ...row, placementMode: '分散托养', facilityName: null, guardianName: '孙建国', appointedByTownship: '是', agreementSignedOn: '2019-06-28', agreementTermMonths: 120, agreementSigned: '是' }];
    const dry = await dryRun(kind, sheet, 'officer');
    expect(dry.issues).toEqual([]);
    const out = await commit(kind as ImportKind<unknown, CaseloadGroup>, dry.groups as CaseloadGroup[], 'officer', source('dispersed'));
    expect(out.records).toBe(1);
  });

  it('only officers and admins run it', () => {
    expect(createCaseloadKind(svc.engine).roles).toEqual(['officer', 'admin']);
  });
});
