/**
 * The exports (导出) as tables: the work list, the overdue list and the 花名册 roster of beneficiaries, each a
 * ReportTable (src/reports/table.ts) whose rows stream from the database in batches, and the export log.
 *
 * No export shows more than the API shows the same caller: the same jurisdiction and filters as GET /worklist
 * and GET /overdue (the same functions build the queries), names as the case view shows them (to every role
 * that may read the case), ID numbers in full only to the roles that see identity (`seesIdentity`), masked
 * (411282**********12) for everyone else, and ages rather than birth dates.
 *
 * Every export is recorded (recordExport) with its filters but no personal value: a search text becomes
 * { search: 'words' | 'idDigits' }.
 */
import { ageOn, chinaDate, type Category, type Role } from '../../machines/index.js';
import {
  caseNumbersOf,
  findRegion,
  appendExportLog,
  listExportLog,
  rosterBatch,
  worklistExportBatch,
  type ExportOutcome,
  type RosterCursor,
  type RosterRow,
  type WorklistExportRow,
} from '../db/index.js';
import { listOverdue } from '../db/overdue.js';
import { maskResidentId } from '../domain/residentId.js';
import { errors } from '../errors.js';
import { categoryLabels, deadlineKeyLabels, levelLabels, placementModeLabels, sexLabels, stateLabelOf } from '../labels.js';
import type { ReportColumn, ReportRow, ReportTable } from '../reports/table.js';
import { seesIdentity } from './identity.js';
import { daysOverdue, narrowRegion, overdueReaders, type OverdueListInput } from './overdue.js';
import type { EngineDeps, Principal } from './types.js';
import { maskAddressDigits, searchDigits, worklistQueryFor, type WorklistFilters } from './worklist.js';

/** Rows per database batch. */
export const EXPORT_BATCH = 1000;
/** Cases per roster batch (each with all its members). */
const ROSTER_CASES_PER_BATCH = 1000;

/** Who may read the export log: the people who answer for what leaves the office. */
export const exportLogReaders: readonly Role[] = ['admin', 'supervisor'];

/** A table ready to send, with what its export record says about it. */
export interface PreparedExport {
  table: ReportTable;
  /** The scope as people name it (灵宝市 苏村乡). */
  scopeLabel: string;
  /** The export's record, but for the row count and outcome (known when the download ends). */
  record: { export: string; scope: string; filters: Record<string, unknown>; idNumbers: 'full' | 'masked' | 'none' };
}

export interface ExportRecord extends Omit<PreparedExport['record'], never> {
  format: 'xlsx' | 'csv';
  rowCount: number;
  outcome: ExportOutcome;
  requestId?: string | null;
}

/**
 * Rows fetched `size` at a time after the last one's cursor, until a short batch. The next batch is asked for
 * as soon as one arrives, so the database works while the rows before it are written: two batches in memory
 * at most.
 */
async function* batches<T, C>(fetch: (after: C | null) => Promise<T[]>, next: (batch: T[]) => C | null): AsyncGenerator<T> {
  let pending: Promise<T[]> | null = fetch(null);
  while (pending) {
    const batch: T[] = await pending;
    const after = next(batch);
    pending = after === null ? null : fetch(after);
    // Nothing awaits a prefetch the reader abandoned: keep its failure from going unhandled.
    pending?.catch(() => {});
    yield* batch;
  }
}

const col = <K extends string>(key: K, label: string, type: ReportColumn['type'] = 'text'): ReportColumn<K> => ({ key, label, type });

/** The filters without personal values: a search is kept as its kind only. */
function searchKind(q: string | undefined): { search?: 'words' | 'idDigits' } {
  const t = q?.trim();
  if (!t) return {};
  return { search: searchDigits(t) ? 'idDigits' : 'words' };
}

const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== false));

/** 每月 / 每3个月: a revisit rule as people say it. */
function cadenceText(rule: { amount: number; unit: string } | undefined): string | null {
  if (!rule) return null;
  const unit = rule.unit === 'months' ? '个月' : rule.unit === 'working_days' ? '个工作日' : '天';
  if (rule.unit === 'months' && rule.amount === 1) return '每月';
  return `每${rule.amount}${unit}`;
}

