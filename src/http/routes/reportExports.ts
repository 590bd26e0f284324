/**
 * Exports of the reports (报表导出): GET /exports/reports/<name>.xlsx | .csv (or ?format=xlsx|csv) for each of the
 * nine reports with GET /reports/<name>'s query, GET /exports/income.xlsx | .csv with GET /reports/income's, and
 * GET /exports/projection.xlsx | .csv: the live projection of GET /projection. The tables are the very ones the
 * JSON routes answer — built by the same engine functions (engine.report, engine.incomeSummary,
 * engine.liveProjection), which check the role and bound the figures by the jurisdiction — written by
 * sendTable (XLSX or CSV) and recorded in the export log under the table's id.
 */
import { z } from 'zod';
import type { Engine, Principal } from '../../engine/index.js';
import { incomeYear } from '../../engine/income.js';
import { errors } from '../../errors.js';
import { EXPORT_FORMATS, type ExportFormat } from '../../exports/index.js';
import { PERIOD_REPORTS, REPORT_NAMES, REPORT_TITLES, reportReaders } from '../../reports/catalogue.js';
import type { ReportTable } from '../../reports/table.js';
import type { App } from '../app.js';
import { requireRole } from '../auth.js';
import { errorResponse, regionPrefix } from '../schemas/common.js';
import { downloadResponse, exportFormatField, formatOf, sendTable } from '../sendTable.js';
import { periodQuery, plainQuery } from './reports.js';

const principalOf = (p: Principal | null | undefined): Principal => {
  if (!p) throw errors.unauthenticated();
  return p;
};

const format = exportFormatField.optional();
const plainExportQuery = plainQuery.extend({ format });
const periodExportQuery = periodQuery.extend({ format });
const incomeExportQuery = z.strictObject({ year: incomeYear, region: regionPrefix.optional(), format });
const projectionExportQuery = z.strictObject({ format });

const errorsDoc = { 400: errorResponse, 401: errorResponse, 403: errorResponse };
/** The query as recorded: its fields but the format (reports carry no personal values to leave out). */
const filtersOf = (q: Record<string, unknown>) => Object.fromEntries(Object.entries(q).filter(([k, v]) => k !== 'format' && v !== undefined));

export function reportExportRoutes(engine: Engine) {
  return async function register(app: App) {
    /** One export at three paths: path.xlsx, path.csv, and path?format=. */
    function route<Q extends z.ZodType<{ format?: ExportFormat }>>(
      path: string,
      summary: string,
      querystring: Q,
      build: (p: Principal, q: z.infer<Q>) => Promise<ReportTable>,
      preValidation?: ReturnType<typeof requireRole>,
    ) {
      for (const ext of [undefined, 'xlsx', 'csv'] as const) {
        app.get(
          ext ? `${path}.${ext}` : path,
          {
            ...(preValidation ? { preValidation } : {}),
            schema: {
              tags: ['exports'],
              summary: ext ? `${summary} (${ext.toUpperCase()})` : `${summary} (?format=xlsx|csv)`,
              querystring,
              response: { ...downloadResponse(ext ? [ext] : EXPORT_FORMATS), ...errorsDoc },
            },
          },
          async (request, reply) => {
            const principal = principalOf(request.principal);
            const q = request.query as z.infer<Q>;
            const fmt = formatOf(ext, q.format);
            const table = await build(principal, q);
            return sendTable(reply, table, fmt, {
              recorder: engine,
              principal,
              request,
              filters: filtersOf(q as Record<string, unknown>),
              idNumbers: 'none',
              scopeLabel: await engine.exportScopeLabel(table.scope),
            });
          },
        );
      }
    }

    for (const name of REPORT_NAMES) {
      const withPeriod = PERIOD_REPORTS.includes(name);
      route(
        `/exports/reports/${name}`,
        `${REPORT_TITLES[name]} — the table of GET /reports/${name}`,
        withPeriod ? periodExportQuery : plainExportQuery,
        (p, q: { region?: string; from?: string; to?: string }) => engine.report(p, name, { region: q.region, from: q.from, to: q.to }),
        requireRole(...reportReaders),
      );
    }
    route('/exports/income', 'Income per person and by source of a year — the table of GET /reports/income', incomeExportQuery, (p, q) =>
      engine.incomeSummary(p, { year: q.year, region: q.region }),
    );
    route('/exports/projection', 'Care workers and wage bill per county on the live caseload — the table of GET /projection', projectionExportQuery, (p) =>
      engine.liveProjection(p).then((r) => r.table),
    );
  };
}
