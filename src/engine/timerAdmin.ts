/**
 * Admins and timers that failed for good (retries exhausted, status `failed`): list them, put one back to
 * pending (due now), or cancel one. An admin sees and acts on the timers of cases inside their jurisdiction
 * only; any other timer answers TIMER_NOT_FOUND, as if it did not exist.
 *
 * Retry and cancel are recorded in the case's audit trail (TIMER_RETRIED, TIMER_CANCELLED; state before =
 * state after = the case's state; payload { timerId, kind, key, reason? }), in one transaction with the
 * change: the case row is locked first (lockCase), as every command does, and its row version moves on, so
 * that every audit record stays one row version of its case.
 *
 * Lock order: case, then timer with SKIP LOCKED. A worker firing the timer holds the timer's row (and a notice
 * end then takes the case lock); waiting for it while holding the case lock could deadlock, so a timer held
 * by a worker answers TIMER_STATE_CONFLICT (status `firing`) at once instead.
 */
import {
  appendAudit,
  cancelTimerByAdmin,
  findTimer,
  listTimersWithin,
  lockCase,
  lockTimerIfFree,
  retryFailedTimer,
  updateCase,
  type TimerRow,
  type TimerStatus,
} from '../db/index.js';
import { errors } from '../errors.js';
import { inJurisdiction } from './access.js';
import type { CommandMeta, EngineDeps, Principal } from './types.js';

export function timerView(t: Pick<TimerRow, 'id' | 'caseId' | 'kind' | 'key' | 'dueAt' | 'attempts' | 'lastError' | 'status'>) {
  return { id: t.id, caseId: t.caseId, kind: t.kind, key: t.key, dueAt: t.dueAt.toISOString(), attempts: t.attempts, lastError: t.lastError, status: t.status };
}

export type TimerView = ReturnType<typeof timerView>;

type Action = 'retry' | 'cancel';
const allowedFrom: Record<Action, TimerStatus[]> = { retry: ['failed'], cancel: ['failed', 'pending'] };
const auditEvent: Record<Action, string> = { retry: 'TIMER_RETRIED', cancel: 'TIMER_CANCELLED' };

export function createTimerAdmin(deps: EngineDeps) {
  const { db, clock } = deps;

  /** Failed timers in the admin's jurisdiction, by id; pass `nextAfter` as `after` for the next page. */
  async function listTimers(principal: Principal, q: { status: 'failed'; after?: number; limit: number }) {
    const page = await listTimersWithin(db, { jurisdictionPrefix: principal.region, status: q.status, after: q.after, limit: q.limit });
    return { items: page.items.map(timerView), nextAfter: page.nextAfter };
  }

  async function act(action: Action, meta: CommandMeta, timerId: number, input: { reason?: string }): Promise<TimerView> {
    const { principal } = meta;
    return db.transaction(async (tx) => {
      const seen = await findTimer(tx, timerId);
      if (!seen) throw errors.timerNotFound(timerId);
      const row = await lockCase(tx, seen.caseId);
      if (!row || !inJurisdiction(principal, row.villageCode)) throw errors.timerNotFound(timerId);
      const timer = await lockTimerIfFree(tx, timerId);
      if (!timer) throw errors.timerStateConflict({ timerId, status: 'firing', allowed: allowedFrom[action] });
      if (!allowedFrom[action].includes(timer.status)) throw errors.timerStateConflict({ timerId, status: timer.status, allowed: allowedFrom[action] });

      const at = clock.now();
      const changed =
        action === 'retry' ? await retryFailedTimer(tx, timerId, at) : await cancelTimerByAdmin(tx, timerId, `cancelled by ${principal.username}`);
      // The row is locked and its status checked above, so the update matches it.
      if (!changed) throw new Error(`timer ${timerId} changed under its lock`);
      // Every audit record is one row version of its case (the case row is locked: this cannot conflict).
      if (!(await updateCase(tx, row.id, {}, row.rowVersion))) throw new Error(`case ${row.id} changed under its lock`);
      await appendAudit(tx, {
        caseId: row.id,
        eventType: auditEvent[action],
        payload: { timerId, kind: timer.kind, key: timer.key, ...(input.reason ? { reason: input.reason } : {}) },
        actorId: principal.id,
        actorRole: 'admin',
        stateBefore: row.state,
        stateAfter: row.state,
        machineVersion: row.machineVersion,
        requestId: meta.requestId ?? null,
        clientRequestId: meta.clientRequestId ?? null,
        at,
      });
      deps.logger.info({ timerId, caseId: row.id, kind: timer.kind, action, by: principal.username }, `timer ${action === 'retry' ? 'retried' : 'cancelled'} by an admin`);
      return timerView(changed);
    });
  }

  /** failed → pending, due now; attempts reset to 0. */
  const retryTimer = (meta: CommandMeta, timerId: number, input: { reason?: string } = {}) => act('retry', meta, timerId, input);
  /** failed or pending → cancelled. */
  const cancelTimer = (meta: CommandMeta, timerId: number, input: { reason?: string } = {}) => act('cancel', meta, timerId, input);

  return { listTimers, retryTimer, cancelTimer };
}

export type TimerAdmin = ReturnType<typeof createTimerAdmin>;
