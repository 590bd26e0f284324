/**
 * The loop both workers run: call `runOnce` again and again; when it found nothing to do, wait `idleMs`
 * (interruptible, so stop() is prompt); when it failed (the database away, ...), log and wait longer each time,
 * never throw. stop() lets the round in progress finish — SIGTERM drains, it does not abandon.
 * wake() (a LISTEN notification: work is due now) cuts the current wait short; a wake-up that arrives during a
 * round makes the loop go again at once instead of idling, so none is lost.
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
  let interrupt: (() => void) | null = null;
  let woken = false;

  function idle(ms: number): Promise<void> {
    if (woken || !running) {
      woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        interrupt = null;
        resolve();
      }
      interrupt = done;
    });
  }

  /** Work is due now: end the current wait, or skip the next one if a round is running. */
  function wake(): void {
    if (!running) return;
    if (interrupt) interrupt();
    else woken = true;
  }

  function start(): void {
    if (running) return;
    running = true;
    loop = (async () => {
      let errorDelay = o.idleMs;
      while (running) {
        try {
          woken = false; // this round looks for all the work there is, whatever woke it
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
    interrupt?.();
    await loop;
    loop = null;
  }

  return { start, stop, wake };
}
