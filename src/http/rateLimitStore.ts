/**
 * The store behind @fastify/rate-limit. Two kinds of key, two places:
 *   - request limits (every route, stricter on public ones): per process, in memory, the plugin's own LocalStore —
 *     a limit that slows a flood need not be exact across processes, and must not cost a query per request;
 *   - failed sign-ins (keys starting `signin:`): in the database, so that a lockout holds in every process and
 *     across restarts, and times follow the service clock (tests move it).
 * The plugin counts and decides; this only keeps the counts.
 */
import LocalStore from '@fastify/rate-limit/store/LocalStore.js';
import { incrementHits, readHits, type Db } from '../db/index.js';
import type { Clock } from '../time/clock.js';

export const SIGN_IN_KEY_PREFIX = 'signin:';

type Callback = (err: Error | null, result?: { current: number; ttl: number }) => void;

interface Store {
  incr(key: string, cb: Callback, timeWindow: number, max: number): void;
  read(key: string, cb: Callback, timeWindow: number, max: number): void;
  child(routeOptions: object): Store;
}

export function rateLimitStore(db: Db, clock: Clock) {
  return class DoudiRateLimitStore implements Store {
    private readonly local: Store;

    constructor(options: { continueExceeding?: boolean; exponentialBackoff?: boolean; cache?: number } = {}) {
      this.local = new (LocalStore as unknown as new (...args: unknown[]) => Store)(
        options.continueExceeding ?? false,
        options.exponentialBackoff ?? false,
        options.cache ?? 10_000,
      );
    }

    incr(key: string, cb: Callback, timeWindow: number, max: number): void {
      if (!key.startsWith(SIGN_IN_KEY_PREFIX)) return this.local.incr(key, cb, timeWindow, max);
      incrementHits(db, key, clock.now(), timeWindow).then(
        (h) => cb(null, { current: h.hits, ttl: h.ttlMs }),
        (err: Error) => cb(err),
      );
    }

    read(key: string, cb: Callback, timeWindow: number, max: number): void {
      if (!key.startsWith(SIGN_IN_KEY_PREFIX)) return this.local.read(key, cb, timeWindow, max);
      readHits(db, key, clock.now()).then(
        (h) => cb(null, { current: h.hits, ttl: h.ttlMs }),
        (err: Error) => cb(err),
      );
    }

    child(routeOptions: object): Store {
      return new DoudiRateLimitStore(routeOptions as { continueExceeding?: boolean; exponentialBackoff?: boolean; cache?: number });
    }
  };
}
