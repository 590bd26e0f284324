// Case numbers (案件编号): what people read, say and type instead of a case's UUID —
// `<6-digit county code>-<year>-<sequence>`, e.g. 411282-2026-000123. The sequence counts the cases opened in one
// county in one year (China time, Asia/Shanghai, the year of the case's opening) from 000001, zero-padded to at
// least 6 digits (the 1,000,000th case of a county's year is 411282-2026-1000000). Numbers are taken in the
// survey's own transaction from case_number_counters (src/db/commandWrites.ts), so they are gap-free under normal
// operation and never reused. Pure: drizzle-kit loads this module with the schema.

/** The shape of a case number, as the database's check constraint (cases_case_number_check) has it. */
export const CASE_NUMBER_PATTERN = '^[0-9]{6}-[0-9]{4}-[0-9]{6,}$';
export const CASE_NUMBER_RE = new RegExp(CASE_NUMBER_PATTERN);

/** The time zone whose calendar year a case number carries. */
export const CASE_NUMBER_TIME_ZONE = 'Asia/Shanghai';

export const isCaseNumber = (s: string) => CASE_NUMBER_RE.test(s);

/** formatCaseNumber('411282', 2026, 123) === '411282-2026-000123'. */
export function formatCaseNumber(countyCode: string, year: number, seq: number): string {
  return `${countyCode}-${year}-${String(seq).padStart(6, '0')}`;
}
