/**
 * Household income (家庭收入) per household and year, by source, recorded through the household's case; the
 * per-village dividend reference of the 120% rule; and the income report over a jurisdiction.
 *
 * Why an engine command and not a machine event: income is a fact about the household in a year, not a step of the
 * case's path — no state changes, no deadline or timer follows it, and it may be corrected in any state (during
 * evaluation, after placement, for a past year). Putting it in the machine would need a new machine version and a
 * snapshot migration for context that decides nothing. It is still a command on the case, with the guarantees the
 * case's other commands have: one transaction takes the case's row lock (lockCase, as TIMER_RETRIED does), checks
 * If-Match against the case's row version, replaces the year's lines, moves the row version on, and appends an
 * INCOME_RECORDED record to the case's hash-chained audit trail — so every audit record stays one row version of
 * its case, and of two changes racing from the same version one wins and the other gets VERSION_CONFLICT.
 */
import { z } from 'zod';
import { dividendCheck, incomeTotals, INCOME_SOURCES, MAX_INCOME_YEAR, MIN_INCOME_YEAR, type IncomeSource } from '../domain/income.js';
import { fenOfYuan, yuanText } from '../domain/money.js';
import {
  appendAudit,
  countMembers,
  findCase,
  getDividendReference,
  listHouseholdIncome,
  lockCase,
  replaceHouseholdIncome,
  updateCase,
  type CaseRow,
  type HouseholdIncomeRow,
} from '../db/index.js';
import { errors } from '../errors.js';
import { incomeSourceLabels } from '../labels.js';
import { assertCaseVisible, inJurisdiction } from './access.js';
import { auditSafe, maskDeep, seesIdentity } from './identity.js';
import { parseOrFail, yuanSchema } from './moneyInput.js';
import type { CommandMeta, EngineDeps, Principal } from './types.js';

export const INCOME_RECORDED = 'INCOME_RECORDED';
/** Who records income: the township evaluator (逐户评定 assesses it) or the civil-affairs officer. */
export const INCOME_ROLES = ['evaluator', 'officer'] as const;

export const incomeYear = z.coerce
  .number({ error: `expected a year from ${MIN_INCOME_YEAR} to ${MAX_INCOME_YEAR}` })
  .int(`expected a year from ${MIN_INCOME_YEAR} to ${MAX_INCOME_YEAR}`)
  .min(MIN_INCOME_YEAR, `expected a year from ${MIN_INCOME_YEAR} to ${MAX_INCOME_YEAR}`)
  .max(MAX_INCOME_YEAR, `expected a year from ${MIN_INCOME_YEAR} to ${MAX_INCOME_YEAR}`);

export const incomeLineSchema = z.strictObject({
  source: z.enum(INCOME_SOURCES, { error: `expected one of ${INCOME_SOURCES.join(', ')}` }),
  amount: yuanSchema,
  evidence: z
    .string({ error: 'evidence must be text' })
    .trim()
    .min(1, 'evidence must not be blank: say how the amount is known (a payment roster, an agreement number)')
    .max(2000, 'evidence is at most 2000 characters'),
});

/** PUT /cases/:id/income/:year: the year's whole list of lines (a source left out is removed; [] clears the year). */
export const incomeYearInputSchema = z
  .strictObject({ lines: z.array(incomeLineSchema, { error: 'expected a list of lines' }).max(INCOME_SOURCES.length) })
  .superRefine((v, ctx) => {
    const seen = new Set<string>();
    v.lines.forEach((l, i) => {
      if (seen.has(l.source)) ctx.addIssue({ code: 'custom', path: ['lines', i, 'source'], message: `source ${l.source} is listed twice: one line per source` });
      seen.add(l.source);
    });
  });
export type IncomeYearInput = z.infer<typeof incomeYearInputSchema>;

const INCOME_ZH: Record<string, string> = {
  source: `收入来源须为：${INCOME_SOURCES.map((s) => incomeSourceLabels[s]).join('、')}，每项来源只能填写一行`,
  evidence: '请填写依据（如发放花名册、分红协议编号），不超过 2000 字',
  lines: '请逐项填写收入',
};


export const money = (fen: number) => ({ fen, yuan: yuanText(fen) });

function lineView(r: HouseholdIncomeRow) {
  return { source: r.source, amountFen: r.amountFen, amount: yuanText(r.amountFen), evidence: r.evidence, recordedBy: r.recordedBy, recordedAt: r.recordedAt.toISOString() };
}

