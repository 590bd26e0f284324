// Reads for the exports (src/engine/exports.ts), in keyset batches: each batch is one short query on its own,
// so an export of 100,000 rows holds no transaction, no cursor and no pool connection while the download is
// under way (a slow client would otherwise keep a snapshot open for minutes, and on PGlite — one session — stop
// every other request), and memory is one batch. Rows changed between batches may move, as between pages.
// The export log: its append and its list.
import { and, asc, desc, eq, gt, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import { worklistColumns, worklistWhere, type WorklistQuery, type WorklistRow } from './caseSearch.js';
import { startsWith } from './prefix.js';
import { cases, exportLog, facilities, guardians, households, members, regions, type ExportLogRow, type NewExportLog } from './schema.js';
import type { Db, Tx } from './types.js';

export const MAX_EXPORT_BATCH = 5000;

function checkBatch(limit: number) {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_EXPORT_BATCH) throw new RangeError(`limit must be an integer from 1 to ${MAX_EXPORT_BATCH}`);
}

/**
 * One batch of a work list in case-number order after `afterCaseNumber`: the unique index on case_number is
 * the keyset, and a county's numbers all start with its code, so a county's export walks one range of it.
 */
export async function worklistExportBatch(
  tx: Db | Tx,
  q: Omit<WorklistQuery, 'offset' | 'limit'>,
  afterCaseNumber: string | null,
  limit: number,
): Promise<WorklistExportRow[]> {
  checkBatch(limit);
  if (q.states && q.states.length === 0) return [];
  const conditions: (SQL | undefined)[] = [worklistWhere(tx, q)];
  if (afterCaseNumber) conditions.push(gt(cases.caseNumber, afterCaseNumber));
  if (q.jurisdictionPrefix.length >= 6) {
    // The same county as the prefix, said in the index's terms (411282-…): a range scan instead of a full one.
    const county = q.jurisdictionPrefix.slice(0, 6);
    conditions.push(sql`${cases.caseNumber} >= ${`${county}-`}`, sql`${cases.caseNumber} < ${`${county}.`}`);
  }
  // Only what the export shows: fewer columns to send and parse than a page of GET /worklist.
  const { caseNumber, state, reviewLevel, deadlineKey, deadlineAt, placementMode, openedAt, address, headName, villageName, townshipName } = worklistColumns;
  const found = await tx
    .select({ caseNumber, state, reviewLevel, deadlineKey, deadlineAt, placementMode, openedAt, address, headName, villageName, townshipName })
    .from(cases)
    .innerJoin(households, eq(households.id, cases.householdId))
    .where(and(...conditions))
    .orderBy(asc(cases.caseNumber))
    .limit(limit);
  return found;
}

export type WorklistExportRow = Pick<WorklistRow, 'caseNumber' | 'state' | 'reviewLevel' | 'deadlineKey' | 'deadlineAt' | 'placementMode' | 'openedAt' | 'address' | 'headName' | 'villageName' | 'townshipName'>;

export interface RosterRow {
  caseId: string;
  caseNumber: string;
  villageCode: string;
  villageName: string | null;
  townshipName: string | null;
  position: number;
  name: string;
  relation: string;
  idNumber: string;
  birthDate: string;
  sex: 'male' | 'female';
  categories: string[];
  placementMode: string | null;
  facilityName: string | null;
  guardianName: string | null;
  placementStartDate: string | null;
  nextRevisitAt: Date | null;
}

export interface RosterCursor {
  villageCode: string;
  caseNumber: string;
}

/**
 * One batch of the 花名册: every member of `limit` open placed cases (state `active…`) in a region, by village,
 * case number and member position; a case's members are never split between batches. The keyset walks the
 * cases by (village code, case number): the village index gives the village order and each batch starts at its
 * cursor's village, so a batch costs the same at the end of a county as at its start.
 */
