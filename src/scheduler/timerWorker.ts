/**
 * The timer worker: claims due timers (FOR UPDATE SKIP LOCKED), fires each through the engine in a savepoint
 * of the claiming transaction, and marks it done in that same transaction — so a timer's effect commits
 * exactly when the timer is marked done. A worker killed mid-batch commits nothing of the batch; its timers
 * are still pending and another worker fires them. One failing timer is retried with backoff and never stops
 * the loop; errors of the loop itself (the database away) are logged and retried, never thrown.
 */
import { claimDueTimers, failTimer, finishTimer, type Db, type TimerRow, type Tx } from '../db/index.js';
import type { Logger } from '../logger.js';
import type { Clock } from '../time/clock.js';
import { createPollingLoop } from './pollingLoop.js';

export interface TimerWorkerOptions {
  /** Timers claimed per transaction. */
  batchSize: number;
  /** Wait between polls when nothing is due. */
  idleMs: number;
  /** Attempts before a timer is given up (status failed, logged at error). */
  maxAttempts: number;
  /** First retry delay; doubles per attempt, at most one hour. */
  retryBaseMs: number;
}

export const defaultTimerWorkerOptions: TimerWorkerOptions = { batchSize: 50, idleMs: 1000, maxAttempts: 8, retryBaseMs: 30_000 };

export interface TimerWorkerDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  fireTimer: (tx: Tx, timer: TimerRow) => Promise<string>;
}

export function retryDelayMs(attempts: number, baseMs: number): number {
  return Math.min(3_600_000, baseMs * 2 ** Math.max(0, attempts - 1));
}

export function createTimerWorker(deps: TimerWorkerDeps, options: Partial<TimerWorkerOptions> = {}) {
  const opts = { ...defaultTimerWorkerOptions, ...options };
  const log = deps.logger.child({ component: 'timer-worker' });

  /** One batch in one transaction; returns how many timers it finished (fired or failed). */
  async function runOnce(): Promise<{ fired: number; failed: number }> {
    return deps.db.transaction(async (tx) => {
      const now = deps.clock.now();
      const due = await claimDueTimers(tx, now, opts.batchSize);
      let fired = 0;
      let failed = 0;
      for (const timer of due) {
        try {
          const outcome = await tx.transaction((sp) => deps.fireTimer(sp, timer));
          await finishTimer(tx, timer.id, outcome, deps.clock.now());
          fired += 1;
        } catch (err) {
          failed += 1;
          const attempts = timer.attempts + 1;
          const retryAt = attempts >= opts.maxAttempts ? null : new Date(now.getTime() + retryDelayMs(attempts, opts.retryBaseMs));
          const message = err instanceof Error ? err.message : String(err);
          await failTimer(tx, timer.id, message, retryAt);
          const fields = { timerId: timer.id, kind: timer.kind, caseId: timer.caseId, attempts, err };
          if (retryAt) log.warn({ ...fields, retryAt }, 'timer failed; will retry');
          else log.error(fields, 'timer failed for the last time; giving up');
        }
      }
      return { fired, failed };
    });
  }

  /** Runs batches until nothing is due (tests and the benchmark use this with a manual clock). */
  async function drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const { fired, failed } = await runOnce();
      total += fired + failed;
      if (fired + failed === 0) return total;
    }
  }

  // Busy while a round finished timers: more may be due at once.
  // wake(): a timer became due now (LISTEN doudi_timers, see startWorkers).
  const { start, stop, wake } = createPollingLoop({ name: 'timer worker', logger: log, idleMs: opts.idleMs, runOnce, busy: (r) => r.fired + r.failed > 0 });

  return { runOnce, drain, start, stop, wake };
}

export type TimerWorker = ReturnType<typeof createTimerWorker>;
