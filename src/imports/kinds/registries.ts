/**
 * Import kinds `facilities` (机构名录导入, admins — as POST /facilities) and `guardians` (照料人名录导入, officers
 * and admins — as POST /guardians): one row per entry, validated with the API's own schemas
 * (src/engine/care.ts), inside the importer's jurisdiction, and refused when the registry already has the same
 * name in the same region (a file imported twice adds nothing; change an entry in the console instead).
 * Import the registries before the caseload that names them.
 */
import { z } from 'zod';
import { facilityTypeLabels, guardianKindLabels } from '../../../machines/index.js';
import { docOf, type Stmt } from '../../db/session.js';
import { facilityInputSchema, guardianInputSchema } from '../../engine/care.js';
import { inJurisdiction } from '../../engine/access.js';
import { localizeIssue } from '../../http/i18n.js';
import { cellText, readEnum, readInteger, readRegionCode, readText, type Read } from '../cells.js';
import { issue, type CellValue, type EnumValue, type ImportColumn, type ImportIssue, type ImportKind, type ReadContext, type RowCells, type RowResult } from '../kind.js';

const enumOf = (labels: Record<string, string>): EnumValue[] => Object.entries(labels).map(([code, label]) => ({ code, label }));

export const facilityColumns: readonly ImportColumn[] = [
  { key: 'name', header: '机构名称', required: true, type: 'text', example: '苏村社区集中安置点', width: 22 },
  { key: 'type', header: '机构类型', required: true, type: 'enum', values: enumOf(facilityTypeLabels), example: '集中安置点', width: 14 },
  { key: 'regionCode', header: '所在区划代码', required: true, type: 'regionCode', note: '12位', example: '411282108000', width: 16 },
  { key: 'beds', header: '床位数', required: true, type: 'integer', example: 60, width: 8 },
  { key: 'caregivers', header: '护理人员数', required: true, type: 'integer', note: '集中供养每名护理人员最多照护5人', example: 12, width: 10 },
  { key: 'medicalStaff', header: '医护人员数', required: false, type: 'integer', example: 0, width: 10 },
  { key: 'patientsPerMedicalStaff', header: '每名医护人员负责病人数', required: false, type: 'integer', note: '医疗机构的标准；留空为未设定', example: null, width: 14 },
];

export const guardianColumns: readonly ImportColumn[] = [
  { key: 'name', header: '照料人姓名', required: true, type: 'text', example: '孙建国', width: 12 },
  { key: 'kind', header: '照料人类型', required: true, type: 'enum', values: enumOf(guardianKindLabels), example: '邻居', width: 14 },
  { key: 'regionCode', header: '居住地区划代码', required: true, type: 'text', note: '9位乡镇或12位村代码', example: '411282108201', width: 16 },
  { key: 'phone', header: '联系电话', required: false, type: 'phone', example: '13900000000', width: 14 },
  { key: 'maxWards', header: '最多照料人数', required: false, type: 'integer', note: '留空为系统默认', example: null, width: 10 },
];

interface Entry<T> {
  row: number;
  value: T;
}

function readRow(columns: readonly ImportColumn[], cells: RowCells, row: number): { value: Record<string, unknown>; issues: ImportIssue[] } {
  const issues: ImportIssue[] = [];
  const value: Record<string, unknown> = {};
  for (const c of columns) {
    const v: CellValue = cells[c.key] ?? null;
    if (c.required && cellText(v) === null) {
      issues.push(issue(row, c.key, `必填：请填写“${c.header}”`));
      continue;
    }
    const r: Read<unknown> =
      c.type === 'enum' ? readEnum(v, c.values!)
        : c.type === 'integer' ? readInteger(v, c.key === 'maxWards' || c.key === 'patientsPerMedicalStaff' ? 1 : 0, 100_000)
          : c.type === 'regionCode' ? readRegionCode(v)
            : readText(v, 200);
    if (r.ok) {
      if (r.value !== null) value[c.key] = r.value;
    } else issues.push(issue(row, c.key, r.message));
  }
  return { value, issues };
}

/** A row through the API's schema; its problems at the row's cells, in Chinese. */
function schemaRow<T>(schema: z.ZodType<T>, columns: readonly ImportColumn[], cells: RowCells, row: number): RowResult<Entry<T>> {
  const read = readRow(columns, cells, row);
  if (read.issues.length > 0) return { value: null, issues: read.issues };
  const parsed = schema.safeParse(read.value);
  if (parsed.success) return { value: { row, value: parsed.data }, issues: [] };
  return {
    value: null,
    issues: parsed.error.issues.map((i) => issue(row, typeof i.path[0] === 'string' ? i.path[0] : null, localizeIssue({ message: i.message }))),
  };
}

