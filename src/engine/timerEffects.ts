/**
 * What a durable timer does when it fires, inside the worker's transaction (so the effect and the timer's
 * `done` commit together, exactly once):
 * - notice_end: NOTICE_PERIOD_ENDED through the engine as `system` (a refusal, e.g. an open objection, is an
 *   outcome, not an error: the objection's resolution moves the case on);
 * - overdue / escalation / revisit_reminder / agreement_renewal: an inbox notification for each responsible user and one webhook
 *   delivery per matching webhook, fed to the outbox.
 */
import { loadCaseSnapshot, waitsOn, type ReviewLevel, type Role } from '../../machines/index.js';
import { enqueueDeliveries, findCase, findUsersCovering, insertNotifications, webhooksCovering, type TimerRow, type Tx } from '../db/index.js';
import { isAppError } from '../errors.js';
import type { Commands } from './commands.js';
import type { CommandMeta, EngineDeps } from './types.js';

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

export function createTimerEffects(deps: EngineDeps, commands: Commands) {
  async function notify(tx: Tx, timer: TimerRow, kind: keyof typeof kinds): Promise<string> {
    const row = await findCase(tx, timer.caseId);
    if (!row || row.closed) return 'stale: case closed';
    const step = String(timer.payload.step ?? '');
    // Planning cancels timers when a case leaves a step; this guards against a plan that was not reconciled.
    if (kind !== 'agreement_renewal' && (row.deadlineKey !== step || row.deadlineAt?.toISOString() !== timer.payload.deadlineAt)) {
      return 'stale: step changed';
    }

    let role: Role | null;
    let level: ReviewLevel | undefined;
    if (kinds[kind].recipients === 'responsible') {
      const { snapshot } = loadCaseSnapshot({ machineId: row.machineId, machineVersion: row.machineVersion, snapshot: row.snapshot });
      role = waitsOn(snapshot);
      level = role === 'reviewer' ? ((row.reviewLevel as ReviewLevel | null) ?? undefined) : undefined;
    } else {
      role = kinds[kind].recipients;
    }
    const users = role ? await findUsersCovering(tx, { villageCode: row.villageCode, role, reviewLevel: level }) : [];
    const label = stepLabels[step] ?? step;
    const title = kinds[kind].title(label);
    const at = deps.clock.now();
    const data = { caseId: row.id, step, deadlineAt: timer.payload.deadlineAt ?? timer.payload.agreementEnd, villageCode: row.villageCode, timerId: timer.id };
    const created = await insertNotifications(
      tx,
      users.map((u) => ({ userId: u.id, caseId: row.id, timerId: timer.id, kind, title, body: `案件 ${row.id}：${title}（期限 ${data.deadlineAt}）`, data, createdAt: at })),
    );
    const hooks = await webhooksCovering(tx, row.villageCode);
    await enqueueDeliveries(
      tx,
      hooks.map((h) => ({
        webhookId: h.id,
        payload: {
          id: `timer-${timer.id}`,
          kind,
          title,
          ...data,
          recipients: users.map((u) => ({ userId: u.id, username: u.username, displayName: u.displayName })),
          firedAt: at.toISOString(),
        },
        nextAttemptAt: at,
      })),
    );
    return `notified ${created.length} user(s), ${hooks.length} webhook(s)`;
  }

  async function fireTimer(tx: Tx, timer: TimerRow): Promise<string> {
    if (timer.kind === 'notice_end') {
      try {
        // A savepoint: a refusal leaves the worker's transaction usable for marking the timer done.
        await tx.transaction((sp) => commands.applyEvent(sp, systemMeta, timer.caseId, { type: 'NOTICE_PERIOD_ENDED' }, { type: 'NOTICE_PERIOD_ENDED' }));
        return 'sent NOTICE_PERIOD_ENDED';
      } catch (err) {
        if (isAppError(err)) {
          const rule = (err.details as { rule?: string } | undefined)?.rule;
          return `refused: ${err.code}${rule ? ` ${rule}` : ''}`;
        }
        throw err;
      }
    }
    return notify(tx, timer, timer.kind);
  }

  return { fireTimer };
}
