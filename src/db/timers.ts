// Durable timers: planned in the transaction of the transition that needs them, claimed by workers with
// FOR UPDATE SKIP LOCKED, and finished in the same transaction as their effect.
import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm';
import { timers, type NewTimer, type TimerRow } from './schema.js';
import type { Db, Tx } from './types.js';

/**
 * The case's timers whose key is taken: live (pending), fired (done) or given up (failed) — exactly the rows
 * the unique index timers_case_key_idx counts (every status but cancelled). Planning compares against these,
 * so a failed timer is never planned again (that would violate the index) and never fires twice; only an
 * admin's retry (POST /timers/:id/retry) brings it back.
 */
export async function listCaseTimers(tx: Db | Tx, caseId: string): Promise<TimerRow[]> {
  return tx
    .select()
    .from(timers)
    .where(and(eq(timers.caseId, caseId), inArray(timers.status, ['pending', 'done', 'failed'])))
    .orderBy(asc(timers.dueAt), asc(timers.id));
}

export async function insertTimers(tx: Db | Tx, rows: readonly NewTimer[]): Promise<void> {
  if (rows.length > 0) await tx.insert(timers).values([...rows]);
}

export async function cancelTimers(tx: Db | Tx, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await tx
    .update(timers)
    .set({ status: 'cancelled' })
    .where(and(inArray(timers.id, [...ids]), eq(timers.status, 'pending')));
}

/**
 * Claims up to `limit` due timers for this transaction: the rows stay locked until it ends, and other
 * workers skip them (SKIP LOCKED) instead of waiting, so two workers never fire the same timer.
 */
export async function claimDueTimers(tx: Tx, now: Date, limit: number): Promise<TimerRow[]> {
  return tx
    .select()
    .from(timers)
    .where(and(eq(timers.status, 'pending'), lte(timers.dueAt, now)))
    .orderBy(asc(timers.dueAt), asc(timers.id))
    .limit(limit)
    .for('update', { skipLocked: true });
}

export async function finishTimer(tx: Db | Tx, id: number, outcome: string, at: Date): Promise<void> {
  await tx.update(timers).set({ status: 'done', outcome, firedAt: at }).where(eq(timers.id, id));
}

/** A failed attempt: try again after `retryAt`, or give up (status failed) when attempts are exhausted. */
export async function failTimer(tx: Db | Tx, id: number, error: string, retryAt: Date | null): Promise<void> {
  await tx
    .update(timers)
    .set({
      attempts: sql`${timers.attempts} + 1`,
      lastError: error.slice(0, 2000),
      ...(retryAt ? { dueAt: retryAt } : { status: 'failed' as const }),
    })
    .where(eq(timers.id, id));
}

export async function findTimer(tx: Db | Tx, id: number): Promise<TimerRow | null> {
  const [row] = await tx.select().from(timers).where(eq(timers.id, id)).limit(1);
  return row ?? null;
}