/** Entries outside the importer's jurisdiction, twice in the file, or already in the registry (same name, same region). */
async function registryIssues<T extends { name: string; regionCode: string }>(table: 'facilities' | 'guardians', entries: readonly Entry<T>[], ctx: ReadContext): Promise<ImportIssue[]> {
  const issues: ImportIssue[] = [];
  const seen = new Map<string, number>();
  for (const e of entries) {
    if (!inJurisdiction(ctx.principal, e.value.regionCode)) issues.push(issue(e.row, 'regionCode', `区划 ${e.value.regionCode} 不在您的管辖范围（${ctx.principal.region}）内`));
    const k = `${e.value.name}\u0000${e.value.regionCode}`;
    const first = seen.get(k);
    if (first !== undefined) issues.push(issue(e.row, 'name', `与第 ${first} 行重复（同一区划的同名条目）`));
    else seen.set(k, e.row);
  }
  const [rows] = await ctx.query([{
    text: `select coalesce(json_agg(json_build_object('name', t.name, 'regionCode', t.region_code)), '[]'::json)::text as doc from ${table} t
      where (t.name, t.region_code) in (select x.name, x.region_code from jsonb_to_recordset($1::text::jsonb) as x(name text, region_code text))`,
    params: [JSON.stringify(entries.map((e) => ({ name: e.value.name, region_code: e.value.regionCode })))],
  }]);
  const existing = new Set((docOf<{ name: string; regionCode: string }[]>(rows) ?? []).map((x) => `${x.name}\u0000${x.regionCode}`));
  for (const e of entries) {
    if (existing.has(`${e.value.name}\u0000${e.value.regionCode}`)) issues.push(issue(e.row, 'name', `名录中已有同一区划的“${e.value.name}”，未重复登记；如需修改请在系统中修改`));
  }
  return issues;
}

type FacilityInput = z.infer<typeof facilityInputSchema>;
type GuardianInput = z.infer<typeof guardianInputSchema>;

const oneRowGroup = <T>(key: string, rows: readonly { row: number; value: Entry<T> }[]) => ({ value: rows[0].value, issues: [] });

export function createFacilitiesKind(): ImportKind<Entry<FacilityInput>, Entry<FacilityInput>, Record<string, never>> {
  return {
    name: 'facilities',
    label: '供养（救治）机构名录',
    roles: ['admin'],
    columns: facilityColumns,
    parseOptions: (raw) => z.strictObject({}).parse(raw) as Record<string, never>,
    parseRow: (cells, row) => schemaRow(facilityInputSchema, facilityColumns, cells, row),
    // Each row is its own group (keyed by its row number): a faulty row holds back nothing else.
    groupColumn: 'name',
    groupKey: (e) => String(e.row),
    buildGroup: oneRowGroup,
    rowsOf: (e) => [e.row],
    validateGroups: (entries, ctx) => registryIssues('facilities', entries, ctx),
    async commit(entries, ctx) {
      const stmt: Stmt = {
        text: `insert into facilities (name, type, region_code, beds, caregivers, medical_staff, patients_per_medical_staff)
          select x.name, x.type, x.region_code, x.beds, x.caregivers, x.medical_staff, x.patients_per_medical_staff
          from jsonb_to_recordset($1::text::jsonb) as x(name text, type text, region_code text, beds int, caregivers int, medical_staff int, patients_per_medical_staff int)`,
        params: [JSON.stringify(entries.map(({ value: f }) => ({ name: f.name, type: f.type, region_code: f.regionCode, beds: f.beds, caregivers: f.caregivers, medical_staff: f.medicalStaff, patients_per_medical_staff: f.patientsPerMedicalStaff })))],
      };
      await ctx.session.batch([stmt]);
      ctx.progress(entries.length);
      return { rows: entries.length, records: entries.length };
    },
  };
}

export function createGuardiansKind(): ImportKind<Entry<GuardianInput>, Entry<GuardianInput>, Record<string, never>> {
  return {
    name: 'guardians',
    label: '照料人名录',
    roles: ['officer', 'admin'],
    columns: guardianColumns,
    parseOptions: (raw) => z.strictObject({}).parse(raw) as Record<string, never>,
    parseRow: (cells, row) => schemaRow(guardianInputSchema, guardianColumns, cells, row),
    // Each row is its own group (keyed by its row number): a faulty row holds back nothing else.
    groupColumn: 'name',
    groupKey: (e) => String(e.row),
    buildGroup: oneRowGroup,
    rowsOf: (e) => [e.row],
    validateGroups: (entries, ctx) => registryIssues('guardians', entries, ctx),
    async commit(entries, ctx) {
      const stmt: Stmt = {
        text: `insert into guardians (name, kind, region_code, phone, max_wards, created_by)
          select x.name, x.kind, x.region_code, x.phone, x.max_wards, $2::text
          from jsonb_to_recordset($1::text::jsonb) as x(name text, kind text, region_code text, phone text, max_wards int)`,
        params: [JSON.stringify(entries.map(({ value: g }) => ({ name: g.name, kind: g.kind, region_code: g.regionCode, phone: g.phone ?? '', max_wards: g.maxWards }))), ctx.principal.id],
      };
      await ctx.session.batch([stmt]);
      ctx.progress(entries.length);
      return { rows: entries.length, records: entries.length };
    },
  };
}
