/**
 * Exports (导出): GET /exports/<name>.xlsx | .csv (or /exports/<name>?format=xlsx|csv) — the work list with
 * GET /worklist's filters, the overdue list with GET /overdue's, the 花名册 roster of beneficiaries — streamed as
 * the rows are read, and recorded; GET /exports/log lists the records for admins and supervisors.
 */
import { z } from 'zod';
import { categories, reviewLevels, roles } from '../../../machines/index.js';
import type { Engine, Principal } from '../../engine/index.js';
import { exportLogReaders, type PreparedExport } from '../../engine/exports.js';
import { overdueReaders } from '../../engine/overdue.js';
import { errors } from '../../errors.js';
import { EXPORT_FORMATS, type ExportFormat } from '../../exports/index.js';
import type { App } from '../app.js';
import { requireRole } from '../auth.js';
import { errorResponse } from '../schemas/common.js';
import { downloadResponse, exportFormatField, formatOf, sendTable } from '../sendTable.js';

const principalOf = (p: Principal | null | undefined): Principal => {
  if (!p) throw errors.unauthenticated();
  return p;
};

const worklistQuery = z.strictObject({
  view: z.enum(['inbox', 'all']).default('all'),
  role: z.enum(roles).optional(),
  step: z.string().regex(/^[A-Za-z]{1,40}$/, 'expected a step such as review').optional(),
  reviewLevel: z.enum(reviewLevels).optional(),
  region: z.string().regex(/^\d{2,12}$/, 'expected a region-code prefix').optional(),
  category: z.enum(categories).optional(),
  overdue: z.enum(['true', 'false']).optional(),
  includeClosed: z.enum(['true', 'false']).optional(),
  q: z.string().trim().max(50).optional(),
  format: exportFormatField.optional(),
});

const overdueQuery = z.strictObject({
  county: z.string().regex(/^\d{6}$/, 'expected a 6-digit county code, e.g. 411282').optional(),
  township: z.string().regex(/^\d{9}$/, 'expected a 9-digit township code, e.g. 411282108').optional(),
  step: z.string().regex(/^[A-Za-z]{1,40}(\.[A-Za-z_]{1,40})?$/, 'expected a step such as review.township or placement').optional(),
  level: z.enum(reviewLevels).optional(),
  minDaysOverdue: z.coerce.number().int('expected a whole number of days').min(0, 'minDaysOverdue is 0 to 3650').max(3650, 'minDaysOverdue is 0 to 3650').optional(),
  format: exportFormatField.optional(),
});

const rosterQuery = z.strictObject({
  region: z.string().regex(/^(\d{6}|\d{9}|\d{12})$/, 'expected a county (6 digits), township (9) or village (12) code').optional(),
  format: exportFormatField.optional(),
});

const exportLogPage = z.object({
  items: z.array(
    z.object({
      id: z.number().int(),
      at: z.string(),
      actor: z.object({ id: z.string(), username: z.string(), roles: z.array(z.string()) }),
      export: z.string().describe('worklist, overdue, roster, or a report’s id'),
      format: z.string(),
      scope: z.string().describe('the region prefix the rows came from'),
      filters: z.record(z.string(), z.unknown()).describe('without personal values: a search is recorded as { search: words | idDigits }'),
      rowCount: z.number().int(),
      outcome: z.enum(['completed', 'aborted', 'failed']),
      idNumbers: z.enum(['full', 'masked', 'none']),
      requestId: z.string().nullable(),
    }),
  ),
  nextBefore: z.number().int().nullable(),
});

const errorsDoc = { 400: errorResponse, 401: errorResponse, 403: errorResponse };

export function exportRoutes(engine: Engine) {
  return async function register(app: App) {
    /** One export at three paths: name.xlsx, name.csv, and name?format=. */
    function route<Q extends z.ZodType<{ format?: ExportFormat }>>(
      name: string,
      summary: string,
      querystring: Q,
      prepare: (p: Principal, q: z.infer<Q>) => Promise<PreparedExport>,
      preValidation?: ReturnType<typeof requireRole>,
    ) {
      for (const ext of [undefined, 'xlsx', 'csv'] as const) {
        app.get(
          ext ? `/exports/${name}.${ext}` : `/exports/${name}`,
          {
            ...(preValidation ? { preValidation } : {}),
            schema: { tags: ['exports'], summary: ext ? `${summary} (${ext.toUpperCase()})` : `${summary} (?format=xlsx|csv)`, querystring, response: { ...downloadResponse(ext ? [ext] : EXPORT_FORMATS), ...errorsDoc } },
          },
          async (request, reply) => {
            const principal = principalOf(request.principal);
            const q = request.query as z.infer<Q>;
            const format = formatOf(ext, q.format);
            const prepared = await prepare(principal, q);
            return sendTable(reply, prepared.table, format, {
              recorder: engine,
              principal,
              request,
              export: prepared.record.export,
              filters: prepared.record.filters,
              idNumbers: prepared.record.idNumbers,
              scopeLabel: prepared.scopeLabel,
            });
          },
        );
      }
    }

    route('worklist', 'The work list / case search (GET /worklist’s filters), every page, in case-number order', worklistQuery, (p, q) =>
      engine.worklistExport(p, { view: q.view, role: q.role, step: q.step, reviewLevel: q.reviewLevel, region: q.region, category: q.category, overdue: q.overdue === 'true', includeClosed: q.includeClosed === 'true', q: q.q }),
    );
    route('overdue', 'Overdue open cases (GET /overdue’s filters), most overdue first', overdueQuery, (p, q) => engine.overdueExport(p, q), requireRole(...overdueReaders));
    route('roster', 'The 花名册: everyone in an open placed case in a county, township or village (ID numbers masked unless the role sees them)', rosterQuery, (p, q) => engine.rosterExport(p, q));

    app.get(
      '/exports/log',
      {
        preValidation: requireRole(...exportLogReaders),
        schema: {
          tags: ['exports'],
          summary: 'The export log inside the caller’s jurisdiction, newest first (admins, supervisors; pass nextBefore as before)',
          querystring: z.strictObject({
            before: z.coerce.number().int().min(1).optional(),
            limit: z.coerce.number().int().min(1, 'limit is 1 to 200').max(200, 'limit is 1 to 200').default(50),
          }),
          response: { 200: exportLogPage, ...errorsDoc },
        },
      },
      async (request) => engine.exportLog(principalOf(request.principal), request.query),
    );
  };
}
