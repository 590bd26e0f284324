// Supervisors' overdue views: open cases whose current step's deadline has passed, within a region, most
// overdue first (deadline_at, id), and counts by county and step.
//
// Written for the partial indexes (migrations 0003 and 0008_overdue_index_only), all
// `where not closed and deadline_at is not null`:
//   cases_overdue_county_idx   (county_code, deadline_at, id)   include (state, deadline_key, review_level, village_code, township_code)
//   cases_overdue_township_idx (township_code, deadline_at, id) include (state, deadline_key, review_level, village_code, county_code)
//   cases_overdue_step_idx     (county_code, deadline_key, deadline_at)
// A page is an index-only range scan: equality on the county (or township), a range on deadline_at and the keyset
// cursor, and every column it returns or filters on is in the index (the INCLUDE columns), so the table is not
// read — as long as the visibility map marks the pages all-visible (VACUUM). A column added to a page must be
// added to both indexes' INCLUDE lists, or the pages go back to reading the table. A region wider than a county (a city supervisor, 4 digits) is walked county by county: a recursive
// "loose index scan" finds the counties present in the index, and a LATERAL subquery reads at most one page from
// each; the pages are merged. Counts read only the overdue entries of cases_overdue_step_idx, (county, step) pair
// by pair (see overdueCountSql).
// tests/db/overduePlan.test.ts shows the plans on PostgreSQL.
import { sql, type SQL } from 'drizzle-orm';
import { assertRegionPrefix } from './prefix.js';
import { rows, type Db, type Tx } from './types.js';
import { isUuid } from './uuid.js';

const DAY_MS = 86_400_000;
export const MAX_OVERDUE_PAGE = 500;

export interface OverdueFilter {
  /** The region to look in: the reader's jurisdiction narrowed by their filters (2 to 12 digits). */
  regionPrefix: string;
  /** The instant "now" (the engine clock). */
  now: Date;
  /** Only cases at least this many whole days past the deadline (0 = any case past it). */
  minDaysOverdue?: number;
}

export interface OverdueQuery extends OverdueFilter {
  /** The step (cases.deadline_key), e.g. review.township. */
  step?: string;
  /** The review level (cases.review_level). */
  reviewLevel?: string;
  /** The last item of the previous page. */
  after?: { deadlineAt: Date; id: string };
  limit: number;
}

export interface OverdueRow {
  id: string;
  state: string;
  step: string;
  reviewLevel: string | null;
  villageCode: string;
  townshipCode: string;
  countyCode: string;
  deadlineAt: Date;
}

export interface OverdueCount {
  countyCode: string;
  step: string;
  count: number;
}

/** The two ends of the county codes under a prefix shorter than a county: 4112 → 411200 … 411299. */
function countyRange(prefix: string): [string, string] {
  return [prefix.padEnd(6, '0'), prefix.padEnd(6, '9')];
}

/** deadline_at past the cut-off: any time before now, or at least N whole days before now. */
function pastDeadline(f: OverdueFilter): SQL {
  const days = f.minDaysOverdue ?? 0;
  if (!Number.isInteger(days) || days < 0) throw new RangeError('minDaysOverdue must be a whole number ≥ 0');
  return days === 0
    ? sql`c.deadline_at < ${f.now.toISOString()}::timestamptz`
    : sql`c.deadline_at <= ${new Date(f.now.getTime() - days * DAY_MS).toISOString()}::timestamptz`;
}

/** Exactly the partial indexes' predicate, so the planner can use them. */
const OPEN_WITH_DEADLINE = sql`not c.closed and c.deadline_at is not null`;

/** Conditions that pin a county or a township for a prefix of 6 digits or more. */
function pinnedRegion(prefix: string): SQL {
  if (prefix.length >= 9) {
    const township = sql`c.township_code = ${prefix.slice(0, 9)}`;
    if (prefix.length === 9) return township;
    return prefix.length === 12
      ? sql`${township} and c.village_code = ${prefix}`
      : sql`${township} and c.village_code like ${`${prefix}%`}`;
  }
  const county = sql`c.county_code = ${prefix.slice(0, 6)}`;
  return prefix.length === 6 ? county : sql`${county} and c.village_code like ${`${prefix}%`}`;
}

