/**
 * Reports (统计报表) as ReportTables, for the API (GET /reports/<name>), the console's report pages and the
 * exports. Every report is bounded by the caller's jurisdiction and, optionally, a narrower region (county →
 * township → village); a region outside the jurisdiction gives an empty table whose scope is the caller's own,
 * so nothing is said about the place asked for. Counts come from the rollups (src/db/reportRollup.ts), which the
 * database keeps exact in each command's transaction; working days from the calendar (src/time/calendar.ts).
 */
import {
  facilityOccupancy,
  listFacilities,
  listRegions,
  readApprovalDays,
  readCaseCounts,
  readCategoryCounts,
  readFlows,
  readMissedRevisits,
  readRevisitCounts,
} from '../db/index.js';
import { countOverdue } from '../db/overdue.js';
import { errors } from '../errors.js';
import { deadlineKeyLabels, facilityTypeLabels } from '../labels.js';
import { FLOW_LABELS, monthEnd, monthsBetween, percentile, REPORT_TITLES, reportReaders, type Flow, type ReportName } from '../reports/catalogue.js';
import type { ReportColumn, ReportTable } from '../reports/table.js';
import { addCalendarDays, addMonths, chinaDateOf } from '../time/calendar.js';
import { narrowRegion } from './overdue.js';
import { byCategory, byPlacement, byRegion, byState, type TableBody } from './reportTables.js';
import type { EngineDeps, Principal } from './types.js';

export interface ReportQuery {
  /** A region inside the jurisdiction (2 to 12 digits). */
  region?: string;
  /** First month of the period (YYYY-MM, China time), for the period reports. */
  from?: string;
  /** Last month of the period. */
  to?: string;
}

const FLOW_COLUMNS: ReportColumn[] = [
  { key: 'month', label: '月份', type: 'text' },
  ...(Object.keys(FLOW_LABELS) as Flow[]).map((f) => ({ key: f, label: FLOW_LABELS[f], type: 'integer' as const })),
];
const APPROVAL_COLUMNS: ReportColumn[] = [
  { key: 'countyCode', label: '区划代码', type: 'text' },
  { key: 'countyName', label: '县（市、区）', type: 'text' },
  { key: 'approvals', label: '审批通过（户）', type: 'integer' },
  { key: 'median', label: '用时中位数（工作日）', type: 'integer' },
  { key: 'p90', label: '90%分位（工作日）', type: 'integer' },
  { key: 'limit', label: '时限（工作日）', type: 'integer' },
  { key: 'overLimit', label: '超时限（户）', type: 'integer' },
  { key: 'overShare', label: '超时限比例', type: 'percent' },
];
const OVERDUE_COLUMNS: ReportColumn[] = [
  { key: 'countyCode', label: '区划代码', type: 'text' },
  { key: 'countyName', label: '县（市、区）', type: 'text' },
  { key: 'step', label: '环节代码', type: 'text' },
  { key: 'stepLabel', label: '环节', type: 'text' },
  { key: 'count', label: '超期件数', type: 'integer' },
];
const REVISIT_COLUMNS: ReportColumn[] = [
  { key: 'villageCode', label: '区划代码', type: 'text' },
  { key: 'villageName', label: '村', type: 'text' },
  { key: 'townshipName', label: '乡镇', type: 'text' },
  { key: 'onTime', label: '按时回访', type: 'integer' },
  { key: 'late', label: '逾期回访', type: 'integer' },
  { key: 'missed', label: '应访未访', type: 'integer' },
  { key: 'onTimeShare', label: '按时率', type: 'percent' },
];
const FACILITY_COLUMNS: ReportColumn[] = [
  { key: 'name', label: '机构名称', type: 'text' },
  { key: 'typeLabel', label: '类型', type: 'text' },
  { key: 'regionName', label: '所在地', type: 'text' },
  { key: 'beds', label: '床位', type: 'integer' },
  { key: 'residents', label: '在住人数', type: 'integer' },
  { key: 'occupancy', label: '入住率', type: 'percent' },
  { key: 'caregivers', label: '护理员', type: 'integer' },
  { key: 'residentsPerCaregiver', label: '每名护理员照护人数', type: 'decimal' },
];

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

