/**
 * Which durable timers a case needs in its current step — a pure function of the snapshot and its deadlines.
 * The command path plans the old and the new snapshot and writes the difference (plan/shared.ts timerDiff) in
 * the command's transaction: timers no longer wanted are cancelled, new ones inserted, and a timer that
 * already fired or failed is never planned again (its key is taken in timers_case_key_idx).
 */
import { stateName, topState, type CaseSnapshot } from '../../machines/index.js';
import type { TimerKind } from '../db/index.js';
import { addMonths, startOfChinaDay } from '../time/calendar.js';
import type { CaseDeadlines } from './deadlines.js';

export interface PlannedTimer {
  kind: TimerKind;
  key: string;
  dueAt: Date;
  payload: Record<string, unknown>;
}

export interface ReminderPolicy {
  /** Overdue steps escalate to the supervisors above after this many days. */
  escalationDays: number;
  /** Visitors are reminded this many days before a revisit is due. */
  revisitReminderDays: number;
  /** Officers are reminded this many days before a dispersed-care agreement expires. */
  agreementRenewalDays: number;
}

export const defaultReminderPolicy: ReminderPolicy = { escalationDays: 7, revisitReminderDays: 3, agreementRenewalDays: 30 };

/** The day after a dispersed-care agreement's term ends (start date + term in months). */
export function agreementEnd(agreement: { startDate: string; termMonths: number }): string {
  return addMonths(agreement.startDate, agreement.termMonths);
}

const DAY = 86_400_000;
/** Steps whose end is an event of the scheduler itself, not somebody's work: no overdue notice for them. */
const systemSteps = new Set(['noticePeriod', 'exitNotice']);

export function planTimers(s: CaseSnapshot, d: CaseDeadlines, policy: ReminderPolicy = defaultReminderPolicy): PlannedTimer[] {
  if (s.status === 'done') return [];
  const out: PlannedTimer[] = [];
  const c = s.context;
  const state = stateName(s);
  if (topState(s) === 'publicity' && c.publicity) {
    out.push({ kind: 'notice_end', key: `notice_end:publicity:${c.publicity.endsAt}`, dueAt: new Date(c.publicity.endsAt), payload: { notice: 'publicity', round: c.publicity.round } });
  }
  if (state === 'exitNotice' && c.exit?.endsAt) {
    out.push({ kind: 'notice_end', key: `notice_end:exit:${c.exit.endsAt}`, dueAt: new Date(c.exit.endsAt), payload: { notice: 'exit' } });
  }
  if (d.deadlineKey && d.deadlineAt && !systemSteps.has(d.deadlineKey)) {
    const at = d.deadlineAt.toISOString();
    const payload = { step: d.deadlineKey, deadlineAt: at };
    out.push({ kind: 'overdue', key: `overdue:${d.deadlineKey}:${at}`, dueAt: d.deadlineAt, payload });
    out.push({ kind: 'escalation', key: `escalation:${d.deadlineKey}:${at}`, dueAt: new Date(d.deadlineAt.getTime() + policy.escalationDays * DAY), payload });
    if (d.deadlineKey === 'revisit') {
      out.push({ kind: 'revisit_reminder', key: `revisit_reminder:${at}`, dueAt: new Date(d.deadlineAt.getTime() - policy.revisitReminderDays * DAY), payload });
    }
  }
  const agreement = c.placement?.mode === 'dispersed_care' ? c.placement.agreement : undefined;
  if (topState(s) === 'active' && agreement) {
    const end = agreementEnd(agreement);
    const dueAt = new Date(startOfChinaDay(end).getTime() - policy.agreementRenewalDays * DAY);
    out.push({ kind: 'agreement_renewal', key: `agreement_renewal:${end}`, dueAt, payload: { agreementEnd: end, guardian: c.placement?.guardian?.name ?? null } });
  }
  return out;
}

