// The workers' loop: wake() ends an idle wait at once, a wake-up during a round makes the loop go again
// instead of idling (none is lost), and stop() stays prompt during a long idle wait.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createPollingLoop } from '../../src/scheduler/pollingLoop.js';

const logger = createLogger({ logLevel: 'silent' }, { write: () => {} });

/** A loop whose rounds are counted; `during` runs inside each round. */
function counted(during: (round: number) => void = () => {}) {
  let rounds = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const loop = createPollingLoop({
    name: 'test', logger, idleMs: 60_000, busy: () => false,
    runOnce: async () => {
      rounds += 1;
      during(rounds);
      for (const w of waiters.filter((x) => rounds >= x.n)) w.resolve();
      return null;
    },
  });
  const reached = (n: number) => (rounds >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })));
  return { loop, reached, rounds: () => rounds };
}

describe('polling loop', () => {
  it('wake() cuts a 60 s idle wait short', async () => {
    const { loop, reached } = counted();
    loop.start();
    await reached(1);
    const t0 = performance.now();
    loop.wake();
    await reached(2);
    expect(performance.now() - t0).toBeLessThan(1000);
    await loop.stop();
  });

  it('a wake-up during a round is not lost: the loop goes again at once', async () => {
    let wake = () => {};
    const { loop, reached, rounds } = counted((n) => {
      if (n === 1) wake();
    });
    wake = () => loop.wake();
    loop.start();
    await reached(2);
    expect(rounds()).toBe(2);
    await loop.stop();
  });

  it('stop() is prompt during an idle wait; wake() after stop does nothing', async () => {
    const { loop, reached, rounds } = counted();
    loop.start();
    await reached(1);
    const t0 = performance.now();
    await loop.stop();
    expect(performance.now() - t0).toBeLessThan(1000);
    loop.wake();
    expect(rounds()).toBe(1);
  });
});
