// Durable timers: reads and the admins' actions. The command path plans, claims and finishes them with its own
// statements (src/db/commandSql.ts, commandWrites.ts): planned in the transaction of the transition that needs
// them, claimed one at a time with FOR UPDATE SKIP LOCKED, finished in the same transaction as their effect.
import { and, asc, eq, gt, inArray, lte, sql } from 'drizzle-orm';
import { startsWith } from './prefix.js';
import { cases, timers, type NewTimer, type TimerRow } from './schema.js';
import type { Db, Tx } from './types.js';

export async function findTimer(tx: Db | Tx, id: number): Promise<TimerRow | null> {
  const [row] = await tx.select().from(timers).where(eq(timers.id, id)).limit(1);
  return row ?? null;
}

// ---- Admins and failed timers (GET /timers, POST /timers/:id/retry, POST /timers/:id/cancel) ----

/** A timer as the admin list shows it, with its case's village (for the jurisdiction). */
export type TimerListItem = Pick<TimerRow, 'id' | 'caseId' | 'kind' | 'key' | 'dueAt' | 'attempts' | 'lastError' | 'status'>;

export interface ListTimersQuery {
  /** The reader's jurisdiction: only timers of cases whose village code starts with it. */
  jurisdictionPrefix: string;
  /** Only `failed` for now: the list reads the partial index timers_failed_idx (id where status = 'failed'). */
  status: 'failed';
  /** The last id of the previous page. */
  after?: number;
  limit: number;
}

/** One page of timers in id order (keyset); `nextAfter` is null on the last page. */
export async function listTimersWithin(tx: Db | Tx, q: ListTimersQuery): Promise<{ items: TimerListItem[]; nextAfter: number | null }> {
  const found = await tx
    .select({
      id: timers.id,
      caseId: timers.caseId,
      kind: timers.kind,
      key: timers.key,
      dueAt: timers.dueAt,
      attempts: timers.attempts,
      lastError: timers.lastError,
      status: timers.status,
    })
    .from(timers)
    .innerJoin(cases, eq(cases.id, timers.caseId))
    .where(and(eq(timers.status, q.status), startsWith(cases.villageCode, q.jurisdictionPrefix, 'jurisdictionPrefix'), q.after !== undefined ? gt(timers.id, q.after) : undefined))
    .orderBy(asc(timers.id))
    .limit(q.limit + 1);
  const items = found.slice(0, q.limit);
  return { items, nextAfter: found.length > q.limit ? items[items.length - 1].id : null };
}

/**
 * Locks one timer for this transaction, or returns null when it does not exist or another transaction holds
 * it — a worker firing it right now (SKIP LOCKED: an admin action never waits for a firing, and never waits
 * while holding the case lock that the firing of a notice end needs, so the two cannot deadlock).
 */
export async function lockTimerIfFree(tx: Tx, id: number): Promise<TimerRow | null> {
  const [row] = await tx.select().from(timers).where(eq(timers.id, id)).limit(1).for('update', { skipLocked: true });
  return row ?? null;
}

/**
 * A failed timer back to pending, due at `dueAt`, with its attempts reset to 0 (the worker gives it its full
 * number of attempts again); last_error is kept until the next attempt overwrites it.
 */
export async function retryFailedTimer(tx: Db | Tx, id: number, dueAt: Date): Promise<TimerRow | null> {
  const [row] = await tx
    .update(timers)
    .set({ status: 'pending', dueAt, attempts: 0 })
    .where(and(eq(timers.id, id), eq(timers.status, 'failed')))
    .returning();
  return row ?? null;
}

/** A failed or pending timer cancelled by hand; `outcome` says by whom. */
export async function cancelTimerByAdmin(tx: Db | Tx, id: number, outcome: string): Promise<TimerRow | null> {
  const [row] = await tx
    .update(timers)
    .set({ status: 'cancelled', outcome })
    .where(and(eq(timers.id, id), inArray(timers.status, ['failed', 'pending'])))
    .returning();
  return row ?? null;
}
