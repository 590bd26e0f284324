// Browser sessions: the row is keyed by the SHA-256 of the cookie's secret (src/engine/accounts.ts makes both).
import { and, eq, gt, lt, ne } from 'drizzle-orm';
import { sessions, type SessionRow } from './schema.js';
import type { Db, Tx } from './types.js';

export async function insertSession(tx: Db | Tx, row: typeof sessions.$inferInsert): Promise<SessionRow> {
  const [inserted] = await tx.insert(sessions).values(row).returning();
  return inserted;
}

/**
 * The live session with this key, touched (last_seen_at = now) in the same statement: one round trip per
 * console request. Null when there is none, it has expired, or it has been idle longer than `idleMs`.
 * last_seen_at is only written when it is older than a minute, so a page of ten requests writes once.
 */
export async function touchSession(tx: Db | Tx, idHash: string, now: Date, idleMs: number): Promise<SessionRow | null> {
  const idleSince = new Date(now.getTime() - idleMs);
  const [live] = await tx
    .select()
    .from(sessions)
    .where(and(eq(sessions.idHash, idHash), gt(sessions.expiresAt, now), gt(sessions.lastSeenAt, idleSince)))
    .limit(1);
  if (!live) return null;
  if (now.getTime() - live.lastSeenAt.getTime() > 60_000) {
    await tx.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.idHash, idHash));
  }
  return live;
}

export async function deleteSession(tx: Db | Tx, idHash: string): Promise<void> {
  await tx.delete(sessions).where(eq(sessions.idHash, idHash));
}

/** Ends every session of a user (deactivation, password reset), or every other one (password change). */
export async function deleteUserSessions(tx: Db | Tx, userId: string, exceptIdHash?: string): Promise<number> {
  const deleted = await tx
    .delete(sessions)
    .where(and(eq(sessions.userId, userId), exceptIdHash ? ne(sessions.idHash, exceptIdHash) : undefined))
    .returning({ idHash: sessions.idHash });
  return deleted.length;
}

/** Housekeeping at each sign-in: sessions that ended a day ago are gone for good. */
export async function deleteExpiredSessions(tx: Db | Tx, now: Date): Promise<void> {
  await tx.delete(sessions).where(lt(sessions.expiresAt, new Date(now.getTime() - 86_400_000)));
}
