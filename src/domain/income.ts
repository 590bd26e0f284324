/**
 * Household income (家庭收入) by source, per household and year. Pure: the sources, and the rule on collective
 * dividends (a safety-net household's collective dividend is at least 120% of a general poor household's, with the
 * reference amount set per village and year).
 *
 * Glossary
 *   income line        one source's amount for one household and year, with its evidence (how it is known).
 *   policy income      政策性收入: dibao, tekun, pension, assistance, disability allowance.
 *   dividend           分红: "1+1" 带贫分红 (individual), 集体经济分红 (collective), 企业扶贫公益股 (enterprise).
 *   care fund          关爱基金/爱心基金: money raised for the programme's households.
 *   dividend reference 一般贫困户集体经济分红: what a general poor household of the village gets from the collective
 *                      in the year; a safety-net household must get at least 120% of it.
 */
import { divideRounded } from './money.js';

export const INCOME_SOURCES = [
  'dibao', // 低保
  'tekun', // 特困供养金/五保
  'pension', // 养老保险金
  'assistance', // 临时救助
  'disability_allowance', // 残疾人补贴
  'dividend_individual', // "1+1" 带贫分红
  'dividend_collective', // 集体经济分红
  'dividend_enterprise', // 企业扶贫公益股
  'care_fund', // 关爱基金/爱心基金
] as const;
export type IncomeSource = (typeof INCOME_SOURCES)[number];

/** The groups the article adds up: policy income 5,784 + dividends 4,500 + care fund 2,000. */
export const INCOME_GROUPS = ['policy', 'dividends', 'care_fund'] as const;
export type IncomeGroup = (typeof INCOME_GROUPS)[number];

export const incomeGroupOf: Record<IncomeSource, IncomeGroup> = {
  dibao: 'policy',
  tekun: 'policy',
  pension: 'policy',
  assistance: 'policy',
  disability_allowance: 'policy',
  dividend_individual: 'dividends',
  dividend_collective: 'dividends',
  dividend_enterprise: 'dividends',
  care_fund: 'care_fund',
};

/** Years income may be recorded for. */
export const MIN_INCOME_YEAR = 2000;
export const MAX_INCOME_YEAR = 2100;

/** The collective dividend of a safety-net household against a general poor household's: at least 120%. */
export const COLLECTIVE_DIVIDEND_PERCENT = 120;

export interface IncomeAmount {
  source: IncomeSource;
  amountFen: number;
}

export interface IncomeTotals {
  totalFen: number;
  byGroup: Record<IncomeGroup, number>;
  members: number;
  /** Household total ÷ members, rounded half up to fen; null for a household without members. */
  perPersonFen: number | null;
}

export function incomeTotals(lines: readonly IncomeAmount[], members: number): IncomeTotals {
  const byGroup: Record<IncomeGroup, number> = { policy: 0, dividends: 0, care_fund: 0 };
  let totalFen = 0;
  for (const l of lines) {
    byGroup[incomeGroupOf[l.source]] += l.amountFen;
    totalFen += l.amountFen;
  }
  return { totalFen, byGroup, members, perPersonFen: members > 0 ? divideRounded(totalFen, members) : null };
}

export type DividendCheck =
  | { status: 'no_reference'; recordedFen: number }
  | { status: 'ok' | 'shortfall'; referenceFen: number; requiredFen: number; recordedFen: number; shortfallFen: number };

/**
 * The 120% rule: required = reference × 120%, rounded up to whole fen (never below the rule); a recorded collective
 * dividend below it is a shortfall of the difference. No collective dividend recorded counts as 0 (a village that
 * pays its general poor households and not a safety-net one is what the rule is for). No reference set: unchecked.
 */
export function dividendCheck(recordedFen: number, referenceFen: number | null): DividendCheck {
  if (referenceFen === null) return { status: 'no_reference', recordedFen };
  const requiredFen = Math.ceil((referenceFen * COLLECTIVE_DIVIDEND_PERCENT) / 100);
  const shortfallFen = Math.max(0, requiredFen - recordedFen);
  return { status: shortfallFen > 0 ? 'shortfall' : 'ok', referenceFen, requiredFen, recordedFen, shortfallFen };
}