/**
 * Distinct county codes under a prefix shorter than a county, read from cases_overdue_county_idx one index
 * descent per county (a recursive CTE named `counties(code)`; the last row is null).
 */
function countiesUnder(prefix: string): SQL {
  const [lo, hi] = countyRange(prefix);
  return sql`counties(code) as (
      (select c.county_code from cases c
        where ${OPEN_WITH_DEADLINE} and c.county_code between ${lo} and ${hi}
        order by c.county_code limit 1)
      union all
      select (select c.county_code from cases c
               where ${OPEN_WITH_DEADLINE} and c.county_code > k.code and c.county_code <= ${hi}
               order by c.county_code limit 1)
        from counties k where k.code is not null
    )`;
}

function checkQuery(q: OverdueQuery): void {
  assertRegionPrefix(q.regionPrefix, 'regionPrefix');
  if (q.regionPrefix.length < 2) throw new RangeError('regionPrefix must name at least a province (2 digits)');
  if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > MAX_OVERDUE_PAGE) {
    throw new RangeError(`limit must be an integer from 1 to ${MAX_OVERDUE_PAGE}`);
  }
  if (q.after && (!isUuid(q.after.id) || Number.isNaN(q.after.deadlineAt.getTime()))) throw new RangeError('after must be a deadline and a case id');
}

/** The statement listOverdue runs (exported so that the plan test can EXPLAIN exactly it). */
export function overdueListSql(q: OverdueQuery): SQL {
  checkQuery(q);
  const where: SQL[] = [OPEN_WITH_DEADLINE, pastDeadline(q)];
  if (q.step) where.push(sql`c.deadline_key = ${q.step}`);
  if (q.reviewLevel) where.push(sql`c.review_level = ${q.reviewLevel}`);
  if (q.after) where.push(sql`(c.deadline_at, c.id) > (${q.after.deadlineAt.toISOString()}::timestamptz, ${q.after.id}::uuid)`);
  const n = q.limit + 1;
  const columns = sql`c.id, c.state, c.deadline_key as step, c.review_level, c.village_code, c.township_code, c.county_code,
      c.deadline_at as deadline_ts,
      to_char(c.deadline_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as deadline_iso`;

  if (q.regionPrefix.length >= 6) {
    return sql`select ${columns} from cases c
      where ${pinnedRegion(q.regionPrefix)} and ${sql.join(where, sql` and `)}
      order by c.deadline_at, c.id limit ${n}`;
  }
  return sql`with recursive ${countiesUnder(q.regionPrefix)}
    select o.* from counties k
    cross join lateral (
      select ${columns} from cases c
       where c.county_code = k.code and ${sql.join(where, sql` and `)}
       order by c.deadline_at, c.id limit ${n}
    ) o
    where k.code is not null
    order by o.deadline_ts, o.id limit ${n}`;
}

/** One page of overdue cases, most overdue first; `next` is the cursor for the following page. */
export async function listOverdue(tx: Db | Tx, q: OverdueQuery): Promise<{ items: OverdueRow[]; next: { deadlineAt: Date; id: string } | null }> {
  const found = rows<Record<string, unknown>>(await tx.execute(overdueListSql(q))).map(
    (r): OverdueRow => ({
      id: String(r.id),
      state: String(r.state),
      step: String(r.step),
      reviewLevel: (r.review_level as string | null) ?? null,
      villageCode: String(r.village_code),
      townshipCode: String(r.township_code),
      countyCode: String(r.county_code),
      deadlineAt: new Date(String(r.deadline_iso)),
    }),
  );
  const items = found.slice(0, q.limit);
  const last = items.at(-1);
  return { items, next: found.length > q.limit && last ? { deadlineAt: last.deadlineAt, id: last.id } : null };
}

/**
 * The statement countOverdue runs (exported for the plan test). Within a county or wider, it counts only the
 * overdue index entries: a recursive loose index scan over cases_overdue_step_idx finds the (county, step)
 * pairs present, one descent each, and each pair is counted by an index-only range scan on deadline_at. A
 * township or village is small: its overdue rows are read by cases_overdue_township_idx.
 */
