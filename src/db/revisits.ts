// The revisit log (回访记录), written in the transaction of the RECORD_REVISIT command, and the revisits due.
import { and, asc, eq, getTableColumns, lte, type SQL } from 'drizzle-orm';
import { startsWith } from './prefix.js';
import { cases, revisits, type RevisitRow } from './schema.js';
import type { CaseSummary } from './caseList.js';
import type { Db, Tx } from './types.js';

export async function listRevisits(tx: Db | Tx, caseId: string): Promise<RevisitRow[]> {
  return tx.select().from(revisits).where(eq(revisits.caseId, caseId)).orderBy(asc(revisits.date), asc(revisits.id));
}

const { snapshot: _snapshot, ...summaryColumns } = getTableColumns(cases);

/** Open placed cases whose next revisit is due by `dueBy`, in a jurisdiction, soonest first. */
export async function listDueRevisits(tx: Db | Tx, q: { jurisdictionPrefix: string; dueBy: Date; limit: number }): Promise<CaseSummary[]> {
  const conditions: SQL[] = [
    startsWith(cases.villageCode, q.jurisdictionPrefix, 'jurisdictionPrefix'),
    eq(cases.closed, false),
    eq(cases.deadlineKey, 'revisit'),
    lte(cases.deadlineAt, q.dueBy),
  ];
  if (q.jurisdictionPrefix.length >= 6) conditions.push(eq(cases.countyCode, q.jurisdictionPrefix.slice(0, 6)));
  return tx.select(summaryColumns).from(cases).where(and(...conditions)).orderBy(asc(cases.deadlineAt), asc(cases.id)).limit(q.limit);
}
