// Facilities for centralized support and treatment (三个一批): capacity figures checked at placement.
import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import { startsWith } from './prefix.js';
import { facilities, type FacilityRow, type FacilityType, type NewFacility } from './schema.js';
import type { Db, Tx } from './types.js';
import { isUuid } from './uuid.js';

export type FacilityUpdate = Partial<
  Pick<NewFacility, 'name' | 'type' | 'regionCode' | 'beds' | 'caregivers' | 'medicalStaff' | 'patientsPerMedicalStaff' | 'updatedAt'>
>;

export async function insertFacility(tx: Db | Tx, facility: NewFacility): Promise<FacilityRow> {
  const [row] = await tx.insert(facilities).values(facility).returning();
  return row;
}

export async function findFacility(tx: Db | Tx, id: string): Promise<FacilityRow | null> {
  if (!isUuid(id)) return null;
  const [row] = await tx.select().from(facilities).where(eq(facilities.id, id)).limit(1);
  return row ?? null;
}

/**
 * Loads and locks a facility (SELECT … FOR UPDATE) so that two placements into it cannot both take the last
 * bed or both push it past five residents per caregiver.
 */
export async function lockFacility(tx: Tx, id: string): Promise<FacilityRow | null> {
  if (!isUuid(id)) return null;
  const [row] = await tx.select().from(facilities).where(eq(facilities.id, id)).limit(1).for('update');
  return row ?? null;
}

export async function listFacilities(
  tx: Db | Tx,
  filter: { regionPrefix: string; type?: FacilityType },
): Promise<FacilityRow[]> {
  const conditions: SQL[] = [startsWith(facilities.regionCode, filter.regionPrefix)];
  if (filter.type) conditions.push(eq(facilities.type, filter.type));
  return tx
    .select()
    .from(facilities)
    .where(and(...conditions))
    .orderBy(asc(facilities.regionCode), asc(facilities.name));
}

/** Updates a facility's figures; null when there is no such facility. */
export async function updateFacility(tx: Db | Tx, id: string, fields: FacilityUpdate): Promise<FacilityRow | null> {
  if (!isUuid(id)) return null;
  const [row] = await tx
    .update(facilities)
    .set({ ...fields, updatedAt: fields.updatedAt ?? sql`now()` })
    .where(eq(facilities.id, id))
    .returning();
  return row ?? null;
}
