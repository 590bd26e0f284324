/**
 * Working-day calendar (工作日): weekends are off, public holidays are off, and make-up working days
 * (调休, usually a Saturday or Sunday next to a holiday) are on. The calendar is data an admin loads per
 * year; with no data loaded it knows weekends only.
 *
 * All dates are China dates (UTC+8, no daylight saving). A deadline of N working days from an instant is
 * the end of the N-th working day after the day of that instant, i.e. 00:00 China time of the next day.
 */
const DAY = 86_400_000;
const CHINA_OFFSET = 8 * 3600_000;

export interface CalendarData {
  /** Public holidays (法定节假日), YYYY-MM-DD. */
  holidays: Iterable<string>;
  /** Make-up working days (调休上班), YYYY-MM-DD. */
  workdays: Iterable<string>;
}

export function chinaDateOf(at: Date): string {
  return new Date(at.getTime() + CHINA_OFFSET).toISOString().slice(0, 10);
}

/** 00:00 China time of a date, as an instant. */
export function startOfChinaDay(date: string): Date {
  return new Date(Date.parse(`${date}T00:00:00Z`) - CHINA_OFFSET);
}

export function addCalendarDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
}

/** Same day of month N months later, clamped to the month's end (Jan 31 + 1 month = Feb 28/29). */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number);
  const target = new Date(Date.UTC(y, m - 1 + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d, lastDay));
  return target.toISOString().slice(0, 10);
}

export class WorkingCalendar {
  private readonly holidays: Set<string>;
  private readonly workdays: Set<string>;

  constructor(data: CalendarData = { holidays: [], workdays: [] }) {
    this.holidays = new Set(data.holidays);
    this.workdays = new Set(data.workdays);
  }

  /**
   * Replace one year's holidays and make-up working days in place, so that every holder of this instance
   * (the engine) counts with the new data from the next call on. Dates outside `year` are refused.
   */
  replaceYear(year: number, data: CalendarData): void {
    if (!Number.isInteger(year) || year < 1000 || year > 9999) throw new RangeError(`not a year: ${year}`);
    const prefix = `${year}-`;
    const holidays = [...data.holidays];
    const workdays = [...data.workdays];
    const stray = [...holidays, ...workdays].find((d) => !d.startsWith(prefix) || !/^\d{4}-\d{2}-\d{2}$/.test(d));
    if (stray !== undefined) throw new RangeError(`${JSON.stringify(stray)} is not a date in ${year}`);
    for (const set of [this.holidays, this.workdays]) {
      for (const d of set) if (d.startsWith(prefix)) set.delete(d);
    }
    for (const d of holidays) this.holidays.add(d);
    for (const d of workdays) this.workdays.add(d);
  }

  /** The years with any holiday or make-up working day loaded, ascending. */
  years(): number[] {
    const ys = new Set<number>();
    for (const d of [...this.holidays, ...this.workdays]) ys.add(Number(d.slice(0, 4)));
    return [...ys].sort((a, b) => a - b);
  }

  /** One year's data as loaded (sorted dates). */
  yearData(year: number): { holidays: string[]; workdays: string[] } {
    const prefix = `${year}-`;
    const pick = (set: Set<string>) => [...set].filter((d) => d.startsWith(prefix)).sort();
    return { holidays: pick(this.holidays), workdays: pick(this.workdays) };
  }

  isWorkingDay(date: string): boolean {
    if (this.workdays.has(date)) return true;
    if (this.holidays.has(date)) return false;
    const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
    return weekday !== 0 && weekday !== 6;
  }

  /** The N-th working day after `date` (N ≥ 1); the day itself does not count. */
  nthWorkingDayAfter(date: string, n: number): string {
    let d = date;
    let left = n;
    // A year has at most ~30 days off beyond weekends; the bound only guards against corrupt data.
    for (let guard = 0; left > 0 && guard < n * 7 + 400; guard++) {
      d = addCalendarDays(d, 1);
      if (this.isWorkingDay(d)) left -= 1;
    }
    return d;
  }

  /** End of the N-th working day after the day of `from`. */
  addWorkingDays(from: Date, n: number): Date {
    return startOfChinaDay(addCalendarDays(this.nthWorkingDayAfter(chinaDateOf(from), n), 1));
  }

  /** Working days from the day of `from` to the day of `to` (positive when `to` is later). */
  workingDaysBetween(from: Date, to: Date): number {
    const a = chinaDateOf(from);
    const b = chinaDateOf(to);
    const sign = a <= b ? 1 : -1;
    let [lo, hi] = sign > 0 ? [a, b] : [b, a];
    let count = 0;
    while (lo < hi) {
      lo = addCalendarDays(lo, 1);
      if (this.isWorkingDay(lo)) count += 1;
    }
    return sign * count;
  }
}
