/**
 * Import kind `caseload` (存量对象导入): a county's existing caseload, approved and placed under the old paper
 * process, one row per member grouped into households by 户编号. Each household is onboarded exactly as
 * POST /onboarding/households would onboard it (the same engine function, src/engine/onboarding/): the survey's
 * checks, one open case per resident, the placement's registry facts and PLACE's rules — the whole file in the
 * import's one transaction, every case's genesis audit record naming the file (SHA-256) and the job.
 *
 * Facilities and guardians are named as people know them (名录中的名称); they are looked up in the registry
 * within the importer's county — a name that matches none, or several, is a problem of that cell.
 */
import { z } from 'zod';
import type { AppError, FieldIssue } from '../../errors.js';
import type { Onboarding } from '../../engine/onboarding/index.js';
import { RecordedRefusal } from '../../engine/plan/residents.js';
import { onboardHouseholdInputSchema, type OnboardHouseholdInput } from '../../engine/onboarding/input.js';
import { localizeIssue } from '../../http/i18n.js';
import { cellText, readBoolean, readDate, readEnum, readIdNumber, readInteger, readRegionCode, readText, type Read } from '../cells.js';
import { issue, type CellValue, type GroupResult, type ImportIssue, type ImportKind, type ParsedRow, type ReadContext, type RowCells, type RowResult } from '../kind.js';
import { caseloadColumns, categoryValues, householdColumns, sexValues } from './caseloadColumns.js';
import { resolveRegistryNames, type NamedPlacement } from './registryNames.js';

type HouseholdKey = (typeof householdColumns)[number];

export interface CaseloadRow {
  householdKey: string;
  household: Partial<Record<HouseholdKey, string | number | boolean | null>>;
  member: Record<string, unknown>;
}

export interface CaseloadGroup {
  key: string;
  rows: number[];
  /** The household as the API takes it, but for the placement's registry entries, still named. */
  household: Omit<OnboardHouseholdInput, 'placement'>;
  placement: NamedPlacement | null;
}

const columnOf = new Map(caseloadColumns.map((c) => [c.key, c]));

/** Reads one cell with its column's reader; required cells must not be empty. */
function readCell(key: string, v: CellValue, row: { birthDate?: string | null; sex?: 'male' | 'female' | null }): Read<unknown> {
  const c = columnOf.get(key)!;
  if (c.required && cellText(v) === null) return { ok: false, message: `必填：请填写“${c.header}”` };
  switch (c.type) {
    case 'idNumber': return readIdNumber(v, row);
    case 'date': return readDate(v);
    case 'enum': return readEnum(v, c.values!);
    case 'integer': return key === 'disabilityGrade' ? readInteger(v, 1, 4) : readInteger(v, 1, 120);
    case 'boolean': return readBoolean(v);
    case 'regionCode': return readRegionCode(v);
    default: return readText(v, key === 'address' || key === 'legalSupporterAddress' ? 200 : 100);
  }
}

/** 认定类别: labels (or codes) separated by 、，, ; or spaces. */
function readCategories(v: CellValue): Read<string[]> {
  const t = cellText(v);
  if (t === null) return { ok: true, value: [] };
  const out: string[] = [];
  for (const part of t.split(/[、,，;；\s]+/).filter(Boolean)) {
    const r = readEnum(part, categoryValues);
    if (!r.ok) return r;
    if (r.value) out.push(r.value);
  }
  return { ok: true, value: [...new Set(out)] };
}

export function parseCaseloadRow(cells: RowCells, row: number): RowResult<CaseloadRow> {
  const issues: ImportIssue[] = [];
  const get = <T>(key: string, r: Read<T>): T | null => {
    if (r.ok) return r.value;
    issues.push(issue(row, key, r.message));
    return null;
  };
  const birth = readDate(cells.birthDate ?? null);
  const sex = readEnum(cells.sex ?? null, sexValues);
  const context = { birthDate: birth.ok ? birth.value : null, sex: sex.ok ? (sex.value as 'male' | 'female' | null) : null };
  const value = (key: string) => get(key, readCell(key, cells[key] ?? null, context));
  const householdKey = value('householdKey') as string | null;
  const household: CaseloadRow['household'] = {};
  for (const k of householdColumns) household[k] = value(k) as string | number | boolean | null;
  const disabilityType = value('disabilityType') as string | null;
  const disabilityGrade = value('disabilityGrade') as number | null;
  if ((disabilityType === null) !== (disabilityGrade === null)) {
    issues.push(issue(row, disabilityType === null ? 'disabilityType' : 'disabilityGrade', '残疾类别和残疾等级须同时填写'));
  }
  const member = {
    name: value('name'), idNumber: value('idNumber'), birthDate: value('birthDate'), sex: value('sex'), relation: value('relation'),
    labourCapacity: value('labourCapacity'),
    disabilities: disabilityType && disabilityGrade ? [{ type: disabilityType, grade: disabilityGrade }] : [],
    seriousIllness: value('seriousIllness'),
    severeMentalDisorder: value('severeMentalDisorder') ?? false,
    categories: get('categories', readCategories(cells.categories ?? null)) ?? [],
  };
  return { value: issues.length > 0 || !householdKey ? null : { householdKey, household, member }, issues };
}

