// Counters behind @fastify/rate-limit for failed sign-ins, shared by every process (src/http/rateLimitStore.ts).
// One upsert per failure: the window restarts when the old one has passed. Times come from the service clock.
import { eq, sql } from 'drizzle-orm';
import { rateLimitHits } from './schema.js';
import type { Db, Tx } from './types.js';

export interface Hits {
  hits: number;
  /** Milliseconds until the window ends. */
  ttlMs: number;
}

export async function incrementHits(tx: Db | Tx, key: string, now: Date, windowMs: number): Promise<Hits> {
  const t = rateLimitHits;
  // postgres.js takes no Date inside raw sql``: the instant goes as ISO text.
  const at = sql`${now.toISOString()}::timestamptz`;
  const expired = sql`${t.windowStart} + make_interval(secs => ${t.windowMs}::double precision / 1000) <= ${at}`;
  const [row] = await tx
    .insert(t)
    .values({ key, hits: 1, windowStart: now, windowMs })
    .onConflictDoUpdate({
      target: t.key,
      set: {
        hits: sql`case when ${expired} then 1 else ${t.hits} + 1 end`,
        windowStart: sql`case when ${expired} then ${at} else ${t.windowStart} end`,
        windowMs: sql`case when ${expired} then ${windowMs}::integer else ${t.windowMs} end`,
      },
    })
    .returning();
  return { hits: row.hits, ttlMs: Math.max(0, row.windowStart.getTime() + row.windowMs - now.getTime()) };
}

export async function readHits(tx: Db | Tx, key: string, now: Date): Promise<Hits> {
  const [row] = await tx.select().from(rateLimitHits).where(eq(rateLimitHits.key, key)).limit(1);
  if (!row) return { hits: 0, ttlMs: 0 };
  const ttlMs = row.windowStart.getTime() + row.windowMs - now.getTime();
  return ttlMs > 0 ? { hits: row.hits, ttlMs } : { hits: 0, ttlMs: 0 };
}

/** Gives back one hit (a sign-in attempt that turned out right is not a failure). */
export async function refundHit(tx: Db | Tx, key: string): Promise<void> {
  await tx.update(rateLimitHits).set({ hits: sql`greatest(${rateLimitHits.hits} - 1, 0)` }).where(eq(rateLimitHits.key, key));
}