export function overdueCountSql(f: OverdueFilter): SQL {
  assertRegionPrefix(f.regionPrefix, 'regionPrefix');
  if (f.regionPrefix.length < 2) throw new RangeError('regionPrefix must name at least a province (2 digits)');
  const past = pastDeadline(f);
  if (f.regionPrefix.length > 6) {
    return sql`select c.county_code, c.deadline_key as step, count(*)::int as n from cases c
      where ${pinnedRegion(f.regionPrefix)} and ${OPEN_WITH_DEADLINE} and ${past}
      group by c.county_code, c.deadline_key
      order by c.county_code, c.deadline_key`;
  }
  const [lo, hi] = f.regionPrefix.length === 6 ? [f.regionPrefix, f.regionPrefix] : countyRange(f.regionPrefix);
  return sql`with recursive pairs(county_code, step) as (
      (select c.county_code, c.deadline_key from cases c
        where ${OPEN_WITH_DEADLINE} and c.county_code between ${lo} and ${hi}
        order by c.county_code, c.deadline_key limit 1)
      union all
      select n.county_code, n.deadline_key from pairs p
      cross join lateral (
        select c.county_code, c.deadline_key from cases c
         where ${OPEN_WITH_DEADLINE} and (c.county_code, c.deadline_key) > (p.county_code, p.step) and c.county_code <= ${hi}
         order by c.county_code, c.deadline_key limit 1
      ) n
    )
    select p.county_code, p.step, x.n from pairs p
    cross join lateral (
      select count(*)::int as n from cases c
       where ${OPEN_WITH_DEADLINE} and c.county_code = p.county_code and c.deadline_key = p.step and ${past}
    ) x
    where x.n > 0
    order by p.county_code, p.step`;
}

/** Overdue open cases counted by county and step. */
export async function countOverdue(tx: Db | Tx, f: OverdueFilter): Promise<OverdueCount[]> {
  return rows<Record<string, unknown>>(await tx.execute(overdueCountSql(f))).map((r) => ({
    countyCode: String(r.county_code),
    step: String(r.step),
    count: Number(r.n),
  }));
}

export interface OverdueAreaCount {
  /** The area one level below the prefix (4, 6, 9 or 12 digits), or the prefix itself for a village. */
  areaCode: string;
  step: string;
  count: number;
}

/** The code length of the areas one level below a region prefix: province → city → county → township → village. */
export function childAreaLength(prefix: string): number {
  return prefix.length < 4 ? 4 : prefix.length < 6 ? 6 : prefix.length < 9 ? 9 : 12;
}

/**
 * Overdue open cases counted by step and by the areas one level below the prefix (the supervisors' drill-down:
 * county → township → village). Within a county the rows are read by the same partial indexes as countOverdue;
 * wider than a county it is countOverdue itself, its counties grouped by their city.
 */
export async function countOverdueByArea(tx: Db | Tx, f: OverdueFilter): Promise<OverdueAreaCount[]> {
  assertRegionPrefix(f.regionPrefix, 'regionPrefix');
  const n = childAreaLength(f.regionPrefix);
  if (f.regionPrefix.length < 6) {
    const byArea = new Map<string, OverdueAreaCount>();
    for (const c of await countOverdue(tx, f)) {
      const areaCode = c.countyCode.slice(0, n);
      const key = `${areaCode} ${c.step}`;
      const row = byArea.get(key) ?? { areaCode, step: c.step, count: 0 };
      row.count += c.count;
      byArea.set(key, row);
    }
    return [...byArea.values()];
  }
  const found = await tx.execute(sql`select substr(c.village_code, 1, ${n}::int) as area, c.deadline_key as step, count(*)::int as n from cases c
      where ${pinnedRegion(f.regionPrefix)} and ${OPEN_WITH_DEADLINE} and ${pastDeadline(f)}
      group by 1, 2
      order by 1, 2`);
  return rows<Record<string, unknown>>(found).map((r) => ({ areaCode: String(r.area), step: String(r.step), count: Number(r.n) }));
}
