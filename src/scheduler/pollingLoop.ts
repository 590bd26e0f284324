/**
 * The loop both workers run: call `runOnce` again and again; when it found nothing to do, wait `idleMs`
 * (interruptible, so stop() is prompt); when it failed (the database away, ...), log and wait longer each time,
 * never throw. stop() lets the round in progress finish — SIGTERM drains, it does not abandon.
 */
import type { Logger } from '../logger.js';

export interface PollingLoopOptions<R> {
  name: string;
  logger: Logger;
  idleMs: number;
  runOnce: () => Promise<R>;
  /** Whether a round did work (then go again at once) or found nothing (then idle). */
  busy: (result: R) => boolean;
}

export function createPollingLoop<R>(o: PollingLoopOptions<R>) {
  let running = false;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;

  function idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  function start(): void {
    if (running) return;
    running = true;
    loop = (async () => {
      let errorDelay = o.idleMs;
      while (running) {
        try {
          const result = await o.runOnce();
          errorDelay = o.idleMs;
          if (!o.busy(result) && running) await idle(o.idleMs);
        } catch (err) {
          o.logger.error({ err }, `${o.name} loop failed; retrying`);
          if (running) await idle(errorDelay);
          errorDelay = Math.min(errorDelay * 2, 60_000);
        }
      }
    })();
  }

  async function stop(): Promise<void> {
    running = false;
    wake?.();
    await loop;
    loop = null;
  }

  return { start, stop };
}
