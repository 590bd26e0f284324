/**
 * The five-category rules (五类) and household screening (筛查). Pure: the reference date comes from the
 * caller (the event's `at`), never from a clock.
 */
import type { Category, MemberFacts, ScreeningRules, SelfCare } from './types.js';
import { categories as categoryOrder } from './types.js';

/** China has one time zone (UTC+8, no daylight saving): the local date of an instant is plain arithmetic. */
export function chinaDate(at: string): string {
  return new Date(Date.parse(at) + 8 * 3600_000).toISOString().slice(0, 10);
}

/** Whole years between a birth date and a date (both YYYY-MM-DD). */
export function ageOn(birthDate: string, onDate: string): number {
  const [by, bm, bd] = birthDate.split('-').map(Number);
  const [y, m, d] = onDate.split('-').map(Number);
  let age = y - by;
  if (m < bm || (m === bm && d < bd)) age -= 1;
  return age;
}

export type SelfCareLevel = 'self_care' | 'partial_loss' | 'full_loss';

/** All six items met = self-care; up to 3 unmet = partial loss (部分失能); 4 or more = full loss (完全失能). */
export function selfCareLevel(items: SelfCare): SelfCareLevel {
  const unmet = Object.values(items).filter((ok) => !ok).length;
  if (unmet === 0) return 'self_care';
  return unmet <= 3 ? 'partial_loss' : 'full_loss';
}

/** The categories a member falls into under the configured default rules. */
export function memberCategories(m: MemberFacts, rules: ScreeningRules, onDate: string): Category[] {
  const grade = (type: string) =>
    Math.min(...m.disabilities.filter((d) => d.type === type).map((d) => d.grade), Number.POSITIVE_INFINITY);
  const found = new Set<Category>();
  if (ageOn(m.birthDate, onDate) >= rules.elderlyMinAge && m.labourCapacity === 'none') found.add('elderly');
  if (grade('physical') <= rules.physicalDisabilityMaxGrade || grade('visual') <= rules.visualDisabilityMaxGrade) {
    found.add('severe_disability');
  }
  if (m.seriousIllness) found.add('serious_illness');
  if (grade('intellectual') <= rules.intellectualDisabilityMaxGrade) found.add('severe_intellectual');
  if (m.severeMentalDisorder || grade('mental') <= rules.mentalDisabilityMaxGrade) found.add('mental_illness');
  return categoryOrder.filter((c) => found.has(c));
}

export interface ScreeningResult {
  at: string;
  passed: boolean;
  members: { memberId: string; categories: Category[] }[];
  /** Why a household failed, in words an officer can read back to the family. */
  reasons: string[];
}

/**
 * A household passes when at least one member is in a category and nobody has full labour capacity:
 * a household with a worker can support itself and belongs to other programmes.
 */
export function screenHousehold(members: MemberFacts[], rules: ScreeningRules, at: string): ScreeningResult {
  const onDate = chinaDate(at);
  const result = members.map((m) => ({ memberId: m.id, categories: memberCategories(m, rules, onDate) }));
  const reasons: string[] = [];
  const workers = members.filter((m) => m.labourCapacity === 'full');
  if (workers.length > 0) {
    reasons.push(`member(s) ${workers.map((m) => m.id).join(', ')} have full labour capacity`);
  }
  if (!result.some((r) => r.categories.length > 0)) {
    reasons.push('no member falls into any of the five categories');
  }
  return { at, passed: reasons.length === 0, members: result, reasons };
}