export function createIncome(deps: EngineDeps) {
  const { db, clock, logger } = deps;

  async function visibleCase(p: Principal, caseId: string): Promise<CaseRow> {
    const row = await findCase(db, caseId);
    if (!row) throw errors.caseNotFound(caseId);
    assertCaseVisible(p, caseId, row.villageCode);
    return row;
  }

  async function viewOf(p: Principal, row: Pick<CaseRow, 'id' | 'caseNumber' | 'householdId' | 'villageCode' | 'rowVersion'>, year: number, lines: HouseholdIncomeRow[]) {
    const [members, reference] = await Promise.all([countMembers(db, row.householdId), getDividendReference(db, row.villageCode, year)]);
    const totals = incomeTotals(lines, members);
    const collective = lines.find((l) => l.source === 'dividend_collective')?.amountFen ?? 0;
    const check = dividendCheck(collective, reference?.amountFen ?? null);
    const view = {
      caseId: row.id,
      caseNumber: row.caseNumber,
      householdId: row.householdId,
      villageCode: row.villageCode,
      year,
      rowVersion: row.rowVersion,
      lines: lines.map(lineView),
      totals: {
        total: money(totals.totalFen),
        policy: money(totals.byGroup.policy),
        dividends: money(totals.byGroup.dividends),
        careFund: money(totals.byGroup.care_fund),
        members: totals.members,
        perPerson: totals.perPersonFen === null ? null : money(totals.perPersonFen),
      },
      dividendCheck:
        check.status === 'no_reference'
          ? { status: check.status, recorded: money(check.recordedFen), reference: null, required: null, shortfall: null }
          : { status: check.status, recorded: money(check.recordedFen), reference: money(check.referenceFen), required: money(check.requiredFen), shortfall: money(check.shortfallFen) },
    };
    // Evidence is free text: an ID number typed into it is masked for roles without the identity right.
    return seesIdentity(p) ? view : maskDeep(view);
  }

  /** GET /cases/:id/income?year=: the year's lines, totals, per person and the dividend check; anyone who sees the case. */
  async function caseIncome(p: Principal, caseId: string, year: number) {
    const row = await visibleCase(p, caseId);
    return viewOf(p, row, year, await listHouseholdIncome(db, row.householdId, year));
  }

  /**
   * PUT /cases/:id/income/:year: replaces the household's lines of the year, if the case is still at `ifMatch`
   * (required). Evaluator or officer of the case's jurisdiction; audited on the case in the same transaction.
   */
  async function recordIncome(meta: CommandMeta, caseId: string, year: number, body: unknown, ifMatch: number | undefined) {
    const p = meta.principal;
    const role = p.roles.find((r) => (INCOME_ROLES as readonly string[]).includes(r));
    if (!role) throw errors.forbidden({ roles: INCOME_ROLES }, 'Household income is recorded by an evaluator or an officer');
    const input = parseOrFail(incomeYearInputSchema, body, INCOME_ZH);
    const lines = input.lines.map((l) => ({ source: l.source as IncomeSource, amountFen: fenOfYuan(l.amount)!, evidence: l.evidence }));
    const at = clock.now();
    const written = await db.transaction(async (tx) => {
      const row = await lockCase(tx, caseId);
      if (!row || !inJurisdiction(p, row.villageCode)) throw errors.caseNotFound(caseId);
      if (ifMatch === undefined) throw errors.preconditionRequired(row.rowVersion);
      if (ifMatch !== row.rowVersion) throw errors.versionConflict(ifMatch, row.rowVersion);
      const before = await listHouseholdIncome(tx, row.householdId, year);
      const after = await replaceHouseholdIncome(tx, { householdId: row.householdId, year, caseId: row.id, recordedBy: p.id, at, lines });
      // Locked above: the version cannot have moved.
      if (!(await updateCase(tx, row.id, { updatedAt: at }, row.rowVersion))) throw new Error(`case ${row.id} changed under its lock`);
      await appendAudit(tx, {
        caseId: row.id,
        eventType: INCOME_RECORDED,
        payload: auditSafe(
          {
            year,
            lines: lines.map((l) => ({ source: l.source, amountFen: l.amountFen, evidence: l.evidence })),
            previous: before.map((l) => ({ source: l.source, amountFen: l.amountFen })),
            totalFen: lines.reduce((s, l) => s + l.amountFen, 0),
          },
          at,
        ),
        actorId: p.id,
        actorRole: role,
        stateBefore: row.state,
        stateAfter: row.state,
        machineVersion: row.machineVersion,
        requestId: meta.requestId ?? null,
        clientRequestId: meta.clientRequestId ?? null,
        at,
      });
      return { row: { ...row, rowVersion: row.rowVersion + 1 }, after };
    });
    logger.info({ caseId, year, lines: lines.length, by: p.username }, 'household income recorded');
    return viewOf(p, written.row, year, written.after);
  }

  return { caseIncome, recordIncome };
}

export type IncomeEngine = ReturnType<typeof createIncome>;
