/**
 * One cell of an export, typed by its column (src/reports/table.ts): how a value is written to XLSX and CSV.
 * Pure.
 *
 * Formula injection (CSV/formula injection, OWASP): a spreadsheet treats text that starts with `=`, `+`, `-`,
 * `@`, a tab or a carriage return (and, in East Asian Excel, their full-width forms ＝ ＋ － ＠) as a formula
 * when the file is opened or the cell is edited. Every *text* cell that starts with one of them is written with
 * an apostrophe in front (`'=1+1`), as OWASP advises: the spreadsheet shows the text and never runs it. Cells
 * typed as numbers (integer, decimal, money, percent) are written as numbers, never as text, so they need no
 * escape and a negative amount stays a negative number. Dates are real dates in XLSX and YYYY-MM-DD in CSV.
 */
import type { ColumnType, ReportColumn } from '../reports/table.js';

const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

/** Text as a spreadsheet may show it without running it. */
export function escapeText(s: string): string {
  return FORMULA_START.test(s) ? `'${s}` : s;
}

const CHINA_OFFSET_MS = 8 * 3600_000;
const two = (n: number) => String(n).padStart(2, '0');
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

export type CellValue = string | number | Date | null | undefined;

const isNumeric = (t: ColumnType) => t === 'integer' || t === 'decimal' || t === 'money' || t === 'percent';

/** A number from a numeric cell's value (numbers, or numeric strings from SQL numerics); null if it is none. */
function toNumber(v: CellValue): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

/** The instant of a dateTime cell (Date or ISO string); null if it is none. */
function toInstant(v: CellValue): Date | null {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v;
  if (typeof v === 'string' && v) {
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  return null;
}

/** A date cell's calendar date as [y, m, d]: a YYYY-MM-DD string as it is, an instant by its China date. */
function toDateParts(v: CellValue): [number, number, number] | null {
  if (typeof v === 'string') {
    const m = DATE_RE.exec(v);
    if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  }
  const at = toInstant(v);
  if (!at) return null;
  const c = new Date(at.getTime() + CHINA_OFFSET_MS);
  return [c.getUTCFullYear(), c.getUTCMonth() + 1, c.getUTCDate()];
}

/** Excel number formats per column type (numFmt); text and integer need none beyond these. */
export const NUM_FMT: Record<ColumnType, string | undefined> = {
  text: '@',
  integer: '0',
  decimal: 'General',
  money: '#,##0.00',
  percent: '0.0%',
  date: 'yyyy-mm-dd',
  dateTime: 'yyyy-mm-dd hh:mm',
};

/**
 * The value ExcelJS writes for a cell: a number, a Date, or (escaped) text. Excel stores dates as serial days
 * without a time zone and ExcelJS counts them from a Date's UTC fields, so a date is given as that calendar
 * date at UTC midnight and an instant as its China wall-clock time "in UTC": Excel then shows China time.
 */
export function xlsxValue(col: ReportColumn, v: CellValue): string | number | Date | null {
  if (v === null || v === undefined || v === '') return null;
  if (isNumeric(col.type)) {
    const n = toNumber(v);
    return n ?? escapeText(String(v));
  }
  if (col.type === 'date') {
    const p = toDateParts(v);
    return p ? new Date(Date.UTC(p[0], p[1] - 1, p[2])) : escapeText(String(v));
  }
  if (col.type === 'dateTime') {
    const at = toInstant(v);
    return at ? new Date(at.getTime() + CHINA_OFFSET_MS) : escapeText(String(v));
  }
  return escapeText(v instanceof Date ? v.toISOString() : String(v));
}

/** The text of a CSV cell, before RFC 4180 quoting: numbers plainly, dates as China-time text. */
export function csvText(col: ReportColumn, v: CellValue): string {
  if (v === null || v === undefined || v === '') return '';
  if (isNumeric(col.type)) {
    const n = toNumber(v);
    if (n === null) return escapeText(String(v));
    if (col.type === 'money') return n.toFixed(2);
    // Excel reads "12.5%" back as the number 0.125 shown as a percentage.
    if (col.type === 'percent') return `${trimNumber(n * 100)}%`;
    return String(n);
  }
  if (col.type === 'date') {
    const p = toDateParts(v);
    return p ? `${p[0]}-${two(p[1])}-${two(p[2])}` : escapeText(String(v));
  }
  if (col.type === 'dateTime') {
    const at = toInstant(v);
    if (!at) return escapeText(String(v));
    const c = new Date(at.getTime() + CHINA_OFFSET_MS);
    return `${c.getUTCFullYear()}-${two(c.getUTCMonth() + 1)}-${two(c.getUTCDate())} ${two(c.getUTCHours())}:${two(c.getUTCMinutes())}:${two(c.getUTCSeconds())}`;
  }
  return escapeText(v instanceof Date ? v.toISOString() : String(v));
}

/** A number without float noise (12.5, not 12.500000000000002). */
function trimNumber(n: number): string {
  return String(Number(n.toFixed(6)));
}

/** RFC 4180: a field with a quote, comma, CR or LF is quoted, its quotes doubled. */
export function csvQuote(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** How wide text looks in a spreadsheet: CJK and full-width characters take two columns. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/.test(ch) ? 2 : 1;
  return w;
}