export async function rosterBatch(tx: Db | Tx, q: { regionPrefix: string; after: RosterCursor | null; limit: number }): Promise<RosterRow[]> {
  checkBatch(q.limit);
  const conditions: (SQL | undefined)[] = [
    startsWith(cases.villageCode, q.regionPrefix, 'regionPrefix'),
    q.regionPrefix.length >= 6 ? eq(cases.countyCode, q.regionPrefix.slice(0, 6)) : undefined,
    eq(cases.closed, false),
    or(eq(cases.state, 'active'), sql`${cases.state} like 'active.%'`),
  ];
  if (q.after) {
    const a = q.after;
    conditions.push(sql`${cases.villageCode} >= ${a.villageCode}`, sql`(${cases.villageCode}, ${cases.caseNumber}) > (${a.villageCode}, ${a.caseNumber})`);
  }
  // The batch's cases first (a LIMIT over the cases alone, carrying what the rows need of them), then their
  // members: one statement, and the cases table is read once.
  const page = tx
    .select({
      id: cases.id,
      householdId: cases.householdId,
      caseNumber: cases.caseNumber,
      villageCode: cases.villageCode,
      townshipCode: cases.townshipCode,
      placementMode: cases.placementMode,
      facilityId: cases.facilityId,
      guardianId: cases.guardianId,
      nextRevisitAt: sql<Date | null>`case when ${cases.deadlineKey} = 'revisit' then ${cases.deadlineAt} end`.as('next_revisit_at'),
      placement: sql<unknown>`${cases.snapshot}->'context'->'placement'`.as('placement'),
    })
    .from(cases)
    .where(and(...conditions))
    .orderBy(asc(cases.villageCode), asc(cases.caseNumber))
    .limit(q.limit)
    .as('page');
  const found = await tx
    .select({
      caseId: page.id,
      caseNumber: page.caseNumber,
      villageCode: page.villageCode,
      villageName: sql<string | null>`(select r.name from ${regions} r where r.code = ${page.villageCode})`,
      townshipName: sql<string | null>`(select r.name from ${regions} r where r.code = ${page.townshipCode} || '000')`,
      position: members.position,
      name: members.name,
      relation: members.relation,
      idNumber: members.idNumber,
      birthDate: members.birthDate,
      sex: members.sex,
      categories: members.categories,
      placementMode: page.placementMode,
      // The registry's current name; the one recorded at placement when the registry row is gone.
      facilityName: sql<string | null>`coalesce(${facilities.name}, ${page.placement}->'facility'->>'name')`,
      guardianName: sql<string | null>`coalesce(${guardians.name}, ${page.placement}->'guardian'->>'name')`,
      placementStartDate: sql<string | null>`${page.placement}->>'startDate'`,
      nextRevisitAt: sql<Date | null>`${page.nextRevisitAt}`.mapWith(cases.deadlineAt),
    })
    .from(page)
    .innerJoin(members, eq(members.householdId, page.householdId))
    .leftJoin(facilities, eq(facilities.id, page.facilityId))
    .leftJoin(guardians, eq(guardians.id, page.guardianId))
    .orderBy(asc(page.villageCode), asc(page.caseNumber), asc(members.position));
  return found as RosterRow[];
}

/** Case numbers and region names for a batch of case ids (the overdue export's rows carry ids only). */
export async function caseNumbersOf(tx: Db | Tx, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const found = await tx
    .select({ id: cases.id, caseNumber: cases.caseNumber })
    .from(cases)
    .where(inArray(cases.id, [...ids]));
  return new Map(found.map((r) => [r.id, r.caseNumber]));
}

export async function appendExportLog(tx: Db | Tx, entry: NewExportLog): Promise<ExportLogRow> {
  const [row] = await tx.insert(exportLog).values(entry).returning();
  return row;
}

/** Export records whose scope lies inside `prefix`, newest first, before `beforeId`. */
export async function listExportLog(tx: Db | Tx, q: { prefix: string; beforeId?: number; limit: number }): Promise<ExportLogRow[]> {
  return tx
    .select()
    .from(exportLog)
    .where(and(startsWith(exportLog.scope, q.prefix, 'prefix'), q.beforeId ? lt(exportLog.id, q.beforeId) : undefined))
    .orderBy(desc(exportLog.id))
    .limit(q.limit);
}
