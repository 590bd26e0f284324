// Household income (收入) per case and year, the villages' dividend references, and the income report.
import { z } from 'zod';
import { dividendReferenceInputSchema, incomeYearInputSchema, type Engine, type Principal } from '../../engine/index.js';
import { incomeYear } from '../../engine/income.js';
import { errors } from '../../errors.js';
import { clientRequestIdFor, type App } from '../app.js';
import { parseIfMatch } from '../headers.js';
import { errorResponse, idParams, regionPrefix, uuid } from '../schemas/common.js';
import { caseIncomeView, dividendReferenceList, dividendReferenceView } from '../schemas/incomeViews.js';
import { reportTableSchema } from '../schemas/reportTable.js';
import { tableJson } from './reports.js';

const errorsDoc = { 400: errorResponse, 401: errorResponse, 403: errorResponse };
/** A replacement guarded by If-Match: a stale one is 409, none is 428. */
const changeDocs = { ...errorsDoc, 404: errorResponse, 409: errorResponse, 428: errorResponse };

const principalOf = (p: Principal | null | undefined): Principal => {
  if (!p) throw errors.unauthenticated();
  return p;
};

export function incomeRoutes(engine: Engine) {
  return async function register(app: App) {
    app.get(
      '/cases/:id/income',
      {
        schema: {
          tags: ['income'],
          summary: 'A household’s income of one year through its case: lines by source, totals, per person, the 120% collective-dividend check; ETag: the case row version',
          params: idParams,
          querystring: z.strictObject({ year: incomeYear }),
          response: { 200: caseIncomeView, ...errorsDoc, 404: errorResponse },
        },
      },
      async (request, reply) => {
        const view = await engine.caseIncome(principalOf(request.principal), request.params.id, request.query.year);
        reply.header('etag', `"${view.rowVersion}"`);
        return view;
      },
    );

    app.put(
      '/cases/:id/income/:year',
      {
        schema: {
          tags: ['income'],
          summary: 'Replace a household’s income lines of one year (evaluator, officer); If-Match: the case row version (required); audited on the case',
          description:
            'Body: { lines: [{ source, amount, evidence }] } — the whole year: a source left out is removed, [] clears the year. amount in yuan (a number or a string with at most two decimals; stored as whole fen). One line per source. A stale If-Match is 409 VERSION_CONFLICT; none is 428 PRECONDITION_REQUIRED.',
          params: z.strictObject({ id: uuid, year: incomeYear }),
          body: incomeYearInputSchema,
          response: { 200: caseIncomeView, ...changeDocs },
        },
      },
      async (request, reply) => {
        const ifMatch = parseIfMatch(request.headers['if-match']);
        const meta = { principal: principalOf(request.principal), requestId: request.id, clientRequestId: clientRequestIdFor(request.raw) };
        const view = await engine.recordIncome(meta, request.params.id, request.params.year, request.body, ifMatch);
        reply.header('etag', `"${view.rowVersion}"`);
        return view;
      },
    );

    app.get(
      '/settings/dividend-references',
      {
        schema: {
          tags: ['admin'],
          summary: 'The general poor household’s collective dividend per village of a year (the 120% rule’s reference), inside the admin’s jurisdiction',
          querystring: z.strictObject({ year: incomeYear }),
          response: { 200: dividendReferenceList, ...errorsDoc },
        },
      },
      async (request) => engine.dividendReferences(principalOf(request.principal), request.query),
    );

    const villageYear = z.strictObject({ villageCode: z.string().regex(/^\d{12}$/, 'expected a 12-digit village code'), year: incomeYear });

    app.get(
      '/settings/dividend-references/:villageCode/:year',
      {
        schema: {
          tags: ['admin'],
          summary: 'One village’s dividend reference of a year; ETag: its version (0: never set)',
          params: villageYear,
          response: { 200: dividendReferenceView, ...errorsDoc },
        },
      },
      async (request, reply) => {
        const view = await engine.dividendReference(principalOf(request.principal), request.params.villageCode, request.params.year);
        reply.header('etag', `"${view.version}"`);
        return view;
      },
    );

    app.put(
      '/settings/dividend-references/:villageCode/:year',
      {
        schema: {
          tags: ['admin'],
          summary: 'Set a village’s dividend reference of a year: { amount } in yuan (admin over the village); If-Match required ("0" for one never set); recorded in the setting history',
          params: villageYear,
          body: dividendReferenceInputSchema,
          response: { 200: dividendReferenceView, ...changeDocs },
        },
      },
      async (request, reply) => {
        const ifMatch = parseIfMatch(request.headers['if-match'], 'the setting\'s version');
        const meta = { principal: principalOf(request.principal), requestId: request.id, clientRequestId: clientRequestIdFor(request.raw) };
        const view = await engine.setDividendReference(meta, request.params.villageCode, request.params.year, request.body, ifMatch);
        reply.header('etag', `"${view.version}"`);
        return view;
      },
    );

    app.get(
      '/reports/income',
      {
        schema: {
          tags: ['income'],
          summary: 'Income per person and by source over the jurisdiction (or a region inside it) and a year, one row per region one level down, then 合计 (a report table)',
          querystring: z.strictObject({ year: incomeYear, region: regionPrefix.optional() }),
          response: { 200: reportTableSchema, ...errorsDoc },
        },
      },
      async (request) => tableJson(await engine.incomeSummary(principalOf(request.principal), request.query)),
    );
  };
}
