// Occupancy of facilities, derived from open cases placed there (never typed in).
import { and, count, eq, inArray } from 'drizzle-orm';
import { cases } from './schema.js';
import type { Db, Tx } from './types.js';

/** Open cases whose current placement is in this facility: its occupied beds. */
export async function countFacilityResidents(tx: Db | Tx, facilityId: string): Promise<number> {
  const [row] = await tx
    .select({ n: count() })
    .from(cases)
    .where(and(eq(cases.facilityId, facilityId), eq(cases.closed, false)));
  return Number(row?.n ?? 0);
}

/** Residents per facility for a set of facilities, in one grouped query. */
export async function facilityOccupancy(tx: Db | Tx, facilityIds: readonly string[]): Promise<Map<string, number>> {
  if (facilityIds.length === 0) return new Map();
  const found = await tx
    .select({ facilityId: cases.facilityId, n: count() })
    .from(cases)
    .where(and(inArray(cases.facilityId, [...facilityIds]), eq(cases.closed, false)))
    .groupBy(cases.facilityId);
  return new Map(found.map((r) => [r.facilityId as string, Number(r.n)]));
}
