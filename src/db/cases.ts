// Cases: one row per household path, holding the persisted machine snapshot and the columns the lists,
// dashboards and deadline queries need. Only the engine writes them, one transaction per command.
import { and, eq, inArray, sql } from 'drizzle-orm';
import { CASE_NUMBER_TIME_ZONE, formatCaseNumber, isCaseNumber } from '../domain/caseNumber.js';
import { cases, members, type CaseRow, type NewCase } from './schema.js';
import { rows, type Db, type Tx } from './types.js';
import { isUuid } from './uuid.js';

/**
 * What a caller supplies for a new case; the township and county codes are derived from the village, and the case
 * number is taken from the county's counter for the year of `openedAt` (now when absent).
 */
export type NewCaseInput = Omit<NewCase, 'townshipCode' | 'countyCode' | 'rowVersion' | 'closed' | 'updatedAt' | 'caseNumber'>;

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

/**
 * Inserts a case outside the command path (tests, tools). Call it in a transaction for a gap-free number: the
 * counter is taken by a statement of its own here (the command path takes it in its insert, commandWrites.ts).
 */
export async function insertCase(tx: Db | Tx, input: NewCaseInput): Promise<CaseRow> {
  const openedAt = input.openedAt ?? new Date();
  const countyCode = input.villageCode.slice(0, 6);
  const [row] = await tx
    .insert(cases)
    .values({
      ...input,
      openedAt,
      updatedAt: openedAt,
      townshipCode: input.villageCode.slice(0, 9),
      countyCode,
      caseNumber: await takeCaseNumber(tx, countyCode, openedAt),
    })
    .returning();
  return row;
}

/** The next case number of a county for the year of `at` in China time (see src/domain/caseNumber.ts). */
export async function takeCaseNumber(tx: Db | Tx, countyCode: string, at: Date): Promise<string> {
  const [r] = rows<{ county_code: string; year: number; last: number }>(
    await tx.execute(sql`insert into case_number_counters as k (county_code, year, last)
      values (${countyCode}, extract(year from ${at.toISOString()}::timestamptz at time zone ${CASE_NUMBER_TIME_ZONE})::int, 1)
      on conflict (county_code, year) do update set last = k.last + 1
      returning county_code, year, last`),
  );
  return formatCaseNumber(r.county_code, Number(r.year), Number(r.last));
}

export async function findCaseByNumber(tx: Db | Tx, caseNumber: string): Promise<CaseRow | null> {
  if (!isCaseNumber(caseNumber)) return null;
  const [row] = await tx.select().from(cases).where(eq(cases.caseNumber, caseNumber)).limit(1);
  return row ?? null;
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
