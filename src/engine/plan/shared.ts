/**
 * Pieces every plan uses: the mirror columns of a snapshot, the timer diff between two snapshots, the next
 * audit record of the chain, and how a refusal of the machine becomes an error. Pure: no database, no clock
 * (the instant arrives as an argument), no randomness (ids arrive as arguments).
 */
import { createHash } from 'node:crypto';
import {
  CASE_MACHINE_ID,
  CASE_MACHINE_VERSION,
  currentLevel,
  decide,
  stateName,
  toPersisted,
  topState,
  type CasePolicy,
  type CaseSnapshot,
} from '../../../machines/index.js';
import { canonicalJson, chainNext } from '../../audit/hash.js';
import type { AuditWrite, CaseFields } from '../../db/commandWrites.js';
import { errors, type AppError } from '../../errors.js';
import { maskIdNumbers } from '../../logger.js';
import { auditSafe } from '../identity.js';
import type { WorkingCalendar } from '../../time/calendar.js';
import type { DeadlinePolicy } from '../../time/deadlinePolicy.js';
import { computeDeadlines, type CaseDeadlines } from '../deadlines.js';
import type { PlannedTimer } from '../timerPlan.js';
import type { CarePolicy } from '../types.js';

/** The configuration a plan reads (shared, mutable objects an admin may change between commands). */
export interface PlanContext {
  calendar: WorkingCalendar;
  /** The deadline policy in effect for a village code (the most specific scope covering it). */
  deadlinePolicy: { for(villageCode: string): DeadlinePolicy };
  casePolicy: CasePolicy;
  care: CarePolicy;
}

export type Mirror = CaseFields & CaseDeadlines;

/** The columns that mirror the snapshot, for lists, inboxes and deadline queries. */
export function mirror(s: CaseSnapshot, at: Date, previous: CaseDeadlines | null, ctx: PlanContext): Mirror {
  const placement = s.context.placement;
  const done = s.status === 'done';
  return {
    machineId: CASE_MACHINE_ID,
    machineVersion: CASE_MACHINE_VERSION,
    snapshot: toPersisted(s),
    state: stateName(s),
    reviewLevel: topState(s) === 'review' ? currentLevel(s.context) : null,
    closed: done,
    placementMode: done ? null : (placement?.mode ?? null),
    facilityId: done ? null : (placement?.facility?.id ?? null),
    guardianId: done ? null : (placement?.guardian?.id ?? null),
    ...computeDeadlines(s, at, previous, { calendar: ctx.calendar, policy: ctx.deadlinePolicy.for(s.context.household.villageCode) }),
  };
}

/**
 * The timers to cancel and to add, from the plan of the old snapshot (with the deadlines stored beside it)
 * and the plan of the new one — no read of the timers table. A key already taken by a timer that fired,
 * failed or is live is never inserted twice: the write's ON CONFLICT on (case, key) skips it, so a timer
 * that exhausted its retries never blocks the case.
 */
export function timerDiff(before: PlannedTimer[], after: PlannedTimer[]): { cancelKeys: string[]; insert: PlannedTimer[] } {
  const oldKeys = new Set(before.map((t) => t.key));
  const newKeys = new Set(after.map((t) => t.key));
  return {
    cancelKeys: before.filter((t) => !newKeys.has(t.key)).map((t) => t.key),
    insert: after.filter((t) => !oldKeys.has(t.key)),
  };
}

/**
 * Audit payloads are the request as sent, with every ID number masked and each member's birth date replaced by
 * their age on `at` (a masked number beside a birth date could be rebuilt: see src/engine/identity.ts).
 */
export const auditPayload = (value: unknown, at: Date) => auditSafe(JSON.parse(maskIdNumbers(JSON.stringify(value ?? {}))), at);

export const requestHash = (scope: string, body: unknown) => createHash('sha256').update(canonicalJson({ caseId: scope, body })).digest('hex');

/** The next record of a case's chain, from the head kept on the case row. */
export function nextAudit(caseId: string, head: { seq: number; hash: string | null }, r: Omit<AuditWrite, 'seq' | 'prevHash' | 'hash'>): AuditWrite {
  const { caseId: _id, ...record } = chainNext(head, { ...r, caseId });
  return record;
}

export function refusal(d: Exclude<ReturnType<typeof decide>, { ok: true }>, type: string): AppError {
  if (d.refusal === 'EVENT_NOT_ALLOWED') return errors.eventNotAllowed({ state: d.state, event: type, allowedEvents: d.allowedEvents });
  const [first] = d.violations;
  if (first.kind === 'authorization') return errors.forbidden({}, first.message, first.messageZh);
  if (first.kind === 'state') return errors.eventNotAllowed({ state: d.state, event: type, allowedEvents: [] });
  return errors.guardFailed(d.violations.map(({ rule, message, messageZh }) => ({ rule, message, messageZh })));
}
