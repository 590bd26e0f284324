// Inboxes: the cases waiting on a role (by state) and, for reviewers, a level, inside a jurisdiction,
// oldest deadline first. Keyset paging on (deadline_at, id); cases without a deadline come last.
import { and, asc, eq, getTableColumns, gt, inArray, isNull, or, sql, type SQL } from 'drizzle-orm';
import { startsWith } from './prefix.js';
import { cases } from './schema.js';
import type { CaseSummary } from './caseList.js';
import type { Db, Tx } from './types.js';

const { snapshot: _snapshot, ...summaryColumns } = getTableColumns(cases);

export interface InboxQuery {
  jurisdictionPrefix: string;
  states: readonly string[];
  reviewLevel?: string | null;
  /** Cursor from the previous page. */
  after?: { deadlineAt: Date | null; id: string };
  limit: number;
}

export async function listInbox(tx: Db | Tx, q: InboxQuery): Promise<{ items: CaseSummary[]; next: { deadlineAt: Date | null; id: string } | null }> {
  if (q.states.length === 0) return { items: [], next: null };
  const conditions: SQL[] = [startsWith(cases.villageCode, q.jurisdictionPrefix, 'jurisdictionPrefix'), inArray(cases.state, [...q.states])];
  if (q.jurisdictionPrefix.length >= 6) conditions.push(eq(cases.countyCode, q.jurisdictionPrefix.slice(0, 6)));
  if (q.reviewLevel) conditions.push(eq(cases.reviewLevel, q.reviewLevel));
  if (q.after) {
    const { deadlineAt, id } = q.after;
    conditions.push(
      deadlineAt
        ? or(gt(cases.deadlineAt, deadlineAt), and(eq(cases.deadlineAt, deadlineAt), gt(cases.id, id)), isNull(cases.deadlineAt))!
        : and(isNull(cases.deadlineAt), gt(cases.id, id))!,
    );
  }
  const found = await tx
    .select(summaryColumns)
    .from(cases)
    .where(and(...conditions))
    .orderBy(sql`${cases.deadlineAt} asc nulls last`, asc(cases.id))
    .limit(q.limit + 1);
  const items = found.slice(0, q.limit);
  const last = items.at(-1);
  return { items, next: found.length > q.limit && last ? { deadlineAt: last.deadlineAt, id: last.id } : null };
}

