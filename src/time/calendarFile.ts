/**
 * The calendar file: one year of public holidays (法定节假日) and make-up working days (调休上班), as an admin
 * loads it (`PUT /calendar/:year`, body = this file). Weekends are implied and not listed.
 *
 *   {
 *     "year": 2025,
 *     "holidays": [{ "date": "2025-01-01", "name": "元旦" }, …],
 *     "workdays": [{ "date": "2025-01-26", "name": "春节调休上班" }, …]
 *   }
 *
 * Every problem is reported at once, each with its path (`body.holidays[3].date`): a date that does not
 * exist, a date outside the year, a date listed twice, a date that is both a holiday and a working day, a
 * make-up working day that is not a Saturday or Sunday, unknown fields.
 */
import { z } from 'zod';
import { isoDate } from '../../machines/types.js';
import type { CalendarData } from './calendar.js';

export const MIN_CALENDAR_YEAR = 2000;
export const MAX_CALENDAR_YEAR = 2100;

export const calendarYearSchema = z
  .number()
  .int('expected a year such as 2025')
  .min(MIN_CALENDAR_YEAR, `expected a year from ${MIN_CALENDAR_YEAR} to ${MAX_CALENDAR_YEAR}`)
  .max(MAX_CALENDAR_YEAR, `expected a year from ${MIN_CALENDAR_YEAR} to ${MAX_CALENDAR_YEAR}`);

export const calendarDaySchema = z.strictObject({
  date: isoDate,
  name: z.string().trim().max(60, 'name is at most 60 characters').default('').describe('e.g. 春节, 春节调休上班'),
});
export type CalendarFileDay = z.infer<typeof calendarDaySchema>;

const WEEKDAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const isRealDate = (d: unknown): d is string => isoDate.safeParse(d).success;

/**
 * The checks across entries. Runs even when some entries are malformed (`when`), on whatever is readable,
 * so one response lists every problem.
 */
function checkDays(value: unknown, ctx: z.RefinementCtx): void {
  if (!value || typeof value !== 'object') return;
  const file = value as { year?: unknown; holidays?: unknown; workdays?: unknown };
  const year = calendarYearSchema.safeParse(file.year).success ? (file.year as number) : null;
  const seen = new Map<string, string>(); // date → where it was first listed, e.g. holidays[0]
  for (const list of ['holidays', 'workdays'] as const) {
    const entries = file[list];
    if (!Array.isArray(entries)) continue;
    entries.forEach((entry: unknown, i) => {
      const date = entry && typeof entry === 'object' ? (entry as { date?: unknown }).date : undefined;
      if (!isRealDate(date)) return; // reported by the entry's own schema
      const path = [list, i, 'date'];
      if (year !== null && Number(date.slice(0, 4)) !== year) {
        ctx.addIssue({ code: 'custom', path, message: `${date} is not in ${year}` });
      }
      const first = seen.get(date);
      if (first === undefined) {
        seen.set(date, `${list}[${i}]`);
      } else if (first.startsWith(list)) {
        ctx.addIssue({ code: 'custom', path, message: `${date} is listed twice (also ${first})` });
      } else {
        ctx.addIssue({ code: 'custom', path, message: `${date} is both a holiday and a make-up working day (also ${first})` });
      }
      if (list === 'workdays') {
        const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
        if (weekday !== 0 && weekday !== 6) {
          ctx.addIssue({
            code: 'custom',
            path,
            message: `${date} is a ${WEEKDAY_NAMES[weekday]}: a make-up working day (调休上班) falls on a Saturday or Sunday`,
          });
        }
      }
    });
  }
}

export const calendarFileSchema = z
  .strictObject({
    year: calendarYearSchema,
    scope: z
      .literal('global', { error: 'the working-day calendar is national: its scope is global' })
      .optional()
      .describe('the scope the calendar applies to: always global (as GET shows it)'),
    holidays: z.array(calendarDaySchema).max(366, 'at most 366 days').describe('public holidays (days off), weekends included or not'),
    workdays: z.array(calendarDaySchema).max(366, 'at most 366 days').describe('make-up working days (调休上班), each a Saturday or Sunday'),
  })
  .superRefine(checkDays, { when: () => true })
  .meta({ id: 'CalendarFile' });
export type CalendarFile = z.infer<typeof calendarFileSchema>;

export interface CalendarFileIssue {
  path: string;
  message: string;
}

/** ['holidays', 3, 'date'] under `root` → `body.holidays[3].date`. */
function pathOf(root: string, segments: readonly PropertyKey[]): string {
  let path = root;
  for (const s of segments) path += typeof s === 'number' ? `[${s}]` : path ? `.${String(s)}` : String(s);
  return path || '(root)';
}

/**
 * Parse and check a calendar file. `root` prefixes every path (`body` for a request body). Returns the file,
 * or every problem found.
 */
export function parseCalendarFile(
  value: unknown,
  root = 'body',
): { ok: true; file: CalendarFile } | { ok: false; issues: CalendarFileIssue[] } {
  const parsed = calendarFileSchema.safeParse(value);
  if (parsed.success) return { ok: true, file: parsed.data };
  return { ok: false, issues: parsed.error.issues.map((i) => ({ path: pathOf(root, i.path), message: i.message })) };
}

/** The file's dates in the shape WorkingCalendar takes. */
export function calendarDataOf(file: Pick<CalendarFile, 'holidays' | 'workdays'>): CalendarData {
  return { holidays: file.holidays.map((d) => d.date), workdays: file.workdays.map((d) => d.date) };
}
