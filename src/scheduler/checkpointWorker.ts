/**
 * The checkpoint worker: every AUDIT_CHECKPOINT_INTERVAL it seals the audit heads of all cases into a signed
 * checkpoint (src/db/checkpoints.ts). It looks once a minute (or once per interval, if shorter) whether the newest
 * checkpoint is older than the interval by the injected clock; several workers may run it — only one of them
 * commits a checkpoint per base, the others' attempts roll back.
 */
import type { KeyObject } from 'node:crypto';
import { keyIdOf } from '../audit/checkpoint.js';
import { latestCheckpoint, writeCheckpoint, type WrittenCheckpoint } from '../db/checkpoints.js';
import type { Db } from '../db/index.js';
import type { Logger } from '../logger.js';
import type { Clock } from '../time/clock.js';
import { createPollingLoop } from './pollingLoop.js';

export interface CheckpointWorkerDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  privateKey: KeyObject;
  intervalMs: number;
  /** How often to look whether a checkpoint is due; default min(interval, 60 s). */
  pollMs?: number;
}

export function createCheckpointWorker(deps: CheckpointWorkerDeps) {
  const log = deps.logger.child({ component: 'checkpoint-worker' });
  const keyId = keyIdOf(deps.privateKey);

  /** One look: seal a checkpoint when the newest is at least an interval old (or there is none). */
  async function runOnce(): Promise<WrittenCheckpoint | null> {
    const now = deps.clock.now();
    const latest = await latestCheckpoint(deps.db);
    if (latest && now.getTime() - Date.parse(latest.createdAt) < deps.intervalMs) return null;
    const started = Date.now();
    const written = await writeCheckpoint(deps.db, { privateKey: deps.privateKey, now });
    if (written) {
      log.info(
        { checkpointId: written.id, cases: written.caseCount, changed: written.changedCount, root: written.root, keyId, ms: Date.now() - started },
        'audit checkpoint sealed',
      );
    } else {
      log.debug('another process sealed the audit checkpoint at the same time');
    }
    return written;
  }

  const loop = createPollingLoop({
    name: 'checkpoint worker',
    logger: log,
    idleMs: deps.pollMs ?? Math.min(deps.intervalMs, 60_000),
    runOnce,
    busy: () => false,
  });
  return { runOnce, start: loop.start, stop: loop.stop };
}

export type CheckpointWorker = ReturnType<typeof createCheckpointWorker>;
