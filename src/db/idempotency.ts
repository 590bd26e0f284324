// Idempotency keys: a command retried with the same (actor, key) gets the first answer again instead of
// running twice. Written in the command's transaction, so a key exists exactly when its effects do.
import { and, eq } from 'drizzle-orm';
import { idempotencyKeys, type IdempotencyRow, type NewIdempotency } from './schema.js';
import type { Db, Tx } from './types.js';

export async function findIdempotency(tx: Db | Tx, actorId: string, key: string): Promise<IdempotencyRow | null> {
  const [row] = await tx
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.actorId, actorId), eq(idempotencyKeys.key, key)))
    .limit(1);
  return row ?? null;
}

/** Records the answer to a keyed request; false when the key was already taken (a concurrent retry). */
export async function insertIdempotency(tx: Db | Tx, row: NewIdempotency): Promise<boolean> {
  const inserted = await tx
    .insert(idempotencyKeys)
    .values(row)
    .onConflictDoNothing({ target: [idempotencyKeys.actorId, idempotencyKeys.key] })
    .returning({ key: idempotencyKeys.key });
  return inserted.length === 1;
}
