/**
 * Deadlines of a case after a transition: the current step's due instant and the whole-application one.
 * The machine names the step (meta.deadline); the calendar and the policy turn it into an instant here.
 */
import { deadlineKey, topState, type CaseSnapshot } from '../../machines/index.js';
import { addCalendarDays, addMonths, startOfChinaDay, type WorkingCalendar } from '../time/calendar.js';
import type { DeadlinePolicy, DeadlineRule } from '../time/deadlinePolicy.js';

export interface CaseDeadlines {
  deadlineKey: string | null;
  deadlineAt: Date | null;
  applicationDeadlineAt: Date | null;
}

export interface DeadlineDeps {
  calendar: WorkingCalendar;
  policy: DeadlinePolicy;
}

function apply(rule: DeadlineRule, from: Date, deps: DeadlineDeps): Date {
  if (rule.unit === 'working_days') return deps.calendar.addWorkingDays(from, rule.amount);
  if (rule.unit === 'calendar_days') return new Date(from.getTime() + rule.amount * 86_400_000);
  throw new Error('months are counted from dates, not instants');
}

/**
 * Deadlines after an accepted event at `at`. `previous` is what the case had before: a step whose key did
 * not change keeps its deadline (an assessment recorded during evaluation does not restart the 15 days),
 * except revisits, which count from the latest one.
 */
export function computeDeadlines(s: CaseSnapshot, at: Date, previous: CaseDeadlines | null, deps: DeadlineDeps): CaseDeadlines {
  const key = deadlineKey(s);
  const c = s.context;
  let deadlineAt: Date | null = null;
  if (key === 'noticePeriod' && c.publicity) {
    deadlineAt = new Date(c.publicity.endsAt);
  } else if (key === 'exitNotice' && c.exit?.endsAt) {
    deadlineAt = new Date(c.exit.endsAt);
  } else if (key === 'revisit' && c.placement) {
    const rule = deps.policy[`revisit.${c.placement.mode}`];
    const from = c.revisits.lastDate ?? c.placement.startDate;
    // Due by the end of the same day of month, one interval later.
    if (rule) deadlineAt = startOfChinaDay(addCalendarDays(addMonths(from, rule.amount), 1));
  } else if (key && previous?.deadlineKey === key && previous.deadlineAt) {
    deadlineAt = previous.deadlineAt;
  } else if (key && deps.policy[key]) {
    deadlineAt = apply(deps.policy[key], at, deps);
  }
  const appRule = deps.policy.application;
  // The whole-application clock runs only while the application is on its way to approval.
  const applying = ['preliminary', 'evaluation', 'review', 'publicity'].includes(topState(s));
  const applicationDeadlineAt =
    applying && c.applicationSubmittedAt && !c.approvedAt && appRule
      ? apply(appRule, new Date(c.applicationSubmittedAt), deps)
      : null;
  return { deadlineKey: key, deadlineAt, applicationDeadlineAt };
}
