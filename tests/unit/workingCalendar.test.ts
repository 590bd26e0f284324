// WorkingCalendar.replaceYear: an admin's change reaches every holder of the instance at once, one year at a
// time; and the deadline policy override is checked and applied in place.
import { describe, expect, it } from 'vitest';
import { WorkingCalendar } from '../../src/time/calendar.js';
import {
  applyCalendarRows,
  checkDeadlineOverride,
  configurableDeadlineSteps,
  jurisdictionCoversScope,
  noLooserThan,
  ScopedDeadlinePolicy,
  scopeChain,
  scopeOfJurisdiction,
} from '../../src/time/timeSettings.js';

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

  it('is resolved by scope: the most specific wins, and below global it may only shorten a limit', () => {
    const wd = (amount: number) => ({ amount, unit: 'working_days' as const });
    const p = new ScopedDeadlinePolicy();
    p.apply({ scope: 'global', override: { placement: wd(20) }, version: 1, updatedBy: 'p', updatedAt: null });
    p.apply({ scope: '4112', override: { placement: wd(12), 'review.county': wd(20) }, version: 1, updatedBy: 'c', updatedAt: null });
    p.apply({ scope: '411282', override: { placement: { amount: 10, unit: 'calendar_days' } }, version: 1, updatedBy: 'l', updatedAt: null });
    expect(p.for('411282108201').placement).toEqual({ amount: 10, unit: 'calendar_days' });
    expect(p.for('411221100201').placement).toEqual(wd(12));
    expect(p.for('421000000000').placement).toEqual(wd(20)); // another province: global only
    // The city's longer county review is not in effect: looser than the default.
    expect(p.for('411282108201')['review.county']).toEqual(wd(15));
    expect(p.resolve('4112').ignored).toEqual({ '4112': ['review.county'] });
    // An older version never replaces a newer one.
    expect(p.apply({ scope: '411282', override: {}, version: 1, updatedBy: 'x', updatedAt: null })).toBe(false);
    expect(p.apply({ scope: '411282', override: {}, version: 2, updatedBy: 'x', updatedAt: null })).toBe(true);
    expect(p.for('411282108201').placement).toEqual(wd(12));
  });

  it('compares limits: the same unit and no more, or n calendar days against n working days', () => {
    expect(noLooserThan({ amount: 3, unit: 'working_days' }, { amount: 5, unit: 'working_days' })).toBe(true);
    expect(noLooserThan({ amount: 6, unit: 'working_days' }, { amount: 5, unit: 'working_days' })).toBe(false);
    expect(noLooserThan({ amount: 5, unit: 'calendar_days' }, { amount: 5, unit: 'working_days' })).toBe(true);
    expect(noLooserThan({ amount: 2, unit: 'working_days' }, { amount: 5, unit: 'calendar_days' })).toBe(false);
    expect(noLooserThan({ amount: 1, unit: 'months' }, { amount: 3, unit: 'months' })).toBe(true);
  });

  it('scopes and jurisdictions: who changes what', () => {
    expect(scopeChain('411282108201')).toEqual(['global', '41', '4112', '411282']);
    expect(scopeOfJurisdiction('411282108')).toBe('411282');
    expect(jurisdictionCoversScope('411221', '411282')).toBe(false);
    expect(jurisdictionCoversScope('411221', '4112')).toBe(false);
    expect(jurisdictionCoversScope('411221', '411221')).toBe(true);
    expect(jurisdictionCoversScope('4112', '411282')).toBe(true);
    expect(jurisdictionCoversScope('4112', 'global')).toBe(false);
    expect(jurisdictionCoversScope('41', 'global')).toBe(true);
    expect(jurisdictionCoversScope('411282108', '411282')).toBe(false);
  });
});
