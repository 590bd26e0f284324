// Households (户) and their members, written by the survey and read by screening, evaluation and placement.
import { asc, eq } from 'drizzle-orm';
import {
  households,
  members,
  type Category,
  type HouseholdRow,
  type MemberRow,
  type NewHousehold,
  type NewMember,
} from './schema.js';
import type { Db, Tx } from './types.js';
import { isUuid } from './uuid.js';

/** A member as the survey gives it; its position is its index in the list (1 = head, 户主). */
export type NewMemberInput = Omit<NewMember, 'householdId' | 'position'>;

export interface HouseholdWithMembers {
  household: HouseholdRow;
  members: MemberRow[];
}

/** Inserts a household and its members atomically (in a savepoint when `tx` is already a transaction). */
export async function insertHousehold(
  tx: Db | Tx,
  household: NewHousehold,
  memberInputs: readonly NewMemberInput[],
): Promise<HouseholdWithMembers> {
  return tx.transaction(async (inner) => {
    const [row] = await inner.insert(households).values(household).returning();
    const memberRows =
      memberInputs.length === 0
        ? []
        : await inner
            .insert(members)
            .values(memberInputs.map((m, i) => ({ ...m, householdId: row.id, position: i + 1 })))
            .returning();
    memberRows.sort((a, b) => a.position - b.position);
    return { household: row, members: memberRows };
  });
}

/** A household with its members in position order, or null. */
export async function loadHousehold(tx: Db | Tx, id: string): Promise<HouseholdWithMembers | null> {
  if (!isUuid(id)) return null;
  const [household] = await tx.select().from(households).where(eq(households.id, id)).limit(1);
  if (!household) return null;
  const memberRows = await tx
    .select()
    .from(members)
    .where(eq(members.householdId, id))
    .orderBy(asc(members.position));
  return { household, members: memberRows };
}

/** Records the categories (五类) the evaluator confirmed for one member; false when there is no such member. */
export async function updateMemberCategories(
  tx: Db | Tx,
  memberId: string,
  categories: readonly Category[],
): Promise<boolean> {
  if (!isUuid(memberId)) return false;
  const updated = await tx
    .update(members)
    .set({ categories: [...new Set(categories)] })
    .where(eq(members.id, memberId))
    .returning({ id: members.id });
  return updated.length === 1;
}

/**
 * Replaces a household's survey (UPDATE_SURVEY while the case is still in `survey`): its fields and its
 * whole member list, which gets new member ids. Returns the members in position order.
 */
export async function replaceSurvey(
  tx: Db | Tx,
  householdId: string,
  fields: Partial<Pick<NewHousehold, 'villageCode' | 'address' | 'poorId' | 'legalSupporter'>>,
  memberInputs: readonly NewMemberInput[],
): Promise<MemberRow[]> {
  await tx.update(households).set(fields).where(eq(households.id, householdId));
  await tx.delete(members).where(eq(members.householdId, householdId));
  const rows = await tx
    .insert(members)
    .values(memberInputs.map((m, i) => ({ ...m, householdId, position: i + 1 })))
    .returning();
  return rows.sort((a, b) => a.position - b.position);
}
