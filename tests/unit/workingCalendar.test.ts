// WorkingCalendar.replaceYear: an admin's change reaches every holder of the instance at once, one year at a
// time; and the deadline policy override is checked and applied in place.
import { describe, expect, it } from 'vitest';
import { WorkingCalendar } from '../../src/time/calendar.js';
import { defaultDeadlinePolicy } from '../../src/time/deadlinePolicy.js';
import { applyCalendarRows, applyDeadlineOverride, checkDeadlineOverride, configurableDeadlineSteps } from '../../src/time/timeSettings.js';

describe('WorkingCalendar.replaceYear', () => {
  it('replaces one year in place and leaves the others', () => {
    const cal = new WorkingCalendar({ holidays: ['2025-01-01', '2026-01-01'], workdays: ['2026-01-04'] });
    const holder = { calendar: cal }; // e.g. the engine's deps
    expect(cal.isWorkingDay('2026-01-04')).toBe(true); // a Sunday made a working day
    cal.replaceYear(2026, { holidays: ['2026-03-04'], workdays: [] });
    expect(holder.calendar.isWorkingDay('2026-01-01')).toBe(true); // a Thursday, no longer a holiday
    expect(holder.calendar.isWorkingDay('2026-01-04')).toBe(false); // a Sunday again
    expect(holder.calendar.isWorkingDay('2026-03-04')).toBe(false);
    expect(holder.calendar.isWorkingDay('2025-01-01')).toBe(false); // 2025 untouched
    expect(cal.years()).toEqual([2025, 2026]);
    expect(cal.yearData(2026)).toEqual({ holidays: ['2026-03-04'], workdays: [] });
  });

  it('moves a deadline at once: 5 working days across a loaded holiday week', () => {
    const cal = new WorkingCalendar();
    const monday = new Date('2026-03-02T01:00:00Z'); // 09:00 in China
    expect(cal.addWorkingDays(monday, 5).toISOString()).toBe('2026-03-09T16:00:00.000Z'); // end of Mon 9 Mar
    cal.replaceYear(2026, { holidays: ['2026-03-09', '2026-03-10', '2026-03-11', '2026-03-12', '2026-03-13'], workdays: [] });
    expect(cal.addWorkingDays(monday, 5).toISOString()).toBe('2026-03-16T16:00:00.000Z'); // end of Mon 16 Mar
    cal.replaceYear(2026, { holidays: [], workdays: ['2026-03-07'] });
    expect(cal.addWorkingDays(monday, 5).toISOString()).toBe('2026-03-07T16:00:00.000Z'); // the make-up Saturday
  });

  it('refuses dates outside the year', () => {
    const cal = new WorkingCalendar({ holidays: ['2026-05-01'], workdays: [] });
    expect(() => cal.replaceYear(2026, { holidays: ['2027-01-01'], workdays: [] })).toThrow(RangeError);
    expect(cal.isWorkingDay('2026-05-01')).toBe(false); // nothing changed
  });

  it('applyCalendarRows replaces the whole calendar: years without rows are emptied', () => {
    const cal = new WorkingCalendar({ holidays: ['2024-10-01'], workdays: [] });
    const years = applyCalendarRows(cal, [
      { date: '2025-01-01', kind: 'holiday' },
      { date: '2025-01-26', kind: 'workday' },
    ]);
    expect(years).toEqual([2025]);
    expect(cal.isWorkingDay('2024-10-01')).toBe(true);
    expect(cal.isWorkingDay('2025-01-26')).toBe(true);
  });
});

describe('deadline policy override', () => {
  it('accepts known steps with valid rules', () => {
    const r = checkDeadlineOverride({ 'review.township': { amount: 3, unit: 'working_days' }, 'revisit.dispersed_care': { amount: 2, unit: 'months' } });
    expect(r.issues).toEqual([]);
    expect(Object.keys(r.override)).toEqual(['review.township', 'revisit.dispersed_care']);
  });

  it('refuses unknown steps with the list of known ones, and bad rules, each with its path', () => {
    const r = checkDeadlineOverride({
      'review.province': { amount: 3, unit: 'working_days' },
      placement: { amount: 0, unit: 'working_days' },
      surveySubmitted: { amount: 10, unit: 'months' },
      'revisit.dispersed_care': { amount: 30, unit: 'calendar_days' },
      noticePeriod: { amount: 10, unit: 'calendar_days' },
      evaluationStarted: { amount: 400, unit: 'calendar_days' },
    });
    const paths = r.issues.map((i) => i.path);
    expect(paths).toEqual([
      'body["review.province"]',
      'body.placement.amount',
      'body.surveySubmitted.unit',
      'body["revisit.dispersed_care"].unit',
      'body.noticePeriod',
      'body.evaluationStarted.amount',
    ]);
    expect(r.issues[0].message).toBe(`unknown step; known steps: ${configurableDeadlineSteps.join(', ')}`);
    expect(r.issues[0].message).toContain('review.township');
    expect(r.override).toEqual({});
    expect(checkDeadlineOverride([]).issues).toEqual([{ path: 'body', message: 'expected an object of { step: { amount, unit } }' }]);
  });

  it('applies in place over the defaults, never to the module default itself', () => {
    const policy = { ...defaultDeadlinePolicy };
    const holder = { policy };
    applyDeadlineOverride(policy, { placement: { amount: 20, unit: 'calendar_days' } });
    expect(holder.policy.placement).toEqual({ amount: 20, unit: 'calendar_days' });
    applyDeadlineOverride(policy, {});
    expect(holder.policy.placement).toEqual(defaultDeadlinePolicy.placement);
    expect(() => applyDeadlineOverride(defaultDeadlinePolicy, {})).toThrow();
  });
});
