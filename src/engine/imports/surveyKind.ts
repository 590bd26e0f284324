/**
 * The survey import (入户普查导入): each household of the file becomes a case in `survey`, exactly as
 * POST /households makes one — the same input schema and member checks (surveyInput.ts), the same plan
 * (plan/survey.ts: jurisdiction, one open case per resident, the case machine's start, deadlines, timers) and the
 * same write statements (commandWrites.ts), sent in pipelined batches inside the import's one transaction. Its
 * audit record (OPEN_CASE) carries `import`: the job, file name, SHA-256 and the file rows it came from.
 *
 * Who: enumerators (the only role that surveys by hand, actorFor(…, 'SUBMIT_SURVEY')), within their jurisdiction.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { parseOpenCases, type ResidentClash } from '../../db/commandSql.js';
import { caseWriteBatch, caseWriteStatements, reserveCaseNumbersStmt } from '../../db/commandWrites.js';
import { formatCaseNumber } from '../../domain/caseNumber.js';
import type { Stmt } from '../../db/session.js';
import { isAppError, type FieldIssue } from '../../errors.js';
import { localizeIssue } from '../../http/i18n.js';
import { readBoolean, readDate, readEnum, readIdNumber, readInteger, readRegionCode, readText, type Read } from '../../imports/cells.js';
import { issue, type CommitContext, type ImportIssue, type ImportKind, type ParsedRow, type ReadContext, type RowCells } from '../../imports/kind.js';
import { inJurisdiction } from '../access.js';
import type { PlanContext } from '../plan/shared.js';
import { planEvent } from '../plan/event.js';
import { planSurvey } from '../plan/survey.js';
import { checkMembers, householdInputSchema, type HouseholdInput, type MemberInput } from '../surveyInput.js';
import { disabilityValues, householdFieldColumn, labourValues, memberFieldColumn, sexValues, surveyColumns } from './surveyColumns.js';

export interface SurveyRow {
  householdKey: string;
  villageCode: string | null;
  address: string | null;
  poorId: string | null;
  supporter: { name: string | null; relation: string | null; phone: string | null; address: string | null };
  member: MemberInput;
}

export interface SurveyGroup {
  key: string;
  rows: number[];
  input: HouseholdInput;
}

export interface SurveyOptions {
  /** Submit each survey after opening it (SUBMIT_SURVEY as the importer, screening included), in the same transaction. */
  submit: boolean;
}

const optionsSchema = z.strictObject({ submit: z.boolean().default(false) });

/** Households per pipelined batch of the commit: ~5 statements each; bounded so memory stays flat. */
const COMMIT_BATCH = 250;
/** ID numbers per read of open cases. */
const CLASH_READ_BATCH = 5000;

