// Reports (统计报表): GET /reports/<name>, one route per report of src/reports/catalogue.ts, answering the
// report's ReportTable as JSON (columns with their Chinese labels and types, rows keyed by column key), bounded by
// the caller's jurisdiction and an optional narrower region.
import { z } from 'zod';
import type { Engine } from '../../engine/index.js';
import { errors } from '../../errors.js';
import { PERIOD_REPORTS, REPORT_NAMES, REPORT_TITLES, reportReaders } from '../../reports/catalogue.js';
import type { ReportTable } from '../../reports/table.js';
import type { App } from '../app.js';
import { requireRole } from '../auth.js';
import { errorResponse } from '../schemas/common.js';
import { reportTableSchema } from '../schemas/reportTable.js';

const region = z
  .string()
  .regex(/^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$/, 'expected a region code of 2, 4, 6, 9 or 12 digits, e.g. 411282 or 411282108')
  .optional()
  .describe('a region inside your jurisdiction (county 6 digits, township 9, village 12); outside it the table is empty');
const month = (what: string) => z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected a month YYYY-MM, e.g. 2026-03').optional().describe(what);

/** The reports' queries (also the exports' of the reports, routes/reportExports.ts, with a format). */
export const plainQuery = z.strictObject({ region });
export const periodQuery = z.strictObject({
  region,
  from: month('first month of the period (China time); default: 11 months before `to`'),
  to: month('last month of the period; default: this month'),
});

/** The 200 body (src/http/schemas/reportTable.ts), exported so that tests check replies against it. */
export { reportTableSchema };

/** A ReportTable as JSON (array rows; dates as ISO strings). */
export async function tableJson(t: ReportTable) {
  const rows: Record<string, string | number | null>[] = [];
  const list = Array.isArray(t.rows) ? t.rows : await (async () => { const out = []; for await (const r of t.rows) out.push(r); return out; })();
  for (const r of list) {
    const o: Record<string, string | number | null> = {};
    for (const c of t.columns) {
      const v = r[c.key];
      o[c.key] = v instanceof Date ? v.toISOString() : (v ?? null);
    }
    rows.push(o);
  }
  return { id: t.id, title: t.title, scope: t.scope, generatedAt: t.generatedAt.toISOString(), columns: t.columns, rows };
}

const plainJson = () => (data: unknown) => JSON.stringify(data);

export function reportRoutes(engine: Engine) {
  return async function register(app: App) {
    for (const name of REPORT_NAMES) {
      const withPeriod = PERIOD_REPORTS.includes(name);
      app.get(
        `/reports/${name}`,
        {
          preValidation: requireRole(...reportReaders),
          schema: {
            tags: ['reports'],
            summary: `${REPORT_TITLES[name]} — counts in the caller’s jurisdiction (no personal data)`,
            querystring: withPeriod ? periodQuery : plainQuery,
            response: { 200: reportTableSchema, 400: errorResponse, 401: errorResponse, 403: errorResponse },
          },
          // Built field by field from typed values (see overdue.ts): no second validation on the way out.
          serializerCompiler: plainJson,
        },
        async (request) => {
          if (!request.principal) throw errors.unauthenticated();
          return tableJson(await engine.report(request.principal, name, request.query as { region?: string; from?: string; to?: string }));
        },
      );
    }
  };
}
