/**
 * Real races on PostgreSQL: a connection of the test's own takes a lock (any SQL, e.g. a row FOR UPDATE or a
 * table lock), the requests are sent, and the lock is released only once at least `mustBlock` service
 * backends are waiting for a lock in the test's database — polled from pg_stat_activity, never a fixed sleep.
 * The requests are then all inside the database at once, on separate connections. On PGlite (one connection)
 * they simply run, serialized; nothing there proves they overlapped.
 */
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { rows } from '../../src/db/index.js';
import type { DbHandle } from '../../src/db/client.js';
import { testDbKind } from './db.js';

export const onPostgres = testDbKind() === 'postgres';

export interface LockHolder {
  /** Run `requests` while `lock` (SQL run in the holder's transaction) is held; see above. */
  raced<T>(lock: (t: postgres.TransactionSql) => Promise<unknown>, mustBlock: number, requests: () => Promise<T>[]): Promise<{ results: T[]; blocked: number }>;
  /**
   * Take `lock` and keep it: `waitFor(n)` waits until n service backends wait for a lock (requests sent in
   * stages, each provably waiting before the next is sent); `release()` ends the holder's transaction.
   */
  hold(lock: (t: postgres.TransactionSql) => Promise<unknown>): Promise<{ waitFor(n: number): Promise<number>; release(): Promise<void> }>;
  close(): Promise<void>;
}

export async function lockHolder(database: Pick<DbHandle, 'db'>): Promise<LockHolder> {
  if (!onPostgres) {
    return {
      raced: async (_lock, _n, requests) => ({ results: await Promise.all(requests()), blocked: 0 }),
      hold: async () => ({ waitFor: async () => 0, release: async () => {} }),
      close: async () => {},
    };
  }
  const dbName = rows<{ name: string }>(await database.db.execute(sql`select current_database() as name`))[0].name;
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${dbName}`;
  const holder = postgres(url.toString(), { max: 2, onnotice: () => {} });
  async function waiting(): Promise<number> {
    const [r] = await holder`select count(*)::int as n from pg_stat_activity
      where datname = ${dbName} and wait_event_type = 'Lock' and pid <> pg_backend_pid()`;
    return r.n as number;
  }
  const hold: LockHolder['hold'] = async (lock) => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const lockHeld = new Promise<void>((r) => (locked = r));
    const tx = holder.begin(async (t) => {
      await lock(t);
      locked();
      await released;
    });
    await Promise.race([lockHeld, tx]);
    return {
      async waitFor(n) {
        const deadline = Date.now() + 15_000;
        let blocked = 0;
        while ((blocked = await waiting()) < n) {
          if (Date.now() > deadline) throw new Error(`only ${blocked} of ${n} service transactions waited for a lock`);
          await new Promise((r) => setImmediate(r));
        }
        return blocked;
      },
      async release() {
        release();
        await tx;
      },
    };
  };

  return {
    async raced(lock, mustBlock, requests) {
      const held = await hold(lock);
      const pending = requests();
      let blocked = 0;
      try {
        blocked = await held.waitFor(mustBlock);
      } finally {
        await held.release();
      }
      return { results: await Promise.all(pending), blocked };
    },
    hold,
    close: () => holder.end({ timeout: 5 }),
  };
}
