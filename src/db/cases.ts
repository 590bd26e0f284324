// Cases: one row per household path, holding the persisted machine snapshot and the columns the lists,
// dashboards and deadline queries need. Only the engine writes them, one transaction per command.
import { and, eq, inArray, sql } from 'drizzle-orm';
import { cases, members, type CaseRow, type NewCase } from './schema.js';
import type { Db, Tx } from './types.js';
import { isUuid } from './uuid.js';

/** What the engine supplies for a new case; the township and county codes are derived from the village. */
export type NewCaseInput = Omit<NewCase, 'townshipCode' | 'countyCode' | 'rowVersion' | 'closed' | 'updatedAt'>;

/** The columns a command may change. `updatedAt` defaults to the transaction's now(). */
export type CaseUpdate = Partial<
  Pick<
    NewCase,
    | 'machineId'
    | 'machineVersion'
    | 'snapshot'
    | 'state'
    | 'reviewLevel'
    | 'deadlineKey'
    | 'deadlineAt'
    | 'applicationDeadlineAt'
    | 'closed'
    | 'placementMode'
    | 'facilityId'
    | 'guardianId'
    | 'updatedAt'
  >
>;

export async function insertCase(tx: Db | Tx, input: NewCaseInput): Promise<CaseRow> {
  const [row] = await tx
    .insert(cases)
    .values({
      ...input,
      townshipCode: input.villageCode.slice(0, 9),
      countyCode: input.villageCode.slice(0, 6),
      ...(input.openedAt ? { updatedAt: input.openedAt } : {}),
    })
    .returning();
  return row;
}

export async function findCase(tx: Db | Tx, id: string): Promise<CaseRow | null> {
  if (!isUuid(id)) return null;
  const [row] = await tx.select().from(cases).where(eq(cases.id, id)).limit(1);
  return row ?? null;
}

/**
 * Loads a case and locks its row until the transaction ends (SELECT … FOR UPDATE), so commands on one case
 * run one after another and audit records get consecutive seq numbers. Must be called inside a transaction.
 */
export async function lockCase(tx: Tx, id: string): Promise<CaseRow | null> {
  if (!isUuid(id)) return null;
  const [row] = await tx.select().from(cases).where(eq(cases.id, id)).limit(1).for('update');
  return row ?? null;
}

/**
 * Writes a command's result if the case is still at `expectedRowVersion`, and bumps the version.
 * Returns false when another command got there first (the caller answers VERSION_CONFLICT).
 */
export async function updateCase(
  tx: Db | Tx,
  id: string,
  fields: CaseUpdate,
  expectedRowVersion: number,
): Promise<boolean> {
  if (!isUuid(id)) return false;
  const updated = await tx
    .update(cases)
    .set({ ...fields, updatedAt: fields.updatedAt ?? sql`now()`, rowVersion: sql`${cases.rowVersion} + 1` })
    .where(and(eq(cases.id, id), eq(cases.rowVersion, expectedRowVersion)))
    .returning({ id: cases.id });
  return updated.length === 1;
}

/**
 * Open cases (closed = false) that include a person with one of these ID numbers. A reporting helper: the
 * one-open-case-per-person rule is kept by resident_enrolments (its primary key), which the command path reads
 * and writes; that table also frees people of screened-out and rejected cases, which this query still counts.
 */
export async function findOpenCaseByIdNumbers(
  tx: Db | Tx,
  idNumbers: readonly string[],
): Promise<{ caseId: string; idNumber: string }[]> {
  if (idNumbers.length === 0) return [];
  return tx
    .selectDistinct({ caseId: cases.id, idNumber: members.idNumber })
    .from(members)
    .innerJoin(cases, eq(cases.householdId, members.householdId))
    .where(and(inArray(members.idNumber, [...new Set(idNumbers)]), eq(cases.closed, false)))
    .orderBy(cases.id, members.idNumber);
}
