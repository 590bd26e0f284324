// The work list behind the console's 待办 and 案件查询 pages: cases inside a jurisdiction with the filters a
// person uses (step, review level, township / village, category, overdue, a name, an address or the last digits
// of an ID number), soonest deadline first, in numbered pages with a total. Each row carries what a person
// recognises a case by: the head of household's name, the address, the village's and township's names.
import { and, arrayContains, eq, exists, getTableColumns, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import type { CaseSummary } from './caseList.js';
import { startsWith } from './prefix.js';
import { cases, households, members, regions, type Category } from './schema.js';
import type { Db, Tx } from './types.js';

const { snapshot: _snapshot, ...summaryColumns } = getTableColumns(cases);

export interface WorklistQuery {
  jurisdictionPrefix: string;
  /** A township or village inside the jurisdiction. */
  regionPrefix?: string;
  /** Exact states (an inbox: the states waiting on a role). */
  states?: readonly string[];
  /** A step: 'review' also matches 'review.township'. */
  step?: string;
  reviewLevel?: string | null;
  category?: Category;
  /** Cases whose step deadline passed before this instant. */
  overdueAt?: Date;
  /** Closed cases too (default: open only). */
  includeClosed?: boolean;
  /** Words in a member's name or the address. */
  text?: string;
  /** The last digits of a member's ID number (only for roles that see ID numbers; the engine decides). */
  idSuffix?: string;
  offset: number;
  limit: number;
}

export type WorklistRow = CaseSummary & { address: string; headName: string | null; villageName: string | null; townshipName: string | null };

/** What each row of a work list carries: the case and what a person recognises it by. */
export const worklistColumns = {
  ...summaryColumns,
  address: households.address,
  headName: sql<string | null>`(select m.name from ${members} m where m.household_id = ${cases.householdId} order by m.position limit 1)`,
  villageName: sql<string | null>`(select r.name from ${regions} r where r.code = ${cases.villageCode})`,
  townshipName: sql<string | null>`(select r.name from ${regions} r where r.code = ${cases.townshipCode} || '000')`,
};

const like = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The filters of a work list as one WHERE condition (shared by the numbered pages and the export's batches). */
export function worklistWhere(tx: Db | Tx, q: Omit<WorklistQuery, 'offset' | 'limit'>): SQL | undefined {
  const conditions: SQL[] = [startsWith(cases.villageCode, q.jurisdictionPrefix, 'jurisdictionPrefix')];
  if (q.jurisdictionPrefix.length >= 6) conditions.push(eq(cases.countyCode, q.jurisdictionPrefix.slice(0, 6)));
  if (q.regionPrefix) conditions.push(startsWith(cases.villageCode, q.regionPrefix, 'regionPrefix'));
  if (q.states) conditions.push(inArray(cases.state, [...q.states]));
  if (q.step) conditions.push(or(eq(cases.state, q.step), sql`${cases.state} like ${`${like(q.step)}.%`}`)!);
  if (q.reviewLevel) conditions.push(eq(cases.reviewLevel, q.reviewLevel));
  if (!q.includeClosed) conditions.push(eq(cases.closed, false));
  if (q.overdueAt) conditions.push(lt(cases.deadlineAt, q.overdueAt));
  if (q.category) {
    conditions.push(exists(tx.select({ one: sql`1` }).from(members).where(and(eq(members.householdId, cases.householdId), arrayContains(members.categories, [q.category])))));
  }
  if (q.text) {
    const pattern = `%${like(q.text)}%`;
    conditions.push(
      or(
        exists(tx.select({ one: sql`1` }).from(households).where(and(eq(households.id, cases.householdId), sql`${households.address} like ${pattern}`))),
        exists(tx.select({ one: sql`1` }).from(members).where(and(eq(members.householdId, cases.householdId), sql`${members.name} like ${pattern}`))),
      )!,
    );
  }
  if (q.idSuffix) {
    conditions.push(exists(tx.select({ one: sql`1` }).from(members).where(and(eq(members.householdId, cases.householdId), sql`${members.idNumber} like ${`%${like(q.idSuffix)}`}`))));
  }
  return and(...conditions);
}

export async function searchWorklist(tx: Db | Tx, q: WorklistQuery): Promise<{ items: WorklistRow[]; total: number }> {
  if (q.states && q.states.length === 0) return { items: [], total: 0 };
  const where = worklistWhere(tx, q);
  const [{ total }] = await tx.select({ total: sql<number>`count(*)::int` }).from(cases).where(where);
  if (total === 0 || q.offset >= total) return { items: [], total };
  const rows = await tx
    .select(worklistColumns)
    .from(cases)
    .innerJoin(households, eq(households.id, cases.householdId))
    .where(where)
    .orderBy(sql`${cases.deadlineAt} asc nulls last`, sql`${cases.openedAt} asc`, sql`${cases.id} asc`)
    .limit(q.limit)
    .offset(q.offset);
  return { items: rows as WorklistRow[], total };
}
