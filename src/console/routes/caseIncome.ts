/**
 * 收入 on the case page: the household's income of a year — lines by source with their evidence, totals, per person,
 * the 120% collective-dividend check — and, for an evaluator or officer, the form that records the year's lines.
 * The form posts the case's row version it was rendered from: a page gone stale is refused with 此案件已被他人更新,
 * nothing applied (engine.recordIncome, the API's own command, PUT /cases/:id/income/:year).
 */
import type { FastifyInstance } from 'fastify';
import { INCOME_SOURCES, MAX_INCOME_YEAR, MIN_INCOME_YEAR } from '../../domain/income.js';
import type { Engine, Principal } from '../../engine/index.js';
import { INCOME_ROLES } from '../../engine/income.js';
import { errors } from '../../errors.js';
import { dividendCheckLabels, incomeSourceLabels } from '../../labels.js';
import { caseByRef } from '../caseRef.js';
import type { ConsoleContext } from '../context.js';
import { chinaYear, yuan } from '../money.js';
import { CONSOLE, redirect, who } from '../session.js';

const yearOf = (v: unknown, fallback: number) => {
  const n = typeof v === 'string' && /^\d{4}$/.test(v) ? Number(v) : NaN;
  return n >= MIN_INCOME_YEAR && n <= MAX_INCOME_YEAR ? n : fallback;
};

/** The case page's 收入 section data (the year from ?incomeYear=, else this year in China time). */
export async function incomeSection(engine: Engine, principal: Principal, caseId: string, query: Record<string, unknown>) {
  const year = yearOf(query.incomeYear, chinaYear(engine.deps.clock.now()));
  const view = await engine.caseIncome(principal, caseId, year);
  const bySource = new Map(view.lines.map((l) => [l.source, l]));
  return {
    year,
    years: [year - 1, year + 1].filter((y) => y >= MIN_INCOME_YEAR && y <= MAX_INCOME_YEAR),
    view,
    rows: INCOME_SOURCES.map((s) => ({ source: s, label: incomeSourceLabels[s], line: bySource.get(s) ?? null })),
    mayRecord: principal.roles.some((r) => (INCOME_ROLES as readonly string[]).includes(r)),
    checkLabel: dividendCheckLabels[view.dividendCheck.status],
    saved: query.saved === 'income',
    yuan,
  };
}

export async function caseIncomePages(app: FastifyInstance, ctx: ConsoleContext) {
  const { engine } = ctx;

  app.post('/c/:caseNumber/income/:year', async (request, reply) => {
    const user = who(request);
    const { caseNumber, year: yearParam } = request.params as { caseNumber: string; year: string };
    const year = yearOf(yearParam, NaN);
    if (!Number.isInteger(year)) throw errors.notFound();
    const view = await caseByRef(engine, user.principal, caseNumber);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
    const rowVersion = Number(str(body.rowVersion));
    if (!Number.isInteger(rowVersion) || rowVersion < 1) throw errors.validationFailed([{ path: 'rowVersion', message: 'expected the version the page was rendered from' }]);
    // A source with neither amount nor evidence is not listed (and so removed); amounts are the engine's to check.
    const lines = INCOME_SOURCES.flatMap((source) => {
      const amount = str(body[`amount_${source}`]);
      const evidence = str(body[`evidence_${source}`]);
      return amount === '' && evidence === '' ? [] : [{ source, amount, evidence }];
    });
    await engine.recordIncome({ principal: user.principal, requestId: request.id, clientRequestId: null }, view.id, year, { lines }, rowVersion);
    return redirect(request, reply, `${CONSOLE}/c/${view.caseNumber}?incomeYear=${year}&saved=income#h-income`);
  });
}
