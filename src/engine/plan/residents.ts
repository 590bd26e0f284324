/**
 * One open case per resident (README "Residents: one open case, masks"). The database guarantees it — the
 * primary key of resident_enrolments, written in the command's own transaction — and the plan refuses a
 * duplicate it can already see, with an answer that names the other case only when the caller may see it.
 * Pure.
 */
import type { ResidentClash } from '../../db/commandSql.js';
import type { CaseWrite } from '../../db/commandWrites.js';
import { maskResidentId } from '../../domain/residentId.js';
import { errors, type AppError } from '../../errors.js';
import { inJurisdiction } from '../access.js';
import type { CommandMeta } from '../types.js';

/**
 * Whether a case in this state holds its residents. A case stops holding them when it leaves the programme's
 * path — screened out, rejected, exited — so the person may be surveyed anew (moved, re-applying); REOPEN
 * (screenedOut → survey, rejected → evaluation) takes them back, and is refused if another case has them now.
 */
export function holdsResidents(state: string): boolean {
  return !(state === 'exited' || state === 'screenedOut' || state === 'rejected' || state.startsWith('rejected.'));
}

/** What the write does to the case's hold on its residents, going from one state to another. */
export function enrolmentChange(before: string | null, after: string): CaseWrite['enrolment'] {
  const was = before !== null && holdsResidents(before);
  const is = holdsResidents(after);
  return was === is ? null : is ? 'enrol' : 'release';
}

/** A notification for the supervisors over a case a refused duplicate hit (commandSql insertDuplicateAlertsStmt). */
export interface DuplicateAlert {
  caseId: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  createdAt: Date;
}

/**
 * A refusal to answer only after something is recorded: the command's transaction commits the alerts (and
 * nothing else) and then the caller gets `refusal`. Thrown by a plan, caught by src/engine/commands.ts.
 */
export class RecordedRefusal extends Error {
  constructor(
    readonly refusal: AppError,
    readonly alerts: DuplicateAlert[],
  ) {
    super(refusal.message);
    this.name = 'RecordedRefusal';
  }
}

export interface DuplicateAttempt {
  meta: CommandMeta;
  /** The village the caller surveyed in (or of the case they acted on). */
  villageCode: string;
  /** The caller's own case, when the attempt was an event on one (UPDATE_SURVEY, REOPEN). */
  ownCaseId: string | null;
  action: 'SURVEY' | 'UPDATE_SURVEY' | 'REOPEN';
  at: Date;
}

/**
 * Refuses a duplicate: DUPLICATE_RESIDENT naming the other case when the caller's jurisdiction covers it;
 * otherwise naming none (a 灵宝市 enumerator must not learn that a 渑池县 case holds this person, nor which),
 * and the attempt is recorded for the supervisors over each such case. Never returns.
 */
export function refuseDuplicate(clashes: readonly ResidentClash[], attempt: DuplicateAttempt): never {
  const { principal } = attempt.meta;
  const visible = clashes.find((c) => inJurisdiction(principal, c.villageCode));
  const hidden = clashes.filter((c) => !inJurisdiction(principal, c.villageCode));
  const refusal = visible ? errors.duplicateResident(visible.caseId) : errors.duplicateResidentElsewhere();
  if (hidden.length === 0) throw refusal;
  const byCase = new Map<string, ResidentClash[]>();
  for (const c of hidden) byCase.set(c.caseId, [...(byCase.get(c.caseId) ?? []), c]);
  const what = { SURVEY: '入户普查', UPDATE_SURVEY: '修改普查', REOPEN: '重新启动' }[attempt.action];
  const alerts = [...byCase.entries()].map(([caseId, cs]): DuplicateAlert => {
    const masked = cs.map((c) => maskResidentId(c.idNumber));
    return {
      caseId,
      title: '重复登记已拦截：在册人员被其他辖区再次登记',
      body: `${principal.username}（${principal.roles.join('/')}，辖区 ${principal.region}）在 ${attempt.villageCode} ${what}时登记了案件 ${caseId} 在册的人员（身份证号 ${masked.join('、')}），已拒绝，未向其透露本案件。请核实。`,
      data: {
        caseId,
        idNumbers: masked,
        attempt: {
          action: attempt.action,
          villageCode: attempt.villageCode,
          caseId: attempt.ownCaseId,
          actorId: principal.id,
          username: principal.username,
          roles: principal.roles,
          jurisdiction: principal.region,
          requestId: attempt.meta.requestId ?? null,
          at: attempt.at.toISOString(),
        },
      },
      createdAt: attempt.at,
    };
  });
  throw new RecordedRefusal(refusal, alerts);
}
