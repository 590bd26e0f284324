/**
 * 报表: the report pages. /console/reports is the overview (people by placement mode laid out like the pilot's
 * figures, by category, by area one level down with a drill-down county → township → village) and the list of
 * reports; /console/reports/<name> is one report — its table and a chart — for the jurisdiction or an area of
 * it (?region=), over a period for the monthly ones (?from=&to=). The figures are the engine's ReportTables,
 * the same as GET /reports/<name>; charts are ECharts rendered on the server to inline SVG (src/reports/charts.ts).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { INCOME_REPORT_ROLES } from '../../engine/incomeReport.js';
import { narrowRegion } from '../../engine/overdue.js';
import { INCOME_SOURCES } from '../../domain/income.js';
import { incomeSourceLabels } from '../../labels.js';
import { errors } from '../../errors.js';
import { barChart, lineChart } from '../../reports/charts.js';
import { FLOW_LABELS, PERIOD_REPORTS, REPORT_NAMES, REPORT_TITLES, reportReaders, type ReportName } from '../../reports/catalogue.js';
import type { ReportColumn, ReportRow, ReportTable } from '../../reports/table.js';
import { requireConsoleRole } from '../access.js';
import { reportExportLinks } from '../exportLinks.js';
import { pageData, type ConsoleContext } from '../context.js';
import { formIssues } from '../forms.js';
import { isoChinaDate } from '../format.js';
import { sendHtml } from '../render.js';
import { CONSOLE } from '../session.js';

const blank = (v: unknown) => (v === '' ? undefined : v);
const query = z.strictObject({
  region: z.preprocess(blank, z.string().regex(/^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$/, '请选择地区').optional()),
  from: z.preprocess(blank, z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, '请填写月份，如 2026-03').optional()),
  to: z.preprocess(blank, z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, '请填写月份，如 2026-03').optional()),
});

const CODE_KEYS = new Set(['state', 'mode', 'category', 'step']);
/** Columns people read: codes are for API clients and exports, the page shows their labels. */
const shown = (c: ReportColumn) => !CODE_KEYS.has(c.key) && !c.key.endsWith('Code');

function cellText(c: ReportColumn, v: ReportRow[string]): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') {
    if (c.type === 'percent') return `${(v * 100).toFixed(1)}%`;
    if (c.type === 'decimal' || c.type === 'money') return v.toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    return v.toLocaleString('zh-CN');
  }
  return String(v);
}

const num = (v: unknown) => (typeof v === 'number' ? v : 0);

/** The chart of a report, as inline SVG (null where a table says it better). */
function chartOf(t: ReportTable, rows: ReportRow[]): string | null {
  const col = (k: string) => rows.map((r) => num(r[k]));
  const label = (k: string) => rows.map((r) => String(r[k] ?? ''));
  switch (t.id as ReportName) {
    case 'by-placement': {
      const modes = rows.filter((r) => r.mode !== 'total');
      return barChart({ title: '在保人数（按安置方式）', categories: modes.map((r) => String(r.modeLabel)), series: [{ name: '人数', data: modes.map((r) => num(r.people)) }] });
    }
    case 'by-state':
      return barChart({ title: '人数（按办理状态）', categories: label('stateLabel'), series: [{ name: '人数', data: col('people') }], horizontal: true, height: 60 + rows.length * 30 });
    case 'by-category':
      return barChart({ title: '五类对象人数', categories: label('categoryLabel'), series: [{ name: '在册', data: col('people') }, { name: '已安置', data: col('inCare') }] });
    case 'by-region':
      return rows.length === 0 ? null : barChart({
        title: '已安置人数（按地区）',
        categories: label('regionName'),
        series: [
          { name: '集中供养', data: col('centralized_support') },
          { name: '集中救治', data: col('centralized_treatment') },
          { name: '分散托养', data: col('dispersed_care') },
        ],
        stacked: true,
      });
    case 'monthly-flows':
      return lineChart({ title: '月度办理情况', categories: label('month'), series: (Object.keys(FLOW_LABELS) as (keyof typeof FLOW_LABELS)[]).map((f) => ({ name: FLOW_LABELS[f], data: col(f) })) });
    case 'approval-time':
      return rows.length === 0 ? null : barChart({ title: '认定用时（工作日）', categories: label('countyName'), series: [{ name: '中位数', data: col('median') }, { name: '90%分位', data: col('p90') }] });
    case 'overdue': {
      const by = new Map<string, number>();
      for (const r of rows) by.set(String(r.stepLabel), (by.get(String(r.stepLabel)) ?? 0) + num(r.count));
      return by.size === 0 ? null : barChart({ title: '超期件数（按环节）', categories: [...by.keys()], series: [{ name: '件数', data: [...by.values()] }], horizontal: true, height: 60 + by.size * 30 });
    }
    case 'revisits': {
      const top = rows.slice(0, 30);
      return top.length === 0 ? null : barChart({
        title: '回访情况（按村）',
        categories: top.map((r) => String(r.villageName)),
        series: [{ name: '按时', data: top.map((r) => num(r.onTime)) }, { name: '逾期', data: top.map((r) => num(r.late)) }, { name: '未访', data: top.map((r) => num(r.missed)) }],
        stacked: true,
      });
    }
    case 'facilities': {
      const top = rows.slice(0, 20);
      return top.length === 0 ? null : barChart({ title: '床位与在住人数', categories: top.map((r) => String(r.name)), series: [{ name: '床位', data: top.map((r) => num(r.beds)) }, { name: '在住', data: top.map((r) => num(r.residents)) }], horizontal: true, height: 80 + top.length * 34 });
    }
  }
}

