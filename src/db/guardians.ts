// The guardian registry (dispersed care, 分散托养). A guardian's load is derived: the open cases naming them.
import { and, asc, count, eq, inArray, ne, type SQL } from 'drizzle-orm';
import { startsWith } from './prefix.js';
import { cases, guardians, type GuardianRow, type NewGuardian } from './schema.js';
import type { Db, Tx } from './types.js';
import { isUuid } from './uuid.js';

export async function insertGuardian(tx: Db | Tx, row: NewGuardian): Promise<GuardianRow> {
  const [g] = await tx.insert(guardians).values(row).returning();
  return g;
}

export async function findGuardian(tx: Db | Tx, id: string): Promise<GuardianRow | null> {
  if (!isUuid(id)) return null;
  const [g] = await tx.select().from(guardians).where(eq(guardians.id, id)).limit(1);
  return g ?? null;
}

/**
 * Loads and locks a guardian (SELECT … FOR UPDATE), as PLACE does (commandSql.ts), so that lowering the
 * maximum and a placement counting the wards cannot both go through against the same count.
 */
export async function lockGuardian(tx: Tx, id: string): Promise<GuardianRow | null> {
  if (!isUuid(id)) return null;
  const [g] = await tx.select().from(guardians).where(eq(guardians.id, id)).limit(1).for('update');
  return g ?? null;
}

export async function updateGuardian(tx: Db | Tx, id: string, fields: Partial<Pick<NewGuardian, 'name' | 'phone' | 'maxWards' | 'active'>>): Promise<GuardianRow | null> {
  if (!isUuid(id)) return null;
  const [g] = await tx.update(guardians).set(fields).where(eq(guardians.id, id)).returning();
  return g ?? null;
}

export async function listGuardians(tx: Db | Tx, q: { regionPrefix: string; kind?: GuardianRow['kind'] }): Promise<GuardianRow[]> {
  const conditions: SQL[] = [startsWith(guardians.regionCode, q.regionPrefix, 'regionPrefix')];
  if (q.kind) conditions.push(eq(guardians.kind, q.kind));
  return tx.select().from(guardians).where(and(...conditions)).orderBy(asc(guardians.regionCode), asc(guardians.name));
}

/** Open cases in each guardian's care, optionally not counting one case (a case being placed again). */
export async function guardianWards(tx: Db | Tx, guardianIds: readonly string[], exceptCaseId?: string): Promise<Map<string, number>> {
  if (guardianIds.length === 0) return new Map();
  const found = await tx
    .select({ guardianId: cases.guardianId, n: count() })
    .from(cases)
    .where(and(inArray(cases.guardianId, [...guardianIds]), eq(cases.closed, false), exceptCaseId ? ne(cases.id, exceptCaseId) : undefined))
    .groupBy(cases.guardianId);
  return new Map(found.map((r) => [r.guardianId as string, Number(r.n)]));
}

/** Inserts a guardian with a known id, or updates its figures (the demo seed). */
export async function upsertGuardian(tx: Db | Tx, row: NewGuardian & { id: string }): Promise<void> {
  await tx
    .insert(guardians)
    .values(row)
    .onConflictDoUpdate({ target: guardians.id, set: { name: row.name, kind: row.kind, regionCode: row.regionCode, phone: row.phone, maxWards: row.maxWards ?? null } });
}
