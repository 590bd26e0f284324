/**
 * The scheduler: the timer worker (durable timers → reminders, notice ends) and the delivery worker (the
 * webhook outbox), started together. `npm run worker` (src/worker.ts) runs them in a process of their own;
 * main.ts runs the same thing in-process when WORKER=on. Several processes may run them against one
 * PostgreSQL database: timers are claimed with FOR UPDATE SKIP LOCKED, deliveries under a lease.
 *
 * Wake-ups: triggers on timers and webhook_deliveries NOTIFY doudi_timers / doudi_deliveries when something
 * becomes due now (migrations/…_timers_notify.sql); each worker LISTENs and polls at once instead of at the end
 * of its idle wait. Polling stays the fallback: a LISTEN that fails is logged and the workers poll as before.
 */
import type { Config } from '../config.js';
import type { DbHandle } from '../db/index.js';
import { DELIVERIES_CHANNEL, listen, TIMERS_CHANNEL } from '../db/listen.js';
import type { HostLookup } from '../engine/webhookTarget.js';
import type { Logger } from '../logger.js';
import type { Clock } from '../time/clock.js';
import { loadCheckpointPrivateKey } from '../audit/checkpoint.js';
import { createCheckpointWorker, type CheckpointWorker } from './checkpointWorker.js';
import { createDeliveryWorker, type DeliveryWorkerOptions } from './deliveryWorker.js';
import { createTimerWorker, type TimerFiring, type TimerWorkerOptions } from './timerWorker.js';

export interface StartWorkersDeps {
  /** `listen` (and `kind`) when the workers should wake on NOTIFY; without it they only poll. */
  database: Pick<DbHandle, 'db'> & Partial<Pick<DbHandle, 'kind' | 'listen'>>;
  /** The engine fires the timers (createEngine(...).fireNextDueTimer) through its command path. */
  engine: TimerFiring;
  /** The engine's clock (the service's, so a demo clock moves the workers too). */
  clock: Clock;
  logger: Logger;
  config: Pick<Config, 'workerBatch' | 'workerIdleMs'> & Partial<Pick<Config, 'webhookAllowHosts' | 'auditCheckpointKey' | 'auditCheckpointIntervalSeconds'>>;
  /** Resolves webhook hosts (tests); node:dns lookup otherwise. */
  lookup?: HostLookup;
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
    { db: deps.database.db, clock: deps.clock, logger: deps.logger, targets: { allowHosts: deps.config.webhookAllowHosts ?? [], ...(deps.lookup ? { lookup: deps.lookup } : {}) }, fetch: deps.fetch },
    { ...tuning, ...deps.deliveryOptions },
  );
  // Audit checkpoints need the signing key; a key that cannot be read stops the start (it was meant to be used).
  let checkpointWorker: CheckpointWorker | null = null;
  if (deps.config.auditCheckpointKey) {
    checkpointWorker = createCheckpointWorker({
      db: deps.database.db,
      clock: deps.clock,
      logger: deps.logger,
      privateKey: loadCheckpointPrivateKey(deps.config.auditCheckpointKey),
      intervalMs: (deps.config.auditCheckpointIntervalSeconds ?? 3600) * 1000,
    });
  } else {
    deps.logger.info('AUDIT_CHECKPOINT_KEY is not set: no signed audit checkpoints are written (see README, Audit checkpoints)');
  }
  timerWorker.start();
  deliveryWorker.start();
  checkpointWorker?.start();
  deps.logger.info(
    { ...tuning, ...(checkpointWorker ? { checkpointIntervalSeconds: deps.config.auditCheckpointIntervalSeconds ?? 3600 } : {}) },
    `scheduler started (timer worker, webhook delivery worker${checkpointWorker ? ', audit checkpoint worker' : ''})`,
  );

  let stopping = false;
  const handle = { kind: deps.database.kind ?? 'postgres', listen: deps.database.listen } as const;
  const log = deps.logger.child({ component: 'scheduler' });
  const unlisteners = [
    listen(handle, TIMERS_CHANNEL, () => timerWorker.wake(), log),
    listen(handle, DELIVERIES_CHANNEL, () => deliveryWorker.wake(), log),
  ].map((p) =>
    p.then(async (unlisten) => {
      if (stopping) await unlisten(); // stopped before LISTEN was established
      return unlisten;
    }),
  );
  /** Resolves when both LISTENs are established, or have failed and been logged (the workers then poll only). */
  const listening = Promise.all(unlisteners).then(() => {});

  let stopped: Promise<void> | null = null;
  /** Stops both: the timer batch in progress commits, the posts in flight are answered and recorded. */
  function stop(): Promise<void> {
    stopping = true;
    stopped ??= (async () => {
      // UNLISTEN first, but never wait for a LISTEN still being set up (the database may be away).
      const settled = await Promise.race([Promise.all(unlisteners), new Promise<null>((r) => setTimeout(r, 1000, null).unref())]);
      await Promise.all([...(settled ?? []).map((unlisten) => unlisten()), timerWorker.stop(), deliveryWorker.stop(), checkpointWorker?.stop()]);
      deps.logger.info('scheduler stopped');
    })();
    return stopped;
  }

  return { stop, listening, timerWorker, deliveryWorker, checkpointWorker };
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
export { createCheckpointWorker, type CheckpointWorker } from './checkpointWorker.js';
