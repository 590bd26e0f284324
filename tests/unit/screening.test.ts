import { describe, expect, it } from 'vitest';
import { ageOn, chinaDate, memberCategories, screenHousehold, selfCareLevel } from '../../machines/screening.js';
import { defaultCasePolicy, type MemberFacts } from '../../machines/types.js';

const rules = defaultCasePolicy.screening;
const member = (over: Partial<MemberFacts> = {}): MemberFacts => ({
  id: 'm', birthDate: '1980-01-01', labourCapacity: 'partial', disabilities: [], seriousIllness: null, severeMentalDisorder: false, selfCare: null, ...over,
});

describe('five-category rules (default)', () => {
  it('elderly: 60 or older on the day, and no labour capacity', () => {
    expect(memberCategories(member({ birthDate: '1959-03-02', labourCapacity: 'none' }), rules, '2019-03-02')).toEqual(['elderly']);
    expect(memberCategories(member({ birthDate: '1959-03-03', labourCapacity: 'none' }), rules, '2019-03-02')).toEqual([]);
    expect(memberCategories(member({ birthDate: '1940-01-01', labourCapacity: 'partial' }), rules, '2019-03-02')).toEqual([]);
  });
  it('severe disability: physical grade 1–2 or visual grade 1', () => {
    expect(memberCategories(member({ disabilities: [{ type: 'physical', grade: 2 }] }), rules, '2019-01-01')).toEqual(['severe_disability']);
    expect(memberCategories(member({ disabilities: [{ type: 'physical', grade: 3 }] }), rules, '2019-01-01')).toEqual([]);
    expect(memberCategories(member({ disabilities: [{ type: 'visual', grade: 1 }] }), rules, '2019-01-01')).toEqual(['severe_disability']);
    expect(memberCategories(member({ disabilities: [{ type: 'visual', grade: 2 }] }), rules, '2019-01-01')).toEqual([]);
    expect(memberCategories(member({ disabilities: [{ type: 'hearing', grade: 1 }] }), rules, '2019-01-01')).toEqual([]);
  });
  it('serious illness, intellectual grade 1–3, mental disorder or mental grade 1–3; several at once', () => {
    expect(memberCategories(member({ seriousIllness: '尿毒症' }), rules, '2019-01-01')).toEqual(['serious_illness']);
    expect(memberCategories(member({ disabilities: [{ type: 'intellectual', grade: 3 }] }), rules, '2019-01-01')).toEqual(['severe_intellectual']);
    expect(memberCategories(member({ disabilities: [{ type: 'intellectual', grade: 4 }] }), rules, '2019-01-01')).toEqual([]);
    expect(memberCategories(member({ severeMentalDisorder: true }), rules, '2019-01-01')).toEqual(['mental_illness']);
    expect(
      memberCategories(member({ birthDate: '1950-01-01', labourCapacity: 'none', disabilities: [{ type: 'mental', grade: 2 }, { type: 'physical', grade: 1 }] }), rules, '2019-01-01'),
    ).toEqual(['elderly', 'severe_disability', 'mental_illness']);
  });
  it('rules are configuration: a deployment may set the elderly age to 65', () => {
    expect(memberCategories(member({ birthDate: '1957-01-01', labourCapacity: 'none' }), { ...rules, elderlyMinAge: 65 }, '2019-01-01')).toEqual([]);
  });
});

describe('screening a household', () => {
  it('passes with one member in a category and nobody able to work; fails otherwise, saying why', () => {
    const old = member({ id: 'a', birthDate: '1947-01-01', labourCapacity: 'none' });
    expect(screenHousehold([old, member({ id: 'b' })], rules, '2019-03-01T00:00:00Z').passed).toBe(true);
    const r = screenHousehold([old, member({ id: 'b', labourCapacity: 'full' })], rules, '2019-03-01T00:00:00Z');
    expect(r.passed).toBe(false);
    expect(r.reasons).toEqual(['member(s) b have full labour capacity']);
  });
});

describe('dates and self-care', () => {
  it('uses the China date of an instant', () => {
    expect(chinaDate('2019-02-28T16:00:00Z')).toBe('2019-03-01');
    expect(chinaDate('2019-02-28T15:59:59Z')).toBe('2019-02-28');
    expect(ageOn('1959-02-29'.replace('29', '28'), '2019-02-28')).toBe(60);
  });
  it('grades self-care by unmet daily-living items', () => {
    const all = { eating: true, dressing: true, toileting: true, bathing: true, indoorMobility: true, transferring: true };
    expect(selfCareLevel(all)).toBe('self_care');
    expect(selfCareLevel({ ...all, eating: false, dressing: false, bathing: false })).toBe('partial_loss');
    expect(selfCareLevel({ ...all, eating: false, dressing: false, bathing: false, toileting: false })).toBe('full_loss');
  });
});
