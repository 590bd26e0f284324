/**
 * The timer worker: each round reads the oldest due timers' ids and fires each in a short transaction of its
 * own (claim the timer and its case with FOR UPDATE SKIP LOCKED, fire through the engine's command path, mark
 * done, commit — see fireTimer in src/engine/commands.ts). A few lanes run side by side, each on its own
 * connection, so one slow case never holds up the others, and no transaction ever holds more than one case's
 * lock. A worker killed mid-firing commits nothing of that firing; the timer is still pending and a later
 * round takes it. One failing timer
 * is retried with backoff and never stops the loop; errors of the loop itself (the database away) are logged
 * and retried, never thrown.
 */
import type { TimerRow } from '../db/index.js';
import type { Logger } from '../logger.js';
import { timerLag, timersFailed, timersFired } from '../metrics.js';
import type { Clock } from '../time/clock.js';
import { createPollingLoop } from './pollingLoop.js';

export interface TimerWorkerOptions {
  /** Timers fired per round before the loop checks whether it should stop. */
  batchSize: number;
  /** Firings in flight at once (each a transaction on its own connection). */
  concurrency: number;
  /** Wait between polls when nothing is due. */
  idleMs: number;
  /** Attempts before a timer is given up (status failed, logged at error). */
  maxAttempts: number;
  /** First retry delay; doubles per attempt, at most one hour. */
  retryBaseMs: number;
}

export const defaultTimerWorkerOptions: TimerWorkerOptions = { batchSize: 50, concurrency: 4, idleMs: 1000, maxAttempts: 8, retryBaseMs: 30_000 };

/** What the engine provides: the due timers, firing one, and recording a failed firing. */
export interface TimerFiring {
  dueTimerIds(limit: number): Promise<number[]>;
  fireTimer(
    id: number,
    opts?: { retryAt?: (timer: TimerRow) => Date | null },
  ): Promise<{ timer: TimerRow; outcome: string; failure?: { error: unknown; retryAt: Date | null } } | null>;
  recordTimerFailure(timer: Pick<TimerRow, 'id' | 'attempts'>, message: string, retryAt: Date | null): Promise<void>;
}

export interface TimerWorkerDeps {
  clock: Clock;
  logger: Logger;
  engine: TimerFiring;
}

/** Fisher–Yates, in place. */
function shuffle<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

export function retryDelayMs(attempts: number, baseMs: number): number {
  return Math.min(3_600_000, baseMs * 2 ** Math.max(0, attempts - 1));
}

/** The timer a failed firing was about, if the error says (the engine's TimerFiringError does). */
const timerOf = (err: unknown): TimerRow | null => ((err as { timer?: TimerRow } | null)?.timer ?? null);

export function createTimerWorker(deps: TimerWorkerDeps, options: Partial<TimerWorkerOptions> = {}) {
  const opts = { ...defaultTimerWorkerOptions, ...options };
  const log = deps.logger.child({ component: 'timer-worker' });

  const retryAt = (timer: TimerRow): Date | null => {
    const attempts = timer.attempts + 1;
    return attempts >= opts.maxAttempts ? null : new Date(deps.clock.now().getTime() + retryDelayMs(attempts, opts.retryBaseMs));
  };

  function logFailure(timer: TimerRow, err: unknown, at: Date | null) {
    const cause = (err as { cause?: unknown } | null)?.cause ?? err;
    const fields = { timerId: timer.id, kind: timer.kind, caseId: timer.caseId, attempts: timer.attempts + 1, err: cause };
    if (at) log.warn({ ...fields, retryAt: at }, 'timer failed; will retry');
    else log.error(fields, 'timer failed for the last time; giving up');
  }

  /** A firing whose transaction failed as a whole: its failure is recorded on its own. */
  async function recordFailure(timer: TimerRow, err: unknown) {
    const at = retryAt(timer);
    const cause = (err as { cause?: unknown }).cause ?? err;
    await deps.engine.recordTimerFailure(timer, cause instanceof Error ? cause.message : String(cause), at);
    logFailure(timer, err, at);
  }

  /**
   * One round: the next `batchSize` due timers, fired over `concurrency` lanes, each in its own transaction.
   * A timer another worker or a command holds is skipped this round (it stays pending and due).
   */
  async function runOnce(): Promise<{ fired: number; failed: number; more: boolean }> {
    // Shuffled: every worker reads the same oldest timers, and in the same order they would all try the same
    // one at once — each but one wasting a transaction on a timer another holds or just fired.
    const due = shuffle(await deps.engine.dueTimerIds(opts.batchSize));
    let fired = 0;
    let failed = 0;
    let next = 0;
    const lane = async () => {
      while (next < due.length) {
        const id = due[next++];
        try {
          const start = process.hrtime.bigint();
          const r = await deps.engine.fireTimer(id, { retryAt });
          if (!r) continue; // skipped: fired by another worker, or locked
          if (r.failure) {
            failed += 1;
            timersFailed.inc({ kind: r.timer.kind });
            logFailure(r.timer, r.failure.error, r.failure.retryAt);
          } else {
            fired += 1;
            // Lag by the service's clock (the one that made the timer due), duration in real time.
            const lagMs = Math.max(0, deps.clock.now().getTime() - r.timer.dueAt.getTime());
            timersFired.inc({ kind: r.timer.kind });
            timerLag.observe(lagMs / 1000);
            log.info(
              { timerId: r.timer.id, kind: r.timer.kind, key: r.timer.key, caseId: r.timer.caseId, outcome: r.outcome, lagMs, durationMs: Math.round(Number(process.hrtime.bigint() - start) / 1e6) },
              'timer fired: %s',
              r.timer.kind,
            );
          }
        } catch (err) {
          const timer = timerOf(err);
          if (!timer) throw err; // the claim itself failed: the loop backs off
          failed += 1;
          timersFailed.inc({ kind: timer.kind });
          await recordFailure(timer, err);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, lane));
    // Another full list may be waiting; a round that only skipped (all held elsewhere) idles instead of spinning.
    return { fired, failed, more: due.length === opts.batchSize && fired + failed > 0 };
  }

  /** Runs rounds until one fires nothing (tests and the benchmark use this with a manual clock). */
  async function drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const { fired, failed } = await runOnce();
      total += fired + failed;
      if (fired + failed === 0) return total;
    }
  }

  // Busy while a round found more due: go again at once.
  // wake(): a timer became due now (LISTEN doudi_timers, see startWorkers).
  const loop = createPollingLoop({ name: 'timer worker', logger: log, idleMs: opts.idleMs, runOnce, busy: (r) => r.more });

  return { runOnce, drain, start: loop.start, stop: loop.stop, wake: loop.wake };
}

export type TimerWorker = ReturnType<typeof createTimerWorker>;