/** Zod's issues of one household, at the row and column they concern. */
function issuesOfSchema(error: z.ZodError, rows: readonly number[]): ImportIssue[] {
  return error.issues.map((i) => {
    const [first, index, field] = i.path as (string | number)[];
    const message = localizeIssue({ message: i.message });
    if (first === 'members' && typeof index === 'number') return issue(rows[index] ?? rows[0], typeof field === 'string' ? field : null, message);
    return issue(rows[0], typeof first === 'string' && columnOf.has(first) ? first : null, message);
  });
}

export function buildCaseloadGroup(key: string, parsed: readonly ParsedRow<CaseloadRow>[]): GroupResult<CaseloadGroup> {
  const rows = parsed.map((p) => p.row);
  const issues: ImportIssue[] = [];
  const h: CaseloadRow['household'] = {};
  for (const k of householdColumns) {
    for (const p of parsed) {
      const v = p.value.household[k];
      if (v === null || v === undefined) continue;
      if (h[k] === undefined) h[k] = v;
      else if (h[k] !== v) issues.push(issue(p.row, k, `与本户第一行（第 ${rows[0]} 行）填写的“${columnOf.get(k)!.header}”不一致`));
    }
  }
  for (const k of ['villageCode', 'address', 'approvedOn', 'legacyReference'] as const) {
    if (h[k] === undefined) issues.push(issue(rows[0], k, `必填：请在本户第一行填写“${columnOf.get(k)!.header}”`));
  }
  if (issues.length > 0) return { value: null, issues }; // the schema would only say the same again
  const supporter = h.legalSupporterName
    ? { name: h.legalSupporterName, relation: h.legalSupporterRelation, phone: h.legalSupporterPhone, address: h.legalSupporterAddress }
    : null;
  const candidate = {
    villageCode: h.villageCode, address: h.address, poorId: h.poorId ?? null, legalSupporter: supporter,
    members: parsed.map((p) => p.value.member),
    approvedOn: h.approvedOn, legacyReference: h.legacyReference, placement: null, lastRevisitDate: h.lastRevisitDate ?? null,
  };
  const parsedHousehold = onboardHouseholdInputSchema.safeParse(candidate);
  if (!parsedHousehold.success) issues.push(...issuesOfSchema(parsedHousehold.error, rows));
  const placement = placementOf(h, rows[0], issues);
  if (issues.length > 0 || !parsedHousehold.success) return { value: null, issues };
  const { placement: _none, ...household } = parsedHousehold.data;
  return { value: { key, rows, household, placement }, issues: [] };
}

function placementOf(h: CaseloadRow['household'], row: number, issues: ImportIssue[]): NamedPlacement | null {
  const mode = h.placementMode as NamedPlacement['mode'] | undefined;
  if (!mode) {
    for (const k of ['facilityName', 'guardianName', 'placementStart'] as const) {
      if (h[k] !== undefined) issues.push(issue(row, 'placementMode', `填写了“${columnOf.get(k)!.header}”，请同时填写“安置方式”`));
    }
    return null;
  }
  if (!h.placementStart) issues.push(issue(row, 'placementStart', '必填：已安置的请填写“安置开始日期”'));
  const dispersed = mode === 'dispersed_care';
  if (dispersed && !h.guardianName) issues.push(issue(row, 'guardianName', '分散托养须填写“照料人姓名”'));
  if (!dispersed && !h.facilityName) issues.push(issue(row, 'facilityName', '集中供养、集中救治须填写“供养（救治）机构”'));
  const agreement = h.agreementSignedOn
    ? {
        signedOn: String(h.agreementSignedOn), startDate: String(h.placementStart ?? h.agreementSignedOn), termMonths: Number(h.agreementTermMonths ?? 0),
        signatories: { villageCommittee: h.agreementSigned === true, guardian: h.agreementSigned === true, beneficiary: h.agreementSigned === true },
      }
    : undefined;
  if (agreement && !h.agreementTermMonths) issues.push(issue(row, 'agreementTermMonths', '请填写协议期限（月）'));
  return {
    mode, startDate: String(h.placementStart ?? ''),
    facilityName: dispersed ? undefined : (h.facilityName as string | undefined),
    guardianName: dispersed ? (h.guardianName as string | undefined) : undefined,
    appointedByTownship: h.appointedByTownship === true,
    agreement,
  };
}

