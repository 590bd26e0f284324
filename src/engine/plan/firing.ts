/**
 * The plan of a timer's firing (pure):
 * - notice_end: NOTICE_PERIOD_ENDED as `system`, planned exactly like any other event (plan/event.ts). A
 *   refusal — an open objection — is an outcome, not an error: the objection's resolution moves the case on.
 * - overdue / escalation / revisit_reminder / agreement_renewal: an inbox notification for each responsible
 *   user and one webhook delivery per matching webhook, fed to the outbox. Who is responsible is known only
 *   after the claim (the case's step), so these take a second read: `recipientsOf` says which.
 */
import { loadCaseSnapshot, waitsOn, type ReviewLevel, type Role } from '../../../machines/index.js';
import type { Recipients } from '../../db/commandSql.js';
import type { CaseWrite } from '../../db/commandWrites.js';
import type { CaseRow, TimerRow } from '../../db/index.js';
import { isAppError } from '../../errors.js';
import type { CommandMeta } from '../types.js';
import { planEvent } from './event.js';
import type { PlanContext } from './shared.js';

/** The scheduler acts as `system`, with the whole country in its jurisdiction. */
export const systemMeta: CommandMeta = {
  principal: { id: 'system', username: 'system', roles: ['system'], level: null, region: '' },
  requestId: null,
};

/** zh-CN names of the steps, for notification titles. */
const stepLabels: Record<string, string> = {
  surveySubmitted: '入户普查',
  evaluationStarted: '启动评定',
  evaluationSubmitted: '逐户评定',
  'review.village': '村级审核',
  'review.township': '乡镇审核',
  'review.county': '县级审核',
  objectionResolved: '异议处理',
  refusalNotice: '送达不予认定通知',
  placement: '安置',
  revisit: '回访',
};

const kinds = {
  overdue: { title: (step: string) => `${step}已超期`, recipients: 'responsible' },
  escalation: { title: (step: string) => `${step}超期已逾7日，请督办`, recipients: 'supervisor' },
  revisit_reminder: { title: () => '回访即将到期', recipients: 'visitor' },
  agreement_renewal: { title: () => '分散托养协议即将到期，请续签', recipients: 'officer' },
} as const;

export type FiringPlan =
  | { kind: 'done'; outcome: string; write: CaseWrite | null }
  | { kind: 'needsRecipients'; query: { villageCode: string; role: Role | null; reviewLevel: ReviewLevel | null } };

/** The first decision on a claimed timer: a case event, a stale reminder, or "find the recipients". */
export function planFiring(timer: TimerRow, row: CaseRow, ctx: PlanContext, at: Date): FiringPlan {
  if (timer.kind === 'notice_end') {
    try {
      const p = planEvent(
        { row, household: null, members: [], idempotency: null },
        { meta: systemMeta, input: { type: 'NOTICE_PERIOD_ENDED' }, body: { type: 'NOTICE_PERIOD_ENDED' }, at, newIds: () => { throw new Error('no ids'); } },
        ctx,
      );
      if (p.kind !== 'write') return { kind: 'done', outcome: 'replayed', write: null };
      // The firing timer leaves the plan with its step, but it is being marked done, not cancelled.
      const write = { ...p.write, timers: { ...p.write.timers, cancelKeys: p.write.timers.cancelKeys.filter((k) => k !== timer.key) } };
      return { kind: 'done', outcome: 'sent NOTICE_PERIOD_ENDED', write };
    } catch (err) {
      if (isAppError(err)) {
        const rule = (err.details as { rule?: string } | undefined)?.rule;
        return { kind: 'done', outcome: `refused: ${err.code}${rule ? ` ${rule}` : ''}`, write: null };
      }
      throw err;
    }
  }
  const kind = timer.kind as keyof typeof kinds;
  if (row.closed) return { kind: 'done', outcome: 'stale: case closed', write: null };
  const step = String(timer.payload.step ?? '');
  // Planning cancels timers when a case leaves a step; this guards against a plan that was not reconciled.
  if (kind !== 'agreement_renewal' && (row.deadlineKey !== step || row.deadlineAt?.toISOString() !== timer.payload.deadlineAt)) {
    return { kind: 'done', outcome: 'stale: step changed', write: null };
  }
  let role: Role | null;
  let reviewLevel: ReviewLevel | null = null;
  if (kinds[kind].recipients === 'responsible') {
    const { snapshot } = loadCaseSnapshot({ machineId: row.machineId, machineVersion: row.machineVersion, snapshot: row.snapshot });
    role = waitsOn(snapshot);
    reviewLevel = role === 'reviewer' ? ((row.reviewLevel as ReviewLevel | null) ?? null) : null;
  } else {
    role = kinds[kind].recipients;
  }
  return { kind: 'needsRecipients', query: { villageCode: row.villageCode, role, reviewLevel } };
}

export interface NotifyPlan {
  outcome: string;
  notifications: { userId: string; caseId: string; timerId: number; kind: string; title: string; body: string; data: unknown; createdAt: Date }[];
  deliveries: { webhookId: string; payload: unknown; nextAttemptAt: Date }[];
}

/** The notifications and webhook deliveries of a reminder, once its recipients are known. */
export function planNotify(timer: TimerRow, row: CaseRow, r: Recipients, at: Date): NotifyPlan {
  const kind = timer.kind as keyof typeof kinds;
  const step = String(timer.payload.step ?? '');
  const title = kinds[kind].title(stepLabels[step] ?? step);
  const data = { caseId: row.id, step, deadlineAt: timer.payload.deadlineAt ?? timer.payload.agreementEnd, villageCode: row.villageCode, timerId: timer.id };
  return {
    outcome: `notified ${r.users.length} user(s), ${r.webhooks.length} webhook(s)`,
    notifications: r.users.map((u) => ({
      userId: u.id, caseId: row.id, timerId: timer.id, kind, title, body: `案件 ${row.id}：${title}（期限 ${data.deadlineAt}）`, data, createdAt: at,
    })),
    deliveries: r.webhooks.map((webhookId) => ({
      webhookId,
      payload: { id: `timer-${timer.id}`, kind, title, ...data, recipients: r.users.map((u) => ({ userId: u.id, username: u.username, displayName: u.displayName })), firedAt: at.toISOString() },
      nextAttemptAt: at,
    })),
  };
}
