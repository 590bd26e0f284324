// The working-day calendar's data: public holidays and make-up working days, one row per date, loaded per
// year by an admin. Weekends are implied. The engine keeps a copy in memory (WorkingCalendar).
import { asc, eq, sql } from 'drizzle-orm';
import { calendarDays, type CalendarDayRow } from './schemaTime.js';
import type { Db, Tx } from './types.js';

export interface CalendarDayInput {
  date: string;
  kind: 'holiday' | 'workday';
  name: string;
}

/** Calendar days of one year, or of every year, by date. */
export async function listCalendarDays(tx: Db | Tx, year?: number): Promise<CalendarDayRow[]> {
  const q = tx.select().from(calendarDays);
  return (year === undefined ? q : q.where(eq(calendarDays.year, year))).orderBy(asc(calendarDays.date));
}

// First key of pg_advisory_xact_lock(int, int): "calendar", so two admins replacing the same year queue up
// instead of colliding on the primary key.
const CALENDAR_LOCK = 0x63616c; // 'cal'

/**
 * Replace one year's days, all or nothing (a transaction, or a savepoint inside the caller's). Every day
 * must fall in `year`; the table's check refuses anything else.
 */
export async function replaceCalendarYear(tx: Db | Tx, year: number, days: readonly CalendarDayInput[]): Promise<void> {
  const stray = days.find((d) => !d.date.startsWith(`${year}-`));
  if (stray) throw new RangeError(`${stray.date} is not in ${year}`);
  await tx.transaction(async (t) => {
    await t.execute(sql`select pg_advisory_xact_lock(${CALENDAR_LOCK}, ${year})`);
    await t.delete(calendarDays).where(eq(calendarDays.year, year));
    if (days.length > 0) await t.insert(calendarDays).values(days.map((d) => ({ ...d, year })));
  });
}
