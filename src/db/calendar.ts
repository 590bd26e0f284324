// The working-day calendar's data: public holidays and make-up working days, one row per date, loaded per
// year by an admin. Weekends are implied. The engine keeps a copy in memory (WorkingCalendar). Each loaded
// year has a row in calendar_years with its scope (national: 'global') and version.
import { and, asc, eq, sql } from 'drizzle-orm';
import { calendarDays, calendarYears, type CalendarDayRow, type CalendarYearRow } from './schemaTime.js';
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

export async function getCalendarYear(tx: Db | Tx, year: number): Promise<CalendarYearRow | null> {
  const [row] = await tx.select().from(calendarYears).where(eq(calendarYears.year, year)).limit(1);
  return row ?? null;
}

export type ReplaceCalendarResult = { ok: true; year: CalendarYearRow } | { ok: false; currentVersion: number };

/**
 * Replace one year's days, all or nothing (a transaction, or a savepoint inside the caller's), if the year is
 * still at `expectedVersion` (0: never loaded). The year's row is claimed first (insert of version 1, or an
 * update of exactly the expected version), so of two admins loading the same year from the same version one
 * wins and the other is told. Every day must fall in `year`; the table's check refuses anything else.
 */
export async function replaceCalendarYear(
  tx: Db | Tx,
  year: number,
  days: readonly CalendarDayInput[],
  expectedVersion: number,
  updatedBy: string,
  at: Date,
): Promise<ReplaceCalendarResult> {
  const stray = days.find((d) => !d.date.startsWith(`${year}-`));
  if (stray) throw new RangeError(`${stray.date} is not in ${year}`);
  return tx.transaction(async (t) => {
    const claimed =
      expectedVersion === 0
        ? await t.insert(calendarYears).values({ year, version: 1, updatedBy, updatedAt: at }).onConflictDoNothing().returning()
        : await t
            .update(calendarYears)
            .set({ version: sql`${calendarYears.version} + 1`, updatedBy, updatedAt: at })
            .where(and(eq(calendarYears.year, year), eq(calendarYears.version, expectedVersion)))
            .returning();
    if (!claimed[0]) {
      const current = await getCalendarYear(t, year);
      return { ok: false as const, currentVersion: current?.version ?? 0 };
    }
    await t.delete(calendarDays).where(eq(calendarDays.year, year));
    if (days.length > 0) await t.insert(calendarDays).values(days.map((d) => ({ ...d, year })));
    return { ok: true as const, year: claimed[0] };
  });
}
