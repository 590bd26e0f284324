// Listing cases for work queues and supervisors' views: keyset pagination by id, always bounded by the
// reader's jurisdiction (a region-code prefix of the case's village code).
import { and, arrayContains, asc, eq, exists, getTableColumns, gt, or, sql, type SQL } from 'drizzle-orm';
import { startsWith } from './prefix.js';
import { cases, members, type CaseRow, type Category } from './schema.js';
import type { Db, Tx } from './types.js';
import { isUuid } from './uuid.js';

/** A case without its snapshot: what lists show (the snapshot is read per case). */
export type CaseSummary = Omit<CaseRow, 'snapshot'>;
const { snapshot: _snapshot, ...caseSummaryColumns } = getTableColumns(cases);

export interface ListCasesQuery {
  /** The reader's jurisdiction; required so that no caller can forget it. */
  jurisdictionPrefix: string;
  /** A state value; 'review' also matches its sub-states ('review.township'). */
  state?: string;
  /** A narrower region within the jurisdiction (a filter chosen by the reader). */
  regionPrefix?: string;
  /** Cases where any member has this confirmed category. */
  category?: Category;
  /** The last id of the previous page. */
  after?: string;
  limit: number;
}

export interface CasePage {
  items: CaseSummary[];
  /** Pass as `after` for the next page; null on the last page. */
  nextAfter: string | null;
}

export const MAX_PAGE_SIZE = 500;

/**
 * One page of cases in id order. Ids are random uuids, so the order is arbitrary but stable, which is all
 * keyset paging needs; new cases may land on pages already read.
 */
export async function listCases(tx: Db | Tx, query: ListCasesQuery): Promise<CasePage> {
  if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > MAX_PAGE_SIZE) {
    throw new RangeError(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  }
  if (query.after !== undefined && !isUuid(query.after)) throw new RangeError('after must be a case id');
  const conditions: SQL[] = [
    ...prefixConditions(query.jurisdictionPrefix, 'jurisdictionPrefix'),
    ...(query.regionPrefix ? prefixConditions(query.regionPrefix, 'regionPrefix') : []),
  ];
  if (query.state) {
    conditions.push(or(eq(cases.state, query.state), sql`${cases.state} like ${`${escapeLike(query.state)}.%`}`)!);
  }
  if (query.category) {
    conditions.push(
      exists(
        tx
          .select({ one: sql`1` })
          .from(members)
          .where(and(eq(members.householdId, cases.householdId), arrayContains(members.categories, [query.category]))),
      ),
    );
  }
  if (query.after) conditions.push(gt(cases.id, query.after));

  const found = await tx
    .select(caseSummaryColumns)
    .from(cases)
    .where(and(...conditions))
    .orderBy(asc(cases.id))
    .limit(query.limit + 1);
  const items = found.slice(0, query.limit);
  return { items, nextAfter: found.length > query.limit ? items[items.length - 1].id : null };
}

/**
 * village_code LIKE 'prefix%', plus equality on the county code when the prefix fixes it, so the planner can
 * use the (county_code, …) indexes: LIKE uses a btree only under the C collation.
 */
function prefixConditions(prefix: string, what: string): SQL[] {
  const conditions = [startsWith(cases.villageCode, prefix, what)];
  if (prefix.length >= 6) conditions.push(eq(cases.countyCode, prefix.slice(0, 6)));
  return conditions;
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}