const CHAIN = [2, 4, 6, 9, 12];

export async function reportPages(app: FastifyInstance, ctx: ConsoleContext) {
  const { engine, renderer } = ctx;

  /**
   * What a report page shows of a table, whichever engine function built it: the area's name and breadcrumbs,
   * the columns people read, the chart, and the links to the same table as a file.
   */
  async function tableView(
    request: Parameters<typeof pageData>[0],
    t: ReportTable,
    o: { region?: string; linkTo: (region?: string) => string; drill?: (r: ReportRow) => string | null; chart: string | null; apiPath: string; exports: { xlsx: string; csv: string }; period: boolean },
  ) {
    const principal = request.consoleUser!.principal;
    const rows = Array.isArray(t.rows) ? t.rows : [];
    const outside = o.region !== undefined && narrowRegion(principal.region, o.region) === null;
    const names = new Map((await engine.regions({ prefix: principal.region })).map((r) => [r.code, r.name]));
    const nameOf = (code: string) => names.get(code.padEnd(12, '0')) ?? names.get(code) ?? code;
    const crumbs = CHAIN.filter((n) => n >= principal.region.length && n <= t.scope.length).map((n) => ({
      name: nameOf(t.scope.slice(0, n)),
      href: o.linkTo(t.scope.slice(0, n) === principal.region ? undefined : t.scope.slice(0, n)),
      current: n === t.scope.length,
    }));
    const columns = t.columns.filter(shown);
    return {
      id: t.id,
      title: t.title,
      scopeName: nameOf(t.scope),
      generatedAt: t.generatedAt,
      outside,
      crumbs,
      columns,
      rows: rows.map((r) => ({ cells: columns.map((c) => ({ text: cellText(c, r[c.key]), num: c.type !== 'text' })), drill: o.drill?.(r) ?? null })),
      chart: o.chart,
      apiPath: o.apiPath,
      // The same table as a file (the API's export route, which takes the session cookie).
      exports: o.exports,
      period: o.period,
    };
  }

  async function view(request: Parameters<typeof pageData>[0], name: ReportName, q: z.infer<typeof query>) {
    const t = await engine.report(request.consoleUser!.principal, name, q);
    const link = (n: ReportName, region?: string) => `${CONSOLE}/reports/${n}${region ? `?region=${region}` : ''}`;
    return tableView(request, t, {
      region: q.region,
      linkTo: (region) => link(name, region),
      // By region: the area's own report one level down.
      drill: name === 'by-region' ? (r) => (typeof r.regionCode === 'string' && r.regionCode.length < 12 ? link('by-region', r.regionCode) : null) : undefined,
      chart: chartOf(t, Array.isArray(t.rows) ? t.rows : []),
      apiPath: `/reports/${name}`,
      exports: reportExportLinks(name, q),
      period: PERIOD_REPORTS.includes(name),
    });
  }

  // 家庭收入（按来源）: the income report of a year (engine.incomeSummary, as GET /reports/income), by area one
  // level down with drill-down, and its chart of the sources.
  const incomeQuery = z.strictObject({
    region: query.shape.region,
    year: z.preprocess(blank, z.coerce.number({ error: '请填写年份，如 2026' }).int().min(2000, '请填写年份，如 2026').max(2100, '请填写年份，如 2026').optional()),
  });
  app.get('/reports/income', { preHandler: requireConsoleRole(...INCOME_REPORT_ROLES) }, async (request, reply) => {
    const parsed = incomeQuery.safeParse(request.query ?? {});
    if (!parsed.success) throw errors.validationFailed(formIssues(parsed.error));
    const year = parsed.data.year ?? Number(isoChinaDate(engine.deps.clock.now()).slice(0, 4));
    const region = parsed.data.region;
    const t = await engine.incomeSummary(request.consoleUser!.principal, { year, region });
    const rows = Array.isArray(t.rows) ? t.rows : [];
    const linkTo = (r?: string) => `${CONSOLE}/reports/income?year=${year}${r ? `&region=${r}` : ''}`;
    const whole = rows.find((row) => row.regionCode === '');
    const totals = INCOME_SOURCES.map((s) => num(whole?.[s]));
    const r = await tableView(request, t, {
      region,
      linkTo,
      drill: (row) => (typeof row.regionCode === 'string' && row.regionCode !== '' && row.regionCode.length < 12 ? linkTo(row.regionCode) : null),
      chart: !whole || num(whole.total) === 0 ? null : barChart({ title: '收入（按来源，元）', categories: INCOME_SOURCES.map((s) => incomeSourceLabels[s]), series: [{ name: '金额', data: totals }], horizontal: true, height: 60 + INCOME_SOURCES.length * 30 }),
      apiPath: '/reports/income',
      exports: { xlsx: `/exports/income.xlsx?year=${year}${region ? `&region=${region}` : ''}`, csv: `/exports/income.csv?year=${year}${region ? `&region=${region}` : ''}` },
      period: false,
    });
    return sendHtml(reply, renderer.render('report', { ...pageData(request, r.title), r, q: { year }, region: region ?? '', incomeYear: year }));
  });

  app.get('/reports', { preHandler: requireConsoleRole(...reportReaders) }, async (request, reply) => {
    const parsed = query.pick({ region: true }).strict().safeParse(request.query ?? {});
    if (!parsed.success) throw errors.validationFailed(formIssues(parsed.error));
    const q = parsed.data;
    const [placement, region, category] = await Promise.all([view(request, 'by-placement', q), view(request, 'by-region', q), view(request, 'by-category', q)]);
    return sendHtml(
      reply,
      renderer.render('reports', {
        ...pageData(request, '报表'),
        placement,
        region,
        category,
        reports: [
          ...REPORT_NAMES.map((n) => ({ href: `${CONSOLE}/reports/${n}${q.region ? `?region=${q.region}` : ''}`, title: REPORT_TITLES[n] })),
          ...(request.consoleUser!.principal.roles.some((r) => (INCOME_REPORT_ROLES as readonly string[]).includes(r))
            ? [{ href: `${CONSOLE}/reports/income${q.region ? `?region=${q.region}` : ''}`, title: '家庭收入（按来源）' }]
            : []),
        ],
      }),
    );
  });

  app.get<{ Params: { name: string } }>('/reports/:name', { preHandler: requireConsoleRole(...reportReaders) }, async (request, reply) => {
    const name = REPORT_NAMES.find((n) => n === request.params.name);
    if (!name) throw errors.notFound();
    const parsed = query.safeParse(request.query ?? {});
    if (!parsed.success) throw errors.validationFailed(formIssues(parsed.error));
    const q = parsed.data;
    if (!PERIOD_REPORTS.includes(name) && (q.from || q.to)) throw errors.validationFailed([{ path: 'query.from', message: '此报表不按月份统计' }]);
    const r = await view(request, name, q);
    return sendHtml(reply, renderer.render('report', { ...pageData(request, r.title), r, q, region: q.region ?? '' }));
  });
}