export function createSurveyKind(planContext: () => PlanContext): ImportKind<SurveyRow, SurveyGroup, SurveyOptions> {
  return {
    name: 'survey',
    label: '入户普查',
    roles: ['enumerator'],
    columns: surveyColumns,
    parseOptions: (raw) => optionsSchema.parse(raw) as SurveyOptions,
    parseRow,
    groupColumn: 'householdKey',
    groupKey: (r) => r.householdKey,
    buildGroup,
    rowsOf: (g) => g.rows,
    validateGroups,
    commit,
    createsCases: true,
  };

  async function commit(groups: readonly SurveyGroup[], ctx: CommitContext<SurveyOptions>): Promise<{ rows: number; records: number; caseIds: string[] }> {
    const ctxPlan = planContext();
    const principal = ctx.principal;
    let rows = 0;
    const caseIds: string[] = [];
    // Every case number of the file first, one counter update per county (the numbers go in file order within a
    // county), so the batches below need no round trip of their own before they are sent.
    const perCounty = new Map<string, number>();
    for (const g of groups) perCounty.set(g.input.villageCode.slice(0, 6), (perCounty.get(g.input.villageCode.slice(0, 6)) ?? 0) + 1);
    const counties = [...perCounty.keys()];
    const taken = await ctx.session.batch(counties.map((c) => reserveCaseNumbersStmt(c, ctx.at, perCounty.get(c)!)));
    const next = new Map(
      counties.map((c, k) => {
        const r = taken[k][0] as { year: number | string; last: number | string };
        return [c, { year: Number(r.year), seq: Number(r.last) - perCounty.get(c)! + 1 }];
      }),
    );
    for (let i = 0; i < groups.length; i += COMMIT_BATCH) {
      const batch = groups.slice(i, i + COMMIT_BATCH);
      const stmts: Stmt[] = [];
      for (const g of batch) {
        const plan = planSurvey(
          // Checked inside this transaction just before (validateGroups): a known village, nobody held elsewhere.
          // A concurrent survey taking one of these people still fails on resident_enrolments' key: all rolls back.
          { region: { code: g.input.villageCode, level: 'village' }, idempotency: null, clashes: [] },
          {
            meta: { principal, requestId: `import:${ctx.source.jobId}` },
            input: g.input,
            requestHash: null,
            at: ctx.at,
            ids: { caseId: caseIds[caseIds.push(randomUUID()) - 1], householdId: randomUUID(), memberIds: g.input.members.map(() => randomUUID()) },
            source: { jobId: ctx.source.jobId, kind: ctx.source.kind, fileName: ctx.source.fileName, sha256: ctx.source.sha256, rows: g.rows },
          },
          ctxPlan,
        );
        if (plan.kind !== 'write') throw new Error('an import never replays');
        const county = g.input.villageCode.slice(0, 6);
        const number = next.get(county)!;
        plan.write.create!.caseNumber = formatCaseNumber(county, number.year, number.seq++);
        stmts.push(...caseWriteBatch(plan.write).stmts);
        if (ctx.options.submit) {
          // SUBMIT_SURVEY on the case just planned, as by hand (POST /cases/:id/events): the machine screens the
          // household. Its row is the survey's as written (row version 1); the case number is not read by the event.
          const submitted = planEvent(
            { ...plan.rows(''), idempotency: null },
            { meta: { principal, requestId: `import:${ctx.source.jobId}` }, input: { type: 'SUBMIT_SURVEY' }, body: { type: 'SUBMIT_SURVEY' }, at: ctx.at, newIds: randomUUID },
            ctxPlan,
          );
          if (submitted.kind !== 'write') throw new Error('an import never replays');
          stmts.push(...caseWriteStatements(submitted.write));
        }
        rows += g.rows.length;
      }
      await ctx.session.batch(stmts);
      ctx.progress(rows);
    }
    return { rows, records: groups.length, caseIds };
  }
}

const cellsOk = <T>(r: Read<T>, row: number, column: string, issues: ImportIssue[]): T | null => {
  if (r.ok) return r.value;
  issues.push(issue(row, column, r.message));
  return null;
};

function required<T>(v: T | null, row: number, column: string, header: string, issues: ImportIssue[]): T | null {
  if (v === null && !issues.some((i) => i.row === row && i.column === column)) issues.push(issue(row, column, `必填：请填写“${header}”`));
  return v;
}

function parseRow(c: RowCells, row: number): { value: SurveyRow | null; issues: ImportIssue[] } {
  const issues: ImportIssue[] = [];
  const text = (key: string, max: number) => cellsOk(readText(c[key] ?? null, max), row, key, issues);
  const householdKey = required(text('householdKey', 40), row, 'householdKey', '户编号', issues);
  const villageCode = cellsOk(readRegionCode(c.villageCode ?? null), row, 'villageCode', issues);
  const address = text('address', 200);
  const poorId = text('poorId', 40);
  const name = required(text('name', 50), row, 'name', '姓名', issues);
  const birthDate = required(cellsOk(readDate(c.birthDate ?? null), row, 'birthDate', issues), row, 'birthDate', '出生日期', issues);
  const sex = required(cellsOk(readEnum(c.sex ?? null, sexValues), row, 'sex', issues), row, 'sex', '性别', issues) as 'male' | 'female' | null;
  const idNumber = cellsOk(readIdNumber(c.idNumber ?? null, { birthDate, sex }), row, 'idNumber', issues);
  const relation = required(text('relation', 20), row, 'relation', '与户主关系', issues);
  const labourCapacity = required(cellsOk(readEnum(c.labourCapacity ?? null, labourValues), row, 'labourCapacity', issues), row, 'labourCapacity', '劳动能力', issues);
  const disabilityType = cellsOk(readEnum(c.disabilityType ?? null, disabilityValues), row, 'disabilityType', issues);
  const disabilityGrade = cellsOk(readInteger(c.disabilityGrade ?? null, 1, 4), row, 'disabilityGrade', issues);
  if (disabilityType !== null && disabilityGrade === null && !issues.some((i) => i.column === 'disabilityGrade')) issues.push(issue(row, 'disabilityGrade', '填了残疾类别，须填残疾等级（1–4级）'));
  if (disabilityType === null && disabilityGrade !== null && !issues.some((i) => i.column === 'disabilityType')) issues.push(issue(row, 'disabilityType', '填了残疾等级，须填残疾类别'));
  const seriousIllness = text('seriousIllness', 200);
  const severeMentalDisorder = cellsOk(readBoolean(c.severeMentalDisorder ?? null), row, 'severeMentalDisorder', issues);
  const supporter = {
    name: text('supporterName', 50),
    relation: text('supporterRelation', 20),
    phone: text('supporterPhone', 20),
    address: text('supporterAddress', 200),
  };
  if (issues.length > 0) return { value: null, issues };
  return {
    value: {
      householdKey: householdKey!,
      villageCode,
      address,
      poorId,
      supporter,
      member: {
        name: name!,
        idNumber: idNumber!,
        birthDate: birthDate!,
        sex: sex!,
        relation: relation!,
        labourCapacity: labourCapacity as MemberInput['labourCapacity'],
        disabilities: disabilityType ? [{ type: disabilityType as MemberInput['disabilities'][number]['type'], grade: disabilityGrade! }] : [],
        seriousIllness,
        severeMentalDisorder: severeMentalDisorder ?? false,
        selfCare: null,
      },
    },
    issues,
  };
}