/** The engine's refusal of household i, as issues at its rows: field paths map to cells. */
export function issuesOfRefusal(error: AppError, group: CaseloadGroup, prefix: string): ImportIssue[] {
  const rows = group.rows;
  if (error.code === 'VALIDATION_FAILED') {
    const zh = (error.detailsZh ?? error.details) as FieldIssue[];
    return zh.map((d) => {
      const rest = d.path.startsWith(prefix) ? d.path.slice(prefix.length) : d.path;
      const m = /^\.members\[(\d+)\]\.(\w+)/.exec(rest);
      if (m) return issue(rows[Number(m[1])] ?? rows[0], m[2], d.message);
      if (rest.startsWith('.placement.facilityId')) return issue(rows[0], 'facilityName', d.message);
      if (rest.startsWith('.placement.guardianId')) return issue(rows[0], 'guardianName', d.message);
      const field = /^\.(\w+)/.exec(rest)?.[1] ?? null;
      return issue(rows[0], field && columnOf.has(field) ? field : null, d.message);
    });
  }
  // A person held by a case outside the importer's jurisdiction: named by no case; its supervisors are told only
  // when the API refuses it (a dry run writes nothing, a refused commit rolls back whole).
  if (error.code === 'DUPLICATE_RESIDENT' && (error.details as { reported?: boolean } | undefined)?.reported) {
    return [issue(rows[0], null, '本户有成员已在您管辖范围以外的办理中案件中，不能重复纳入')];
  }
  return [issue(rows[0], null, error.messageZh ?? error.message)];
}

export function createCaseloadKind(engine: Pick<Onboarding, 'checkOnboarding' | 'onboardInSession'>): ImportKind<CaseloadRow, CaseloadGroup, Record<string, never>> {
  const meta = (ctx: ReadContext) => ({ principal: ctx.principal, requestId: null });
  return {
    name: 'caseload',
    label: '存量对象纳入',
    roles: ['officer', 'admin'],
    columns: caseloadColumns,
    parseOptions: (raw) => z.strictObject({}).parse(raw) as Record<string, never>,
    parseRow: parseCaseloadRow,
    groupColumn: 'householdKey',
    groupKey: (r) => r.householdKey,
    buildGroup: buildCaseloadGroup,
    rowsOf: (g) => g.rows,
    async validateGroups(groups, ctx) {
      const resolved = await resolveRegistryNames(groups, ctx);
      if (resolved.issues.length > 0) return resolved.issues;
      const refused = await engine.checkOnboarding(meta(ctx), resolved.households, (stmts) => ctx.query(stmts), { path: 'households' });
      return refused.flatMap((r) => issuesOfRefusal(r.error, groups[r.household], `households[${r.household}]`));
    },
    createsCases: true,
    async commit(groups, ctx) {
      const resolved = await resolveRegistryNames(groups, { ...ctx, query: (stmts) => ctx.session.batch(stmts) });
      if (resolved.issues.length > 0) throw new Error(`the registry changed since the dry run: ${resolved.issues.length} name(s) no longer resolve`);
      const source = { source: 'import' as const, fileSha256: ctx.source.sha256, jobId: ctx.source.jobId, fileName: ctx.source.fileName };
      const result = await engine.onboardInSession(ctx.session, meta(ctx), resolved.households, { source, path: 'households' }).catch((e: unknown) => {
        throw e instanceof RecordedRefusal ? e.refusal : e; // nothing of a refused import is kept, the report included
      });
      const rows = groups.reduce((n, g) => n + g.rows.length, 0);
      ctx.progress(rows);
      return { rows, records: result.cases.length, caseIds: result.cases.map((c) => c.caseId) };
    },
  };
}
