/**
 * Time settings an admin changes at run time, applied in place to the objects the engine holds:
 *   - the working-day calendar (one year at a time, see calendarFile.ts), and
 *   - the deadline policy: an override of some steps' limits, merged over `defaultDeadlinePolicy`.
 * The database is the source of truth (calendar_days, settings['deadlines']); the engine loads it at start-up
 * and after each change (src/engine/timeSettings.ts). Everything here is pure.
 */
import { z } from 'zod';
import type { WorkingCalendar } from './calendar.js';
import { defaultDeadlinePolicy, deadlineRuleSchema, type DeadlinePolicy, type DeadlineRule } from './deadlinePolicy.js';

/** The settings row that holds the deadline policy override. */
export const DEADLINES_SETTING = 'deadlines';

export type DeadlineStep = keyof typeof defaultDeadlinePolicy;
export const deadlineSteps = Object.keys(defaultDeadlinePolicy) as DeadlineStep[];

/**
 * Steps whose limit the case machine fixes (the public notice and the exit notice run for the case policy's
 * `noticeDays` / `exitNoticeDays`, recorded in the case when the notice opens): shown, but not configurable here.
 */
export const machineFixedSteps: readonly DeadlineStep[] = ['noticePeriod', 'exitNotice'];
export const configurableDeadlineSteps = deadlineSteps.filter((k) => !machineFixedSteps.includes(k));

/** Revisit intervals count in months from a date; every other step counts days from an instant. */
const isRevisit = (step: string) => step.startsWith('revisit.');
const MAX_DAYS = 365;
const MAX_MONTHS = 24;

export type DeadlineOverride = Partial<Record<DeadlineStep, DeadlineRule>>;

export interface SettingIssue {
  path: string;
  message: string;
}

/** `body` + review.township → body["review.township"]; + placement → body.placement. */
const keyPath = (root: string, key: string) => (/^[A-Za-z_$][\w$]*$/.test(key) ? `${root}.${key}` : `${root}[${JSON.stringify(key)}]`);

/**
 * Check a deadline policy override ({ step: { amount, unit }, … }): known, configurable steps only, each rule
 * valid for its step. Returns the valid part and every problem, each with its path under `root`.
 */
export function checkDeadlineOverride(value: unknown, root = 'body'): { override: DeadlineOverride; issues: SettingIssue[] } {
  const override: DeadlineOverride = {};
  const issues: SettingIssue[] = [];
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return { override, issues: [{ path: root, message: 'expected an object of { step: { amount, unit } }' }] };
  }
  for (const [key, raw] of Object.entries(value)) {
    const path = keyPath(root, key);
    if (!(deadlineSteps as string[]).includes(key)) {
      issues.push({ path, message: `unknown step; known steps: ${configurableDeadlineSteps.join(', ')}` });
      continue;
    }
    const step = key as DeadlineStep;
    if (machineFixedSteps.includes(step)) {
      issues.push({ path, message: `${step} is set by the case policy (noticeDays, exitNoticeDays), not by the deadline policy` });
      continue;
    }
    const parsed = z.strictObject(deadlineRuleSchema.shape).safeParse(raw);
    if (!parsed.success) {
      for (const i of parsed.error.issues) issues.push({ path: i.path.length ? `${path}.${i.path.join('.')}` : path, message: i.message });
      continue;
    }
    const rule = parsed.data;
    if (isRevisit(step) && rule.unit !== 'months') {
      issues.push({ path: `${path}.unit`, message: 'revisit intervals are counted in months' });
    } else if (!isRevisit(step) && rule.unit === 'months') {
      issues.push({ path: `${path}.unit`, message: 'expected working_days or calendar_days (months are for revisits only)' });
    } else if (rule.unit === 'months' ? rule.amount > MAX_MONTHS : rule.amount > MAX_DAYS) {
      issues.push({ path: `${path}.amount`, message: rule.unit === 'months' ? `at most ${MAX_MONTHS} months` : `at most ${MAX_DAYS} days` });
    } else {
      override[step] = rule;
    }
  }
  return { override, issues };
}

/** The defaults with the override on top. */
export function effectiveDeadlinePolicy(override: DeadlineOverride): DeadlinePolicy {
  return { ...defaultDeadlinePolicy, ...override };
}

/**
 * Make `target` (the engine's policy object) the defaults with `override` on top, in place. The module's
 * `defaultDeadlinePolicy` itself is never a target: the service gives the engine a copy.
 */
export function applyDeadlineOverride(target: DeadlinePolicy, override: DeadlineOverride): void {
  if (target === defaultDeadlinePolicy) throw new Error('give the engine a copy of defaultDeadlinePolicy before applying an override');
  const next = effectiveDeadlinePolicy(override);
  for (const key of Object.keys(target)) if (!(key in next)) delete target[key];
  Object.assign(target, next);
}

/** Calendar rows (from calendar_days) grouped per year, as WorkingCalendar.replaceYear takes them. */
export function calendarYearsOf(rows: readonly { date: string; kind: 'holiday' | 'workday' }[]) {
  const years = new Map<number, { holidays: string[]; workdays: string[] }>();
  for (const r of rows) {
    const y = Number(r.date.slice(0, 4));
    const data = years.get(y) ?? { holidays: [], workdays: [] };
    (r.kind === 'holiday' ? data.holidays : data.workdays).push(r.date);
    years.set(y, data);
  }
  return years;
}

/** Replace the whole in-memory calendar with these rows: years without rows are emptied. */
export function applyCalendarRows(calendar: WorkingCalendar, rows: readonly { date: string; kind: 'holiday' | 'workday' }[]): number[] {
  const years = calendarYearsOf(rows);
  for (const y of calendar.years()) if (!years.has(y)) calendar.replaceYear(y, { holidays: [], workdays: [] });
  for (const [y, data] of years) calendar.replaceYear(y, data);
  return [...years.keys()].sort((a, b) => a - b);
}
