/**
 * The scheduler: the timer worker (durable timers → reminders, notice ends) and the delivery worker (the
 * webhook outbox), started together. `npm run worker` (src/worker.ts) runs them in a process of their own;
 * main.ts runs the same thing in-process when WORKER=on. Several processes may run them against one
 * PostgreSQL database: timers are claimed with FOR UPDATE SKIP LOCKED, deliveries under a lease.
 */
import type { Config } from '../config.js';
import type { DbHandle } from '../db/index.js';
import type { Logger } from '../logger.js';
import type { Clock } from '../time/clock.js';
import { createDeliveryWorker, type DeliveryWorkerOptions } from './deliveryWorker.js';
import { createTimerWorker, type TimerFiring, type TimerWorkerOptions } from './timerWorker.js';

export interface StartWorkersDeps {
  database: Pick<DbHandle, 'db'>;
  /** The engine fires the timers (createEngine(...).fireNextDueTimer) through its command path. */
  engine: TimerFiring;
  /** The engine's clock (the service's, so a demo clock moves the workers too). */
  clock: Clock;
  logger: Logger;
  config: Pick<Config, 'workerBatch' | 'workerIdleMs'>;
  /** Overrides, e.g. in tests. */
  timerOptions?: Partial<TimerWorkerOptions>;
  deliveryOptions?: Partial<DeliveryWorkerOptions>;
  fetch?: typeof fetch;
}

export function startWorkers(deps: StartWorkersDeps) {
  const tuning = {
    ...(deps.config.workerBatch !== undefined ? { batchSize: deps.config.workerBatch } : {}),
    ...(deps.config.workerIdleMs !== undefined ? { idleMs: deps.config.workerIdleMs } : {}),
  };
  const timerWorker = createTimerWorker(
    { clock: deps.clock, logger: deps.logger, engine: deps.engine },
    { ...tuning, ...deps.timerOptions },
  );
  const deliveryWorker = createDeliveryWorker(
    { db: deps.database.db, clock: deps.clock, logger: deps.logger, fetch: deps.fetch },
    { ...tuning, ...deps.deliveryOptions },
  );
  timerWorker.start();
  deliveryWorker.start();
  deps.logger.info(tuning, 'scheduler started (timer worker, webhook delivery worker)');

  let stopped: Promise<void> | null = null;
  /** Stops both: the timer batch in progress commits, the posts in flight are answered and recorded. */
  function stop(): Promise<void> {
    stopped ??= Promise.all([timerWorker.stop(), deliveryWorker.stop()]).then(() => deps.logger.info('scheduler stopped'));
    return stopped;
  }

  return { stop, timerWorker, deliveryWorker };
}

export type Workers = ReturnType<typeof startWorkers>;
export { createTimerWorker, defaultTimerWorkerOptions, type TimerFiring, type TimerWorker, type TimerWorkerOptions } from './timerWorker.js';
export {
  createDeliveryWorker,
  defaultDeliveryWorkerOptions,
  deliveryBackoffMs,
  deliveryBody,
  signatureOf,
  type DeliveryWorker,
  type DeliveryWorkerOptions,
} from './deliveryWorker.js';
