// Occupancy of facilities, derived from open cases placed there (never typed in).
import { and, count, eq } from 'drizzle-orm';
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