/** The household's own columns: the first row that fills one gives it; another row giving a different value is an issue. */
function householdValue(rows: readonly ParsedRow<SurveyRow>[], pick: (r: SurveyRow) => string | null, column: string, header: string, issues: ImportIssue[]): string | null {
  let value: string | null = null;
  for (const r of rows) {
    const v = pick(r.value);
    if (v === null) continue;
    if (value === null) value = v;
    else if (v !== value) issues.push(issue(r.row, column, `同一户各行的“${header}”不一致（本户第 ${rows[0].row} 行起）`));
  }
  return value;
}

function buildGroup(key: string, rows: readonly ParsedRow<SurveyRow>[]): { value: SurveyGroup | null; issues: ImportIssue[] } {
  const issues: ImportIssue[] = [];
  const first = rows[0].row;
  const villageCode = householdValue(rows, (r) => r.villageCode, 'villageCode', '村代码', issues);
  const address = householdValue(rows, (r) => r.address, 'address', '家庭住址', issues);
  const poorId = householdValue(rows, (r) => r.poorId, 'poorId', '建档立卡编号', issues);
  const sName = householdValue(rows, (r) => r.supporter.name, 'supporterName', '法定赡养人姓名', issues);
  const sRelation = householdValue(rows, (r) => r.supporter.relation, 'supporterRelation', '法定赡养人关系', issues);
  const sPhone = householdValue(rows, (r) => r.supporter.phone, 'supporterPhone', '法定赡养人电话', issues);
  const sAddress = householdValue(rows, (r) => r.supporter.address, 'supporterAddress', '法定赡养人住址', issues);
  if (villageCode === null) issues.push(issue(first, 'villageCode', `必填：本户（户编号 ${key.slice(0, 20)}）没有填写村代码`));
  if (address === null) issues.push(issue(first, 'address', `必填：本户（户编号 ${key.slice(0, 20)}）没有填写家庭住址`));
  const anySupporter = [sName, sRelation, sPhone, sAddress].some((v) => v !== null);
  if (anySupporter) {
    const cols: [string | null, string, string][] = [[sName, 'supporterName', '法定赡养人姓名'], [sRelation, 'supporterRelation', '法定赡养人关系'], [sPhone, 'supporterPhone', '法定赡养人电话'], [sAddress, 'supporterAddress', '法定赡养人住址']];
    for (const [v, col, header] of cols) if (v === null) issues.push(issue(first, col, `填写法定赡养人时须同时填写“${header}”`));
  }
  if (issues.length > 0) return { value: null, issues };
  const raw = {
    villageCode,
    address,
    poorId,
    legalSupporter: anySupporter ? { name: sName, relation: sRelation, phone: sPhone, address: sAddress } : null,
    members: rows.map((r) => r.value.member),
  };
  // The API's own schema and checks: a household is refused here exactly when POST /households would refuse it.
  const parsed = householdInputSchema.safeParse(raw);
  if (!parsed.success) {
    for (const zi of parsed.error.issues) issues.push(placeIssue(zi.path, { path: zi.path.join('.'), message: zi.message }, rows));
    return { value: null, issues };
  }
  try {
    const input = checkMembers(parsed.data);
    return { value: { key, rows: rows.map((r) => r.row), input }, issues };
  } catch (e) {
    if (!isAppError(e) || e.code !== 'VALIDATION_FAILED') throw e;
    const zh = (e.detailsZh ?? e.details) as FieldIssue[];
    for (const d of zh) {
      const m = /members\[(\d+)\]\.(\w+)/.exec(d.path);
      issues.push(placeIssue(m ? ['members', Number(m[1]), m[2]] : [], { path: d.path, message: d.message, messageZh: d.message }, rows));
    }
    return { value: null, issues };
  }
}

