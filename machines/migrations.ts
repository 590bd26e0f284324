/**
 * Snapshot migrations: a case stored by an older machine version must load and continue. Each entry turns a
 * persisted snapshot of version N into version N+1; `migrateSnapshot` chains them. Migrations are pure and
 * never dropped: a case may sleep in `active` for years between two revisits.
 *
 * Version 2 (issue 14) added the onboarding record (`onboarding`, null for every earlier case) and the ONBOARD
 * genesis event; states are unchanged.
 *
 * Version 0 was the draft shape (before the first release): review had one sub-state per level
 * (`{ review: 'township' }`), publicity and rejected were flat, approvals/round/objections lived at the top
 * of the context, one `evaluatorId`, the review chain as `reviewChain`, and no refusal notice record.
 */
import { addDays, type Approval, type CaseContext, type Objection } from './context.js';
import { CASE_MACHINE_VERSION } from './caseMachine.js';
import type { PersistedCase } from './decide.js';
import { defaultCasePolicy, type ReviewLevel } from './types.js';

export interface PersistedCaseV0 {
  value: string | { review: ReviewLevel };
  status: 'active' | 'done';
  context: Omit<CaseContext, 'policy' | 'evaluatorIds' | 'review' | 'publicity' | 'rejection' | 'lastDecision' | 'reassessment' | 'exit'> & {
    reviewChain: ReviewLevel[];
    evaluatorId: string | null;
    round: number;
    approvals: Approval[];
    noticeOpenedAt: string | null;
    objections: Objection[];
    rejection: { by: string; at: string; level: ReviewLevel; reason: string } | null;
    exit: { reason: NonNullable<CaseContext['exit']>['reason']; text: string | null; date: string; by: string; at: string } | null;
  };
}

export class SnapshotMigrationError extends Error {}

function v0ToV1(old: PersistedCaseV0): PersistedCaseV1 {
  const { reviewChain, evaluatorId, round, approvals, noticeOpenedAt, objections, rejection, exit, ...rest } = old.context;
  const policy = { ...defaultCasePolicy, reviewChain };
  let levelIndex = 0;
  let value: PersistedCase['value'];
  if (typeof old.value === 'object') {
    levelIndex = reviewChain.indexOf(old.value.review);
    if (levelIndex < 0) throw new SnapshotMigrationError(`v0 snapshot at unknown review level ${old.value.review}`);
    value = 'review';
  } else if (old.value === 'publicity') {
    value = { publicity: objections.some((o) => o.status === 'open') ? 'objected' : 'open' };
  } else if (old.value === 'rejected') {
    value = { rejected: 'awaitingRefusalNotice' };
  } else if (old.value === 'active') {
    value = { active: 'monitoring' };
  } else {
    value = old.value;
  }
  const context: PersistedCaseV1['context'] = {
    ...rest,
    policy,
    evaluatorIds: evaluatorId ? [evaluatorId] : [],
    review: { round, levelIndex, approvals },
    lastDecision: null,
    rejection: rejection && { ...rejection, refusalNotice: null },
    publicity: noticeOpenedAt
      ? { round, openedAt: noticeOpenedAt, endsAt: addDays(noticeOpenedAt, policy.noticeDays), objections }
      : null,
    reassessment: null,
    exit: exit && { ...exit, endsAt: exit.reason === 'deceased' ? null : addDays(exit.at, policy.exitNoticeDays) },
  };
  return { value, context, status: old.status };
}

/** The v1 context: everything of today's but the onboarding record. */
export type PersistedCaseV1 = Omit<PersistedCase, 'context'> & { context: Omit<CaseContext, 'onboarding'> };

/** Version 2 added onboarding (the ONBOARD genesis event): every case stored before walked the path. */
function v1ToV2(old: PersistedCaseV1): PersistedCase {
  return { ...old, context: { ...old.context, onboarding: null } };
}

/** migrations[n] turns version n into version n + 1. */
const migrations: Array<(s: any) => any> = [v0ToV1, v1ToV2];

export function migrateSnapshot(persisted: unknown, fromVersion: number): PersistedCase {
  if (!Number.isInteger(fromVersion) || fromVersion < 0 || fromVersion > CASE_MACHINE_VERSION) {
    throw new SnapshotMigrationError(`cannot load a snapshot of version ${fromVersion} (this build knows 0..${CASE_MACHINE_VERSION})`);
  }
  let s = persisted;
  for (let v = fromVersion; v < CASE_MACHINE_VERSION; v++) s = migrations[v](s);
  return s as PersistedCase;
}