export function createReports(deps: EngineDeps) {
  const { db, clock } = deps;

  async function regionNames(prefix: string): Promise<(code: string) => string> {
    const names = new Map((await listRegions(db, { prefix })).map((r) => [r.code, r.name]));
    return (code: string) => names.get(code.padEnd(12, '0')) ?? names.get(code) ?? code;
  }

  /** The period asked for, or the 12 months up to this one (China time). */
  function period(q: ReportQuery): { from: string; to: string } {
    const now = chinaDateOf(clock.now()).slice(0, 7);
    const to = q.to ?? now;
    const from = q.from ?? addMonths(`${to}-01`, -11).slice(0, 7);
    const issues = [];
    if (!MONTH.test(to)) issues.push({ path: 'query.to', message: 'expected a month YYYY-MM' });
    if (!MONTH.test(from)) issues.push({ path: 'query.from', message: 'expected a month YYYY-MM' });
    if (issues.length === 0 && from > to) issues.push({ path: 'query.from', message: 'from must not be after to' });
    if (issues.length === 0 && monthsBetween(from, to).length > 120) issues.push({ path: 'query.from', message: 'a period is at most 120 months' });
    if (issues.length > 0) throw errors.validationFailed(issues);
    return { from, to };
  }

  async function build(name: ReportName, scope: string, q: ReportQuery): Promise<TableBody> {
    switch (name) {
      case 'by-state':
        return byState(await readCaseCounts(db, scope));
      case 'by-placement':
        return byPlacement(await readCaseCounts(db, scope));
      case 'by-category':
        return byCategory(await readCategoryCounts(db, scope));
      case 'by-region': {
        const [counts, nameOf] = await Promise.all([readCaseCounts(db, scope), regionNames(scope)]);
        return byRegion(counts, scope, nameOf);
      }
      case 'monthly-flows':
        return monthlyFlows(scope, period(q));
      case 'approval-time':
        return approvalTime(scope, period(q));
      case 'overdue':
        return overdue(scope);
      case 'revisits':
        return revisits(scope, period(q));
      case 'facilities':
        return facilities(scope);
    }
  }

  async function monthlyFlows(scope: string, p: { from: string; to: string }): Promise<TableBody> {
    const found = await readFlows(db, { prefix: scope, fromMonth: p.from, toMonth: p.to });
    const at = new Map(found.map((f) => [`${f.month} ${f.flow}`, f.n]));
    const flows = Object.keys(FLOW_LABELS) as Flow[];
    return {
      columns: FLOW_COLUMNS,
      rows: monthsBetween(p.from, p.to).map((month) => ({ month, ...Object.fromEntries(flows.map((f) => [f, at.get(`${month} ${f}`) ?? 0])) })),
    };
  }

  /** Survey submitted → approved, in working days, per county: median, p90 and the share over the county's limit. */
  async function approvalTime(scope: string, p: { from: string; to: string }): Promise<TableBody> {
    // Running working-day counts over the dates involved (three years before the period to its end), from the
    // calendar's own isWorkingDay; the database turns each (submitted, approved) pair into their difference.
    const fromDate = `${p.from}-01`;
    const toDate = monthEnd(p.to);
    const runningWorkdays: { d: string; n: number }[] = [];
    let n = 0;
    for (let d = addMonths(fromDate, -36); d <= toDate; d = addCalendarDays(d, 1)) {
      if (deps.calendar.isWorkingDay(d)) n += 1;
      runningWorkdays.push({ d, n });
    }
    const [found, nameOf] = await Promise.all([readApprovalDays(db, { prefix: scope, fromDate, toDate, runningWorkdays }), regionNames(scope.slice(0, 6))]);
    const byCounty = new Map<string, { value: number; n: number }[]>();
    for (const r of found) {
      const list = byCounty.get(r.countyCode) ?? [];
      list.push({ value: r.days, n: r.n });
      byCounty.set(r.countyCode, list);
    }
    const rows = [...byCounty].sort(([a], [b]) => a.localeCompare(b)).map(([county, dist]) => {
      const rule = deps.deadlinePolicy.for(county.padEnd(12, '0')).application;
      const limit = rule?.unit === 'working_days' ? rule.amount : 30;
      const n = dist.reduce((s, d) => s + d.n, 0);
      const over = dist.filter((d) => d.value > limit).reduce((s, d) => s + d.n, 0);
      return {
        countyCode: county,
        countyName: nameOf(county),
        approvals: n,
        median: percentile(dist, 0.5),
        p90: percentile(dist, 0.9),
        limit,
        overLimit: over,
        overShare: n === 0 ? null : over / n,
      };
    });
    return {
      columns: APPROVAL_COLUMNS,
      rows,
    };
  }

  /** Open overdue steps by county and step: the overdue machinery's own counts (src/db/overdue.ts). */
  async function overdue(scope: string): Promise<TableBody> {
    const [counts, nameOf] = await Promise.all([countOverdue(db, { regionPrefix: scope, now: clock.now() }), regionNames(scope.slice(0, 6))]);
    return {
      columns: OVERDUE_COLUMNS,
      rows: counts.map((c) => ({ countyCode: c.countyCode, countyName: nameOf(c.countyCode), step: c.step, stepLabel: deadlineKeyLabels[c.step] ?? c.step, count: c.count })),
    };
  }

  /**
   * Revisit compliance per village over a period: a revisit made before the deadline it answered (the previous
   * revisit, or the placement's start, plus the mode's interval of the deadline policy) is on time, one made
   * after it late (both counted in the visit's month, from the report_revisits rollup); a revisit overdue now and
   * not yet made is missed.
   */
  async function revisits(scope: string, p: { from: string; to: string }): Promise<TableBody> {
    const [made, missed, nameOf] = await Promise.all([
      readRevisitCounts(db, { prefix: scope, fromMonth: p.from, toMonth: p.to }),
      readMissedRevisits(db, { prefix: scope, now: clock.now() }),
      regionNames(scope),
    ]);
    const by = new Map<string, { onTime: number; late: number; missed: number }>();
    const of = (v: string) => by.get(v) ?? (by.set(v, { onTime: 0, late: 0, missed: 0 }), by.get(v)!);
    for (const m of made) {
      of(m.villageCode).onTime += m.onTime;
      of(m.villageCode).late += m.late;
    }
    for (const m of missed) of(m.villageCode).missed += m.n;
    return {
      columns: REVISIT_COLUMNS,
      rows: [...by].sort(([a], [b]) => a.localeCompare(b)).map(([v, x]) => {
        const all = x.onTime + x.late + x.missed;
        return { villageCode: v, villageName: nameOf(v), townshipName: nameOf(v.slice(0, 9)), ...x, onTimeShare: all === 0 ? null : x.onTime / all };
      }),
    };
  }

  /** Facilities in the scope: beds against the people of open cases placed there, and residents per caregiver. */
  async function facilities(scope: string): Promise<TableBody> {
    const list = await listFacilities(db, { regionPrefix: scope });
    const [occupied, nameOf] = await Promise.all([facilityOccupancy(db, list.map((f) => f.id)), regionNames(scope.slice(0, Math.min(scope.length, 6)))]);
    return {
      columns: FACILITY_COLUMNS,
      rows: list.map((f) => {
        const residents = occupied.get(f.id) ?? 0;
        return {
          name: f.name,
          typeLabel: facilityTypeLabels[f.type],
          regionName: nameOf(f.regionCode),
          beds: f.beds,
          residents,
          occupancy: f.beds > 0 ? residents / f.beds : null,
          caregivers: f.caregivers,
          residentsPerCaregiver: f.caregivers > 0 ? Math.round((residents / f.caregivers) * 100) / 100 : null,
        };
      }),
    };
  }

  /** One report as a ReportTable. Readers: reportReaders (src/reports/catalogue.ts). */
  async function report(principal: Principal, name: ReportName, q: ReportQuery = {}): Promise<ReportTable> {
    if (!principal.roles.some((r) => reportReaders.includes(r))) throw errors.forbidden({ roles: reportReaders });
    const generatedAt = clock.now();
    const region = narrowRegion(principal.region, q.region);
    // Validate the period even when the region finds nothing, so a bad query is refused the same way everywhere.
    if (['monthly-flows', 'approval-time', 'revisits'].includes(name)) period(q);
    if (region === null) {
      return { id: name, title: REPORT_TITLES[name], columns: columnsOf(name), rows: [], scope: principal.region, generatedAt };
    }
    const body = await build(name, region, q);
    return { id: name, title: REPORT_TITLES[name], columns: body.columns, rows: body.rows, scope: region, generatedAt };
  }

  return { report };
}

export type Reports = ReturnType<typeof createReports>;

/** A report's columns, without reading anything (an empty table's). */
export function columnsOf(name: ReportName): ReportColumn[] {
  switch (name) {
    case 'by-state':
      return byState([]).columns;
    case 'by-placement':
      return byPlacement([]).columns;
    case 'by-category':
      return byCategory([]).columns;
    case 'by-region':
      return byRegion([], '41', (c) => c).columns;
    case 'monthly-flows':
      return FLOW_COLUMNS;
    case 'approval-time':
      return APPROVAL_COLUMNS;
    case 'overdue':
      return OVERDUE_COLUMNS;
    case 'revisits':
      return REVISIT_COLUMNS;
    case 'facilities':
      return FACILITY_COLUMNS;
  }
}
