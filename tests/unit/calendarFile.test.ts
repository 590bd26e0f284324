// The calendar file (docs/calendar-2025.json): its checks report every problem with its path, and the 2025
// sample passes them and counts working days as the State Council's notice says.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WorkingCalendar } from '../../src/time/calendar.js';
import { calendarDataOf, parseCalendarFile } from '../../src/time/calendarFile.js';

const sample2025 = JSON.parse(readFileSync(new URL('../../docs/calendar-2025.json', import.meta.url), 'utf8'));

describe('parseCalendarFile', () => {
  it('accepts the 2025 sample', () => {
    const r = parseCalendarFile(sample2025);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    if (!r.ok) return;
    expect(r.file.holidays).toHaveLength(28);
    expect(r.file.workdays.map((d) => d.date)).toEqual(['2025-01-26', '2025-02-08', '2025-04-27', '2025-09-28', '2025-10-11']);
  });

  it('defaults a missing name to empty', () => {
    const r = parseCalendarFile({ year: 2026, holidays: [{ date: '2026-01-01' }], workdays: [] });
    expect(r).toEqual({ ok: true, file: { year: 2026, holidays: [{ date: '2026-01-01', name: '' }], workdays: [] } });
  });

  it('reports every problem at once, each with its path', () => {
    const r = parseCalendarFile({
      year: 2026,
      holidays: [
        { date: '2026-01-01', name: '元旦' },
        { date: '2026-02-30', name: '不存在' }, // not a real date
        { date: '2025-12-31', name: '去年' }, // outside the year
        { date: '2026-01-01', name: '重复' }, // listed twice
        { date: '2026-02-16', name: '春节' },
        { date: 20260217 }, // not a string
      ],
      workdays: [
        { date: '2026-02-16', name: '冲突' }, // also a holiday (and a Monday)
        { date: '2026-02-14', name: '调休' }, // a Saturday: fine
        { date: '2026-02-18', name: '周三' }, // a Wednesday
        { date: '2026-02-28', nme: 'typo' }, // unknown key
      ],
      extra: true,
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const byPath = (p: string) => r.issues.filter((i) => i.path === p).map((i) => i.message);
    expect(byPath('body.holidays[1].date')).toEqual(['expected a real calendar date']);
    expect(byPath('body.holidays[2].date')).toEqual(['2025-12-31 is not in 2026']);
    expect(byPath('body.holidays[3].date')).toEqual(['2026-01-01 is listed twice (also holidays[0])']);
    expect(byPath('body.holidays[5].date')).toHaveLength(1);
    expect(byPath('body.workdays[0].date')).toEqual([
      '2026-02-16 is both a holiday and a make-up working day (also holidays[4])',
      '2026-02-16 is a Monday: a make-up working day (调休上班) falls on a Saturday or Sunday',
    ]);
    expect(byPath('body.workdays[1].date')).toEqual([]);
    expect(byPath('body.workdays[2].date')).toEqual(['2026-02-18 is a Wednesday: a make-up working day (调休上班) falls on a Saturday or Sunday']);
    expect(r.issues.some((i) => i.path.startsWith('body.workdays[3]'))).toBe(true);
    expect(r.issues.some((i) => i.path === 'body' && /extra/.test(i.message))).toBe(true);
  });

  it('refuses a missing or impossible year and missing lists', () => {
    const r = parseCalendarFile({ year: 1850 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.path).sort()).toEqual(['body.holidays', 'body.workdays', 'body.year']);
    const s = parseCalendarFile('2025', 'file');
    expect(s.ok).toBe(false);
    if (!s.ok) expect(s.issues[0].path).toBe('file');
  });
});

describe('the 2025 sample in a WorkingCalendar', () => {
  const cal = new WorkingCalendar();
  const r = parseCalendarFile(sample2025);
  if (r.ok) cal.replaceYear(2025, calendarDataOf(r.file));

  it('knows the holidays and the make-up working days', () => {
    expect(cal.isWorkingDay('2025-01-01')).toBe(false); // 元旦, a Wednesday
    expect(cal.isWorkingDay('2025-01-26')).toBe(true); // Sunday, 春节调休上班
    expect(cal.isWorkingDay('2025-02-03')).toBe(false); // Monday in 春节
    expect(cal.isWorkingDay('2025-02-08')).toBe(true); // Saturday, 调休
    expect(cal.isWorkingDay('2025-10-11')).toBe(true);
    expect(cal.isWorkingDay('2025-10-12')).toBe(false); // an ordinary Sunday
  });

  it('counts across the Spring Festival from Friday 24 January', () => {
    // Working days after Fri 24 Jan: Sun 26 (调休), Mon 27, then 28 Jan – 4 Feb off, Wed 5, Thu 6, Fri 7,
    // Sat 8 (调休), Mon 10.
    expect(cal.nthWorkingDayAfter('2025-01-24', 5)).toBe('2025-02-07');
    expect(cal.nthWorkingDayAfter('2025-01-24', 6)).toBe('2025-02-08'); // the make-up Saturday
    expect(cal.nthWorkingDayAfter('2025-01-24', 7)).toBe('2025-02-10');
  });
});
