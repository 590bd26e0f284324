// Occupancy of facilities, derived from the open cases placed there (never typed in). A placed household
// moves in whole, so residents are the members of those households: one bed each.
import { and, count, eq, inArray, ne } from 'drizzle-orm';
import { cases, members } from './schema.js';
import type { Db, Tx } from './types.js';

/** Residents per facility for a set of facilities, in one grouped query. */
export async function facilityOccupancy(tx: Db | Tx, facilityIds: readonly string[], exceptCaseId?: string): Promise<Map<string, number>> {
  if (facilityIds.length === 0) return new Map();
  const found = await tx
    .select({ facilityId: cases.facilityId, n: count() })
    .from(cases)
    .innerJoin(members, eq(members.householdId, cases.householdId))
    // A case placed again (after reassessment) does not count against its own new placement.
    .where(and(inArray(cases.facilityId, [...facilityIds]), eq(cases.closed, false), exceptCaseId ? ne(cases.id, exceptCaseId) : undefined))
    .groupBy(cases.facilityId);
  return new Map(found.map((r) => [r.facilityId as string, Number(r.n)]));
}
