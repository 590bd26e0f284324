// Account management queries (admins): list, lock for change, create, update. Sign-in reads users.ts.
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { users, type NewUser, type UserRow } from './schema.js';
import type { Db, Tx } from './types.js';
import { isUuid } from './uuid.js';

export async function lockUser(tx: Tx, id: string): Promise<UserRow | null> {
  if (!isUuid(id)) return null;
  const [row] = await tx.select().from(users).where(eq(users.id, id)).for('update').limit(1);
  return row ?? null;
}

export async function createAccount(tx: Db | Tx, user: NewUser): Promise<UserRow> {
  const [row] = await tx.insert(users).values(user).returning();
  return row;
}

export async function updateAccount(tx: Db | Tx, id: string, patch: Partial<NewUser>): Promise<UserRow> {
  const [row] = await tx.update(users).set(patch).where(eq(users.id, id)).returning();
  return row;
}

/** Users whose jurisdiction lies inside `prefix`, by username; `after` pages on the username. */
export async function listAccounts(
  tx: Db | Tx,
  query: { prefix: string; after?: string; limit: number; active?: boolean },
): Promise<UserRow[]> {
  return tx
    .select()
    .from(users)
    .where(
      and(
        sql`starts_with(${users.jurisdiction}, ${query.prefix})`,
        query.after ? gt(users.username, query.after) : undefined,
        query.active === undefined ? undefined : eq(users.active, query.active),
      ),
    )
    .orderBy(asc(users.username))
    .limit(query.limit);
}

export async function findUserByExternalId(tx: Db | Tx, externalId: string): Promise<UserRow | null> {
  const [row] = await tx.select().from(users).where(eq(users.externalId, externalId)).limit(1);
  return row ?? null;
}

export async function countDemoUsers(tx: Db | Tx): Promise<number> {
  const [row] = await tx.select({ n: sql<number>`count(*)::int` }).from(users).where(eq(users.demo, true));
  return row?.n ?? 0;
}

/** Which unique constraint of users a 23505 error broke, if any. */
export function userConflictField(err: unknown): 'username' | 'externalId' | null {
  const e = err as { code?: string; constraint_name?: string; constraint?: string; cause?: unknown } | null;
  if (!e) return null;
  if (e.code !== '23505') return e.cause ? userConflictField(e.cause) : null;
  const name = e.constraint_name ?? e.constraint;
  if (name === 'users_username_unique') return 'username';
  if (name === 'users_external_id_unique') return 'externalId';
  return null;
}
