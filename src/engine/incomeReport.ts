/**
 * The income report (收入统计): income per person and by source over a jurisdiction and year, as a ReportTable
 * (src/reports/table.ts) for the report pages, the API (GET /reports/income) and the exports.
 */
import { INCOME_SOURCES, type IncomeSource } from '../domain/income.js';
import { yuanNumber } from '../domain/money.js';
import { incomeAggregate, listRegions } from '../db/index.js';
import { errors } from '../errors.js';
import { incomeSourceLabels } from '../labels.js';
import type { ReportColumn, ReportRow, ReportTable } from '../reports/table.js';
import type { EngineDeps, Principal } from './types.js';

/** Who reads the income report: the roles that answer for the money. */
export const INCOME_REPORT_ROLES = ['evaluator', 'officer', 'supervisor', 'admin'] as const;

export function createIncomeReport(deps: EngineDeps) {
  const { db, clock } = deps;

  /**
   * Income per person and by source over a jurisdiction and year, as a ReportTable: one row per region one level
   * below the scope (a city: its counties; a county: its townships; a township: its villages), then 合计. Counted:
   * households with any income line that year; persons: their members; per person = total ÷ persons.
   */
  async function incomeSummary(p: Principal, q: { year: number; region?: string }): Promise<ReportTable> {
    if (!p.roles.some((r) => (INCOME_REPORT_ROLES as readonly string[]).includes(r))) throw errors.forbidden({ roles: INCOME_REPORT_ROLES });
    let scope = p.region;
    if (q.region && q.region.startsWith(p.region)) scope = q.region;
    else if (q.region && !p.region.startsWith(q.region)) {
      throw errors.forbidden({ jurisdiction: q.region }, `Region ${q.region} is outside your jurisdiction ${p.region}`);
    }
    const groupLength = scope.length >= 9 ? 12 : scope.length >= 6 ? 9 : scope.length >= 4 ? 6 : 4;
    const [agg, regions] = await Promise.all([incomeAggregate(db, { prefix: scope, year: q.year, groupLength }), listRegions(db, { prefix: scope })]);
    const names = new Map(regions.map((r) => [r.code, r.name]));
    type Row = ReportRow & Record<IncomeSource | 'regionCode' | 'region' | 'households' | 'persons' | 'total' | 'perPerson', string | number | null>;
    const build = (code: string, name: string, households: number, persons: number, sums: Map<IncomeSource, number>): Row => {
      const total = [...sums.values()].reduce((s, x) => s + x, 0);
      const row = { regionCode: code, region: name, households, persons } as Row;
      for (const s of INCOME_SOURCES) row[s] = yuanNumber(sums.get(s) ?? 0);
      row.total = yuanNumber(total);
      row.perPerson = persons > 0 ? yuanNumber(Math.floor((2 * total + persons) / (2 * persons))) : null;
      return row;
    };
    const byGroup = new Map<string, Map<IncomeSource, number>>();
    const all = new Map<IncomeSource, number>();
    for (const s of agg.sums) {
      if (!byGroup.has(s.group)) byGroup.set(s.group, new Map());
      byGroup.get(s.group)!.set(s.source, s.totalFen);
      all.set(s.source, (all.get(s.source) ?? 0) + s.totalFen);
    }
    const rows = agg.counts.map((c) => build(c.group, names.get(c.group.padEnd(12, '0')) ?? c.group, c.households, c.persons, byGroup.get(c.group) ?? new Map()));
    rows.push(build('', '合计', agg.counts.reduce((s, c) => s + c.households, 0), agg.counts.reduce((s, c) => s + c.persons, 0), all));
    const columns: ReportColumn<Extract<keyof Row, string>>[] = [
      { key: 'regionCode', label: '区划代码', type: 'text' },
      { key: 'region', label: '地区', type: 'text' },
      { key: 'households', label: '户数', type: 'integer' },
      { key: 'persons', label: '人数', type: 'integer' },
      ...INCOME_SOURCES.map((s) => ({ key: s, label: incomeSourceLabels[s], type: 'money' as const })),
      { key: 'total', label: '收入合计', type: 'money' },
      { key: 'perPerson', label: '人均收入', type: 'money' },
    ];
    return { id: 'income-by-source', title: `${q.year}年家庭收入（按来源）`, columns, rows, scope, generatedAt: clock.now() };
  }

  return { incomeSummary };
}
