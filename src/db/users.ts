// Users: who may act, with which roles, over which jurisdiction (a region-code prefix).
import { and, arrayContains, eq, sql } from 'drizzle-orm';
import { users, type NewUser, type ReviewLevel, type Role, type UserRow } from './schema.js';
import type { Db, Tx } from './types.js';
import { isUuid } from './uuid.js';

export async function findUserById(tx: Db | Tx, id: string): Promise<UserRow | null> {
  if (!isUuid(id)) return null;
  const [row] = await tx.select().from(users).where(eq(users.id, id)).limit(1);
  return row ?? null;
}

export async function findUserByUsername(tx: Db | Tx, username: string): Promise<UserRow | null> {
  const [row] = await tx.select().from(users).where(eq(users.username, username)).limit(1);
  return row ?? null;
}

/**
 * Inserts a user, or updates the one with the same username (so seeding can run repeatedly). The id and
 * created_at of an existing user are kept.
 */
export async function insertUser(tx: Db | Tx, user: NewUser): Promise<UserRow> {
  const [row] = await tx
    .insert(users)
    .values(user)
    .onConflictDoUpdate({
      target: users.username,
      set: {
        displayName: sql`excluded.display_name`,
        roles: sql`excluded.roles`,
        reviewLevel: sql`excluded.review_level`,
        jurisdiction: sql`excluded.jurisdiction`,
        active: sql`excluded.active`,
        demo: sql`excluded.demo`,
        kind: sql`excluded.kind`,
        // A password someone has set is never overwritten by a re-seed.
        passwordHash: sql`coalesce(${users.passwordHash}, excluded.password_hash)`,
      },
    })
    .returning();
  return row;
}

/**
 * Active users holding `role` whose jurisdiction covers `villageCode` (their prefix starts it), e.g. the
 * reviewers to remind about a case, or the supervisors to escalate to.
 */
export async function findUsersCovering(
  tx: Db | Tx,
  query: { villageCode: string; role: Role; reviewLevel?: ReviewLevel },
): Promise<UserRow[]> {
  return tx
    .select()
    .from(users)
    .where(
      and(
        eq(users.active, true),
        arrayContains(users.roles, [query.role]),
        sql`starts_with(${query.villageCode}::text, ${users.jurisdiction})`,
        query.reviewLevel ? eq(users.reviewLevel, query.reviewLevel) : undefined,
      ),
    )
    .orderBy(users.username);
}