/** An issue of the API's input at `path` → the (row, column) of the file it came from. */
function placeIssue(path: readonly PropertyKey[], fi: FieldIssue, rows: readonly ParsedRow<SurveyRow>[]): ImportIssue {
  const message = localizeIssue(fi);
  if (path[0] === 'members' && typeof path[1] === 'number') {
    const row = rows[path[1]]?.row ?? rows[0].row;
    return issue(row, memberFieldColumn[String(path[2])] ?? null, message);
  }
  if (path[0] === 'members') return issue(rows[0].row, null, rows.length > 30 ? '一户最多30名成员' : message);
  const field = String(path[path.length - 1] ?? '');
  const column = path[0] === 'legalSupporter' ? (field === 'address' ? 'supporterAddress' : householdFieldColumn[field]) : householdFieldColumn[field];
  return issue(rows[0].row, column ?? null, message);
}

interface RegionRow {
  code: string;
  level: string;
}

/**
 * Against the database and across households: the village known, a village, inside the importer's jurisdiction;
 * the same person in two households of the file; a person already held by an open case (named by its case number
 * only when the importer's jurisdiction covers it, as DUPLICATE_RESIDENT does).
 */
async function validateGroups(groups: readonly SurveyGroup[], ctx: ReadContext): Promise<ImportIssue[]> {
  const issues: ImportIssue[] = [];
  const villages = [...new Set(groups.map((g) => g.input.villageCode))];
  const [regionRows] = await ctx.query([
    { text: `select coalesce(json_agg(json_build_object('code', code, 'level', level)), '[]'::json)::text as doc from regions where code in (select jsonb_array_elements_text($1::text::jsonb))`, params: [JSON.stringify(villages)] },
  ]);
  const regions = new Map((JSON.parse(String(regionRows[0]?.doc ?? '[]')) as RegionRow[]).map((r) => [r.code, r.level]));
  const firstSeen = new Map<string, number>();
  const where = new Map<string, number>(); // ID number → its row
  for (const g of groups) {
    const level = regions.get(g.input.villageCode);
    if (level === undefined) issues.push(issue(g.rows[0], 'villageCode', '村代码不存在（不在行政区划表中），请核对'));
    else if (level !== 'village') issues.push(issue(g.rows[0], 'villageCode', '这不是村级代码，请填写12位村（居）委会代码'));
    else if (!inJurisdiction(ctx.principal, g.input.villageCode)) issues.push(issue(g.rows[0], 'villageCode', `该村不在您的辖区（${ctx.principal.region}）内`));
    g.input.members.forEach((m, i) => {
      const row = g.rows[i];
      const earlier = firstSeen.get(m.idNumber);
      if (earlier !== undefined) issues.push(issue(row, 'idNumber', `与第 ${earlier} 行是同一人（同一身份证号码在文件中出现两次）`));
      else firstSeen.set(m.idNumber, row);
      where.set(m.idNumber, row);
    });
  }
  const ids = [...firstSeen.keys()];
  for (let i = 0; i < ids.length; i += CLASH_READ_BATCH) {
    const chunk = ids.slice(i, i + CLASH_READ_BATCH);
    const [found] = await ctx.query([
      {
        text: `select coalesce(json_agg(json_build_object('caseId', e.case_id, 'idNumber', e.id_number, 'villageCode', c.village_code, 'caseNumber', c.case_number)), '[]'::json)::text as doc
          from resident_enrolments e join cases c on c.id = e.case_id where e.id_number in (select jsonb_array_elements_text($1::text::jsonb))`,
        params: [JSON.stringify(chunk)],
      },
    ]);
    for (const c of parseOpenCases(found) as (ResidentClash & { caseNumber: string })[]) {
      const row = where.get(c.idNumber)!;
      issues.push(
        issue(row, 'idNumber', inJurisdiction(ctx.principal, c.villageCode) ? `此人已在办理中的案件 ${c.caseNumber} 中，不能重复登记` : '此人已在其他辖区办理中的案件中，不能重复登记（请与该辖区核实）'),
      );
    }
  }
  return issues;
}