export function createExports(deps: EngineDeps) {
  const { db, clock } = deps;

  /** The names of a region prefix and the levels above it down from the county: 灵宝市 苏村乡. */
  async function scopeLabel(prefix: string): Promise<string> {
    const levels = [2, 4, 6, 9, 12].filter((n) => n <= prefix.length);
    const names: string[] = [];
    for (const n of levels) {
      if (prefix.length >= 6 && n < 6) continue;
      const found = await findRegion(db, prefix.slice(0, n).padEnd(12, '0'));
      if (found) names.push(found.name);
    }
    return names.length ? `${names.join(' ')}（${prefix}）` : prefix;
  }

  const worklistColumns = [
    col('caseNumber', '案件编号'),
    col('townshipName', '乡镇'),
    col('villageName', '村'),
    col('headName', '户主'),
    col('address', '地址'),
    col('stateText', '状态'),
    col('reviewLevelText', '审核层级'),
    col('deadlineStep', '期限环节'),
    col('deadlineAt', '期限', 'dateTime'),
    col('placementModeText', '安置方式'),
    col('openedAt', '立案时间', 'dateTime'),
  ];

  /** The work list / case search (GET /worklist's filters), every page, in case-number order. */
  async function worklistExport(principal: Principal, f: Omit<WorklistFilters, 'page' | 'pageSize'>): Promise<PreparedExport> {
    const now = clock.now();
    const { role, query } = worklistQueryFor(principal, f, now);
    const showIds = seesIdentity(principal);
    const scope = query?.regionPrefix ?? principal.region;
    const rows = query
      ? batches<WorklistExportRow, string>(
          (after) => worklistExportBatch(db, query, after, EXPORT_BATCH),
          (b) => (b.length < EXPORT_BATCH ? null : b[b.length - 1].caseNumber),
        )
      : [];
    async function* shaped() {
      for await (const r of rows) {
        yield {
          caseNumber: r.caseNumber,
          townshipName: r.townshipName,
          villageName: r.villageName,
          headName: r.headName,
          address: showIds ? r.address : maskAddressDigits(r.address),
          stateText: stateLabelOf(r.state),
          reviewLevelText: r.reviewLevel ? (levelLabels as Record<string, string>)[r.reviewLevel] ?? r.reviewLevel : null,
          deadlineStep: r.deadlineKey ? deadlineKeyLabels[r.deadlineKey] ?? r.deadlineKey : null,
          deadlineAt: r.deadlineAt,
          placementModeText: r.placementMode ? (placementModeLabels as Record<string, string>)[r.placementMode] ?? r.placementMode : null,
          openedAt: r.openedAt,
        } satisfies ReportRow;
      }
    }
    return {
      table: { id: 'worklist', title: f.view === 'inbox' ? '待办案件' : '案件查询', columns: worklistColumns, rows: shaped(), scope, generatedAt: now },
      scopeLabel: await scopeLabel(scope),
      record: {
        export: 'worklist',
        scope,
        filters: defined({ view: f.view, role: role ?? undefined, step: f.step, reviewLevel: f.reviewLevel, region: f.region, category: f.category, overdue: f.overdue, includeClosed: f.includeClosed, ...searchKind(f.q) }),
        idNumbers: 'none',
      },
    };
  }

  const overdueColumns = [
    col('caseNumber', '案件编号'),
    col('countyName', '县（市、区）'),
    col('townshipName', '乡镇'),
    col('villageName', '村'),
    col('stepText', '逾期环节'),
    col('reviewLevelText', '审核层级'),
    col('deadlineAt', '期限', 'dateTime'),
    col('daysOverdue', '逾期天数', 'integer'),
    col('stateText', '状态'),
  ];

  /** Overdue open cases (GET /overdue's filters), most overdue first, every page. */
  async function overdueExport(principal: Principal, q: Omit<OverdueListInput, 'after' | 'limit'>): Promise<PreparedExport> {
    if (!principal.roles.some((r) => overdueReaders.includes(r))) throw errors.forbidden({ roles: overdueReaders });
    const now = clock.now();
    const region = narrowRegion(principal.region, q.county, q.township);
    const scope = region ?? principal.region;
    const names = new Map<string, string | null>();
    const nameOf = async (code: string) => {
      if (!names.has(code)) names.set(code, (await findRegion(db, code.padEnd(12, '0')))?.name ?? null);
      return names.get(code) ?? null;
    };
    async function* shaped() {
      if (region === null) return;
      let after: { deadlineAt: Date; id: string } | undefined;
      for (;;) {
        const page = await listOverdue(db, { regionPrefix: region, now, minDaysOverdue: q.minDaysOverdue ?? 0, step: q.step, reviewLevel: q.level, after, limit: 500 });
        const numbers = await caseNumbersOf(db, page.items.map((r) => r.id));
        for (const r of page.items) {
          yield {
            caseNumber: numbers.get(r.id) ?? null,
            countyName: await nameOf(r.countyCode),
            townshipName: await nameOf(r.townshipCode),
            villageName: await nameOf(r.villageCode),
            stepText: deadlineKeyLabels[r.step] ?? stateLabelOf(r.step),
            reviewLevelText: r.reviewLevel ? (levelLabels as Record<string, string>)[r.reviewLevel] ?? r.reviewLevel : null,
            deadlineAt: r.deadlineAt,
            daysOverdue: daysOverdue(r.deadlineAt, now),
            stateText: stateLabelOf(r.state),
          } satisfies ReportRow;
        }
        if (!page.next) return;
        after = page.next;
      }
    }
    return {
      table: { id: 'overdue', title: '逾期案件', columns: overdueColumns, rows: shaped(), scope, generatedAt: now },
      scopeLabel: await scopeLabel(scope),
      record: { export: 'overdue', scope, filters: defined({ county: q.county, township: q.township, step: q.step, level: q.level, minDaysOverdue: q.minDaysOverdue }), idNumbers: 'none' },
    };
  }

  const rosterColumns = [
    col('caseNumber', '案件编号'),
    col('townshipName', '乡镇'),
    col('villageName', '村'),
    col('name', '姓名'),
    col('idNumber', '身份证号'),
    col('sex', '性别'),
    col('age', '年龄', 'integer'),
    col('relation', '与户主关系'),
    col('categories', '类别'),
    col('placementMode', '安置方式'),
    col('placedWith', '供养机构／监护人'),
    col('placementDate', '安置日期', 'date'),
    col('revisitCadence', '回访周期'),
    col('nextRevisit', '下次回访截止', 'date'),
  ];

  /**
   * The 花名册: every person in an open placed case (state 已安置) in a village, township or county, by village
   * and case number. Names as the case view shows them; ID numbers full or masked by role; age, not birth date.
   */
  async function rosterExport(principal: Principal, q: { region?: string }): Promise<PreparedExport> {
    const now = clock.now();
    const today = chinaDate(now.toISOString());
    const region = narrowRegion(principal.region, q.region);
    const scope = region ?? principal.region;
    const showIds = seesIdentity(principal);
    // Batches of cases (their members come whole): a batch ends where the last case's members end.
    const rosterRows = () =>
      batches<RosterRow, RosterCursor>(
        (after) => rosterBatch(db, { regionPrefix: region!, after, limit: ROSTER_CASES_PER_BATCH }),
        (b) => {
          const last = b.at(-1);
          return !last || new Set(b.map((r) => r.caseId)).size < ROSTER_CASES_PER_BATCH ? null : { villageCode: last.villageCode, caseNumber: last.caseNumber };
        },
      );
    const rows = region === null ? [] : rosterRows();
    async function* shaped() {
      for await (const r of rows) {
        const mode = r.placementMode as keyof typeof placementModeLabels | null;
        const rule = mode ? deps.deadlinePolicy.for(r.villageCode)[`revisit.${mode}`] : undefined;
        yield {
          caseNumber: r.caseNumber,
          townshipName: r.townshipName,
          villageName: r.villageName,
          name: r.name,
          idNumber: showIds ? r.idNumber : maskResidentId(r.idNumber),
          sex: sexLabels[r.sex] ?? r.sex,
          age: ageOn(r.birthDate, today),
          relation: r.relation,
          categories: r.categories.map((c) => categoryLabels[c as Category] ?? c).join('、'),
          placementMode: mode ? placementModeLabels[mode] ?? mode : null,
          placedWith: mode === 'dispersed_care' ? r.guardianName : r.facilityName,
          placementDate: r.placementStartDate,
          revisitCadence: cadenceText(rule),
          // The deadline is the start of the day after the last day: the last day is the China date just before it.
          nextRevisit: r.nextRevisitAt ? new Date(r.nextRevisitAt.getTime() - 1) : null,
        } satisfies ReportRow;
      }
    }
    return {
      table: { id: 'roster', title: '兜底保障对象花名册', columns: rosterColumns, rows: shaped(), scope, generatedAt: now },
      scopeLabel: await scopeLabel(scope),
      record: { export: 'roster', scope, filters: defined({ region: q.region }), idNumbers: showIds ? 'full' : 'masked' },
    };
  }

  /** Append the export's record (when its download ended). */
  async function recordExport(principal: Principal, r: ExportRecord) {
    return appendExportLog(db, {
      at: clock.now(),
      actorId: principal.id,
      actorUsername: principal.username,
      actorRoles: principal.roles,
      export: r.export,
      format: r.format,
      scope: r.scope,
      filters: r.filters,
      rowCount: r.rowCount,
      outcome: r.outcome,
      idNumbers: r.idNumbers,
      requestId: r.requestId ?? null,
    });
  }

  /** The export log inside the reader's jurisdiction, newest first (admins and supervisors). */
  async function exportLog(principal: Principal, q: { before?: number; limit: number }) {
    if (!principal.roles.some((r) => exportLogReaders.includes(r))) throw errors.forbidden({ roles: exportLogReaders });
    const found = await listExportLog(db, { prefix: principal.region, beforeId: q.before, limit: q.limit + 1 });
    const items = found.slice(0, q.limit).map((r) => ({
      id: r.id,
      at: r.at.toISOString(),
      actor: { id: r.actorId, username: r.actorUsername, roles: r.actorRoles },
      export: r.export,
      format: r.format,
      scope: r.scope,
      filters: r.filters,
      rowCount: r.rowCount,
      outcome: r.outcome,
      idNumbers: r.idNumbers,
      requestId: r.requestId,
    }));
    return { items, nextBefore: found.length > q.limit ? items[items.length - 1].id : null };
  }

  return { worklistExport, overdueExport, rosterExport, recordExport, exportLog, exportScopeLabel: scopeLabel };
}

export type Exports = ReturnType<typeof createExports>;
